// 业务单: my applications, filtered by type, status and estate (the filter lives in the URL); 查看,
// 修改 (a draft or 退回 one) and 撤回 from the list.
import { Alert, App, Button, Popconfirm, Select, Space, Table, Tag, Typography } from 'antd';
import { Link, useSearchParams } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { ApplicationsQuery, WithdrawMutation } from './applications.gql';
import { EstateOptionsQuery } from './estates.gql';
import { editPath } from './appRoutes';
import { errorText } from '../../errors';
import { useShowError } from '../../components/useShowError';
import { applicationStatus, applicationStatusColor, applicationType, options } from '../../labels';
import type { VariablesOf } from '../../graphql';

type Filter = NonNullable<VariablesOf<typeof ApplicationsQuery>['filter']>;

export function ApplicationsPage() {
  const [params, setParams] = useSearchParams();
  const type = params.get('type');
  const status = params.get('status');
  const estateId = params.get('estate');
  const after = params.get('after');
  const filter: Filter = {
    type: (type as Filter['type']) ?? null,
    status: (status as Filter['status']) ?? null,
    estateId: estateId ?? null,
  };
  const [{ data, fetching, error }, refetch] = useQuery({ query: ApplicationsQuery, variables: { filter, after } });
  const [, withdraw] = useMutation(WithdrawMutation);
  const showError = useShowError();
  const { message } = App.useApp();
  const [estates] = useQuery({ query: EstateOptionsQuery });
  const set = (key: string, value: string | null | undefined) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    next.delete('after');
    setParams(next);
  };
  const conn = data?.applications;
  return (
    <>
      <Typography.Title level={4}>业务单</Typography.Title>
      <Space wrap style={{ marginBottom: 12 }}>
        <Select
          aria-label="业务类型"
          placeholder="业务类型"
          allowClear
          style={{ width: 180 }}
          value={type ?? undefined}
          options={options(applicationType)}
          onChange={(v) => set('type', v)}
        />
        <Select
          aria-label="状态"
          placeholder="状态"
          allowClear
          style={{ width: 140 }}
          value={status ?? undefined}
          options={options(applicationStatus)}
          onChange={(v) => set('status', v)}
        />
        <Select
          aria-label="物业区域"
          placeholder="物业区域"
          allowClear
          showSearch
          optionFilterProp="label"
          style={{ width: 240 }}
          value={estateId ?? undefined}
          options={estates.data?.estates.edges.map((e) => ({ value: e.node.id, label: e.node.name })) ?? []}
          onChange={(v) => set('estate', v)}
        />
      </Space>
      {error && <Alert type="error" showIcon message={errorText(error)} />}
      <Table
        size="middle"
        rowKey={(r) => r.id}
        loading={fetching && !data}
        dataSource={conn?.edges.map((e) => e.node) ?? []}
        pagination={false}
        columns={[
          { title: '业务单号', dataIndex: 'number', render: (v, r) => <Link to={`/applications/${r.id}`}>{v}</Link> },
          { title: '业务类型', dataIndex: 'type', render: (v) => applicationType[v] },
          { title: '物业区域', render: (_, r) => r.estate?.name },
          { title: '房屋', dataIndex: 'houseChangeCount', align: 'right', width: 70 },
          { title: '创建人', render: (_, r) => r.createdBy.name, width: 90 },
          { title: '创建时间', dataIndex: 'createdAt', width: 150, render: (v: string) => v.slice(0, 16).replace('T', ' ') },
          {
            title: '状态',
            dataIndex: 'status',
            width: 90,
            render: (v: string) => <Tag color={applicationStatusColor[v]}>{applicationStatus[v]}</Tag>,
          },
          {
            title: '操作',
            width: 160,
            render: (_, r) => (
              <Space>
                <Link to={`/applications/${r.id}`}>查看</Link>
                {(r.status === 'DRAFT' || r.status === 'REJECTED') && <Link to={`${editPath[r.type]}?id=${r.id}`}>修改</Link>}
                {(r.status === 'DRAFT' || r.status === 'REJECTED' || r.status === 'SUBMITTED') && (
                  <Popconfirm
                    title={`撤回业务单 ${r.number}？撤回后该业务单作废。`}
                    okText="撤回"
                    cancelText="取消"
                    onConfirm={async () => {
                      const w = await withdraw({ id: r.id });
                      if (w.error) return showError(w.error);
                      message.success(`业务单 ${r.number} 已撤回`);
                      refetch({ requestPolicy: 'network-only' });
                    }}
                  >
                    <Button type="link" size="small" style={{ padding: 0 }} aria-label={`撤回 ${r.number}`}>撤回</Button>
                  </Popconfirm>
                )}
              </Space>
            ),
          },
        ]}
      />
      <Space style={{ marginTop: 12 }}>
        <span>共 {conn?.totalCount ?? 0} 条</span>
        {after && <Button onClick={() => set('after', null)}>第一页</Button>}
        {conn?.pageInfo.hasNextPage && (
          <Button
            onClick={() => {
              const next = new URLSearchParams(params);
              next.set('after', conn.pageInfo.endCursor!);
              setParams(next);
            }}
          >
            下一页
          </Button>
        )}
      </Space>
    </>
  );
}
