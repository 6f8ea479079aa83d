// 交款通知单: the notices with their status (未交款, 已交款, 已作废), 打印 and 作废.
import { useState } from 'react';
import { Alert, App, Button, Input, Popconfirm, Select, Space, Table, Tag, Typography } from 'antd';
import { useSearchParams } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { CancelNotice, NoticesQuery, PrintNotices } from './payments.gql';
import { EstateSelect } from '../../components/EstateSelect';
import { PrintJobLink } from '../../components/PrintJobLink';
import { useShowError } from '../../components/useShowError';
import { errorText } from '../../errors';
import { noticeStatus, noticeStatusColor, options, paymentType, yuan } from '../../labels';
import type { VariablesOf } from '../../graphql';

type Filter = NonNullable<VariablesOf<typeof NoticesQuery>['filter']>;

export function NoticesPage() {
  const [params, setParams] = useSearchParams();
  const get = (k: string) => params.get(k) ?? undefined;
  const filter: Filter = {
    estateId: get('estate') ?? null,
    status: (get('status') as Filter['status']) ?? null,
    type: (get('type') as Filter['type']) ?? null,
    number: get('number') ?? null,
  };
  const [{ data, fetching, error }, refetch] = useQuery({ query: NoticesQuery, variables: { filter, after: get('after') ?? null } });
  const [, cancel] = useMutation(CancelNotice);
  const [, print] = useMutation(PrintNotices);
  const [printing, setPrinting] = useState<{ id: string; job: string } | null>(null);
  const [chosen, setChosen] = useState<string[]>([]);
  const showError = useShowError();
  const { message } = App.useApp();
  const set = (k: string, v?: string | null) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v);
    else next.delete(k);
    next.delete('after');
    setParams(next);
  };
  const printIds = async (ids: string[], key: string) => {
    const r = await print({ ids });
    if (r.error) return showError(r.error);
    setPrinting({ id: key, job: r.data!.printPaymentNotices.id });
  };
  const conn = data?.paymentNotices;
  return (
    <>
      <Typography.Title level={4}>交款通知单</Typography.Title>
      <Space wrap style={{ marginBottom: 12 }}>
        <EstateSelect value={get('estate')} onChange={(v) => set('estate', v)} />
        <Select aria-label="状态" placeholder="状态" allowClear style={{ width: 120 }} value={get('status')} options={options(noticeStatus)} onChange={(v) => set('status', v)} />
        <Select aria-label="交款类型" placeholder="交款类型" allowClear style={{ width: 120 }} value={get('type')} options={options(paymentType)} onChange={(v) => set('type', v)} />
        <Input.Search aria-label="通知单号" placeholder="通知单号" allowClear defaultValue={get('number')} onSearch={(v) => set('number', v.trim())} style={{ width: 220 }} />
        <Button disabled={!chosen.length} onClick={() => printIds(chosen, 'batch')}>打印所选</Button>
        {printing?.id === 'batch' && <PrintJobLink jobId={printing.job} label="打开交款通知单" />}
      </Space>
      {error && <Alert type="error" showIcon message={errorText(error)} />}
      <Table
        size="middle"
        rowKey={(r) => r.id}
        loading={fetching && !data}
        dataSource={conn?.edges.map((e) => e.node) ?? []}
        pagination={false}
        rowSelection={{ selectedRowKeys: chosen, onChange: (k) => setChosen(k.map(String)), getCheckboxProps: (r) => ({ 'aria-label': `选择 ${r.number}` }) }}
        columns={[
          { title: '通知单号', dataIndex: 'number' },
          { title: '交款类型', dataIndex: 'type', render: (v) => paymentType[v] },
          { title: '物业区域', render: (_, r) => `${r.estate.name}${r.building ? ' ' + r.building.name : ''}` },
          { title: '交款人', dataIndex: 'payerName' },
          { title: '金额', dataIndex: 'total', align: 'right', render: yuan },
          { title: '开具时间', dataIndex: 'issuedAt', render: (v: string) => v.slice(0, 16).replace('T', ' ') },
          { title: '状态', dataIndex: 'status', render: (v) => <Tag color={noticeStatusColor[v]}>{noticeStatus[v]}</Tag> },
          {
            title: '操作',
            width: 240,
            render: (_, r) => (
              <Space>
                {printing?.id === r.id ? (
                  <PrintJobLink jobId={printing.job} label="打开" />
                ) : (
                  <Button size="small" disabled={r.status === 'CANCELLED'} onClick={() => printIds([r.id], r.id)}>打印</Button>
                )}
                {r.status === 'ISSUED' && (
                  <Popconfirm
                    title={`作废通知单 ${r.number}？`}
                    okText="作废"
                    cancelText="取消"
                    onConfirm={async () => {
                      const c = await cancel({ id: r.id });
                      if (c.error) return showError(c.error);
                      message.success('已作废');
                      refetch({ requestPolicy: 'network-only' });
                    }}
                  >
                    <Button size="small" danger>作废</Button>
                  </Popconfirm>
                )}
              </Space>
            ),
          },
        ]}
      />
      <Space style={{ marginTop: 12 }}>
        <span>共 {conn?.totalCount ?? 0} 张</span>
        {get('after') && <Button onClick={() => set('after', null)}>第一页</Button>}
        {conn?.pageInfo.hasNextPage && <Button onClick={() => { const n = new URLSearchParams(params); n.set('after', conn.pageInfo.endCursor!); setParams(n); }}>下一页</Button>}
      </Space>
    </>
  );
}
