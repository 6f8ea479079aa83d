// 开发建设单位批量交款: choose an estate and its buildings, 打印交款通知单 issues one notice per
// building (the developer pays for its unsold houses) and opens them as one PDF.
import { useState } from 'react';
import { Alert, App, Button, Space, Table, Typography } from 'antd';
import { Link, useSearchParams } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { EstateQuery } from '../estates/estates.gql';
import { IssueBuildingNotices, PrintNotices } from './payments.gql';
import { EstateSelect } from '../../components/EstateSelect';
import { PrintJobLink } from '../../components/PrintJobLink';
import { useShowError } from '../../components/useShowError';
import { errorText } from '../../errors';
import { yuan } from '../../labels';

export function BuildingNoticesPage() {
  const [params, setParams] = useSearchParams();
  const estateId = params.get('estate');
  const [{ data, error, fetching }] = useQuery({ query: EstateQuery, variables: { id: estateId ?? '' }, pause: !estateId });
  const [chosen, setChosen] = useState<string[]>([]);
  const [issued, setIssued] = useState<{ id: string; number: string; total: string; payerName: string; building?: { name: string } | null }[]>([]);
  const [printJob, setPrintJob] = useState<string | null>(null);
  const [issueState, issue] = useMutation(IssueBuildingNotices);
  const [, print] = useMutation(PrintNotices);
  const showError = useShowError();
  const { message } = App.useApp();

  return (
    <>
      <Typography.Title level={4}>开发建设单位批量交款</Typography.Title>
      <Space style={{ marginBottom: 12 }}>
        <label htmlFor="estate">物业区域</label>
        <EstateSelect id="estate" value={estateId ?? undefined} onChange={(v) => { setParams({ estate: v }); setChosen([]); setIssued([]); setPrintJob(null); }} />
      </Space>
      {error && <Alert type="error" showIcon message={errorText(error)} />}
      {estateId && (
        <Table
          size="middle"
          loading={fetching && !data}
          rowKey={(r) => r.id}
          pagination={false}
          dataSource={data?.estate?.buildings.filter((b) => b.status === 'ACTIVE') ?? []}
          rowSelection={{
            selectedRowKeys: chosen,
            onChange: (k) => setChosen(k.map(String)),
            getCheckboxProps: (r) => ({ 'aria-label': `选择 ${r.name}` }),
          }}
          columns={[
            { title: '楼幢', dataIndex: 'name' },
            { title: '户数', dataIndex: 'houseCount', align: 'right' },
            { title: '应交', dataIndex: 'depositDue', align: 'right', render: yuan },
            { title: '已交', dataIndex: 'depositPaid', align: 'right', render: yuan },
            { title: '余额', dataIndex: 'balance', align: 'right', render: yuan },
          ]}
        />
      )}
      <Space style={{ marginTop: 12 }} wrap>
        <Button
          type="primary"
          disabled={!chosen.length}
          loading={issueState.fetching}
          onClick={async () => {
            const r = await issue({ buildingIds: chosen });
            if (r.error) return showError(r.error);
            const notices = r.data!.issueBuildingNotices;
            setIssued(notices);
            if (!notices.length) return message.info('所选楼幢没有需要交款的房屋');
            const p = await print({ ids: notices.map((n) => n.id) });
            if (p.error) return showError(p.error);
            setPrintJob(p.data!.printPaymentNotices.id);
          }}
        >
          打印交款通知单
        </Button>
        {printJob && <PrintJobLink jobId={printJob} label="打开交款通知单" />}
      </Space>
      {issued.length > 0 && (
        <Alert
          style={{ marginTop: 12 }}
          type="success"
          showIcon
          message={`已开具 ${issued.length} 张交款通知单`}
          description={
            <>
              {issued.map((n) => (
                <div key={n.id}>{n.number} {n.building?.name ?? ''} {n.payerName} {yuan(n.total)}</div>
              ))}
              <Link to={`/payments/notices?estate=${estateId}`}>查看交款通知单</Link>
            </>
          }
        />
      )}
    </>
  );
}
