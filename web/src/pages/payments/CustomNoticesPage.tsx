// 自定义交款: a 交款类型; for 续筹 the workbook of houses and amounts is exported, edited and
// imported back (every row checked, then the notices issued), then 打印通知单; for the other
// types the houses are chosen on the 楼盘表 and an amount typed per house.
import { useState } from 'react';
import { Alert, App, Button, Card, Input, Progress, Select, Space, Table, Typography, Upload } from 'antd';
import { UploadOutlined } from '@ant-design/icons';
import { useSearchParams } from 'react-router-dom';
import { useMutation, useSubscription } from 'urql';
import { AmountJob, ExportRenewal, ImportAmounts, IssueCustomNotices, PrintNotices } from './payments.gql';
import { EstateSelect } from '../../components/EstateSelect';
import { HousePicker } from '../../components/HousePicker';
import { JobErrorsTable } from '../../components/ImportDialog';
import { PrintJobLink } from '../../components/PrintJobLink';
import { checkFile, WORKBOOK } from '../../components/files';
import { houseLabel, type PlanHouse } from '../../components/floorPlanModel';
import { useShowError } from '../../components/useShowError';
import { jobStatus, yuan } from '../../labels';

const TYPES = [
  { value: 'RENEWAL', label: '续筹' },
  { value: 'MAKE_UP', label: '补交' },
  { value: 'OTHER', label: '其他' },
] as const;
type CustomType = (typeof TYPES)[number]['value'];
const AMOUNT = /^\d{1,10}(\.\d{1,2})?$/;

function JobLine({ jobId, label, onNotices }: { jobId: string; label: string; onNotices?: (ids: { id: string; number: string; total: string; payerName: string }[]) => void }) {
  const [{ data }] = useSubscription({ query: AmountJob, variables: { id: jobId } }, (_p, next) => {
    if (next.jobUpdated.status === 'SUCCEEDED') onNotices?.(next.jobUpdated.paymentNotices);
    return next;
  });
  const j = data?.jobUpdated;
  return (
    <div>
      <Progress percent={Math.round((j?.progress ?? 0) * 100)} status={j?.status === 'FAILED' ? 'exception' : j?.status === 'SUCCEEDED' ? 'success' : 'active'} />
      <Typography.Text type="secondary">{label}{j ? jobStatus[j.status] : '排队中'}{j?.message ? `：${j.message}` : ''}</Typography.Text>
      {j?.result && <div><a href={j.result.url}>{j.result.filename}</a></div>}
      {j && j.errors.length > 0 && <JobErrorsTable errors={j.errors} />}
    </div>
  );
}

export function CustomNoticesPage() {
  const [params, setParams] = useSearchParams();
  const estateId = params.get('estate');
  const type = (params.get('type') as CustomType) ?? 'RENEWAL';
  const [exportJob, setExportJob] = useState<string | null>(null);
  const [importJob, setImportJob] = useState<string | null>(null);
  const [notices, setNotices] = useState<{ id: string; number: string; total: string; payerName: string }[]>([]);
  const [printJob, setPrintJob] = useState<string | null>(null);
  const [houses, setHouses] = useState<PlanHouse[]>([]);
  const [amounts, setAmounts] = useState<Record<string, string>>({});
  const [, exportAmounts] = useMutation(ExportRenewal);
  const [, importAmounts] = useMutation(ImportAmounts);
  const [is, issue] = useMutation(IssueCustomNotices);
  const [, print] = useMutation(PrintNotices);
  const showError = useShowError();
  const { message } = App.useApp();
  // another estate or type starts afresh: what was exported, imported or issued was for the old one
  const set = (k: string, v: string) => {
    const n = new URLSearchParams(params);
    n.set(k, v);
    setParams(n);
    setExportJob(null);
    setImportJob(null);
    setNotices([]);
    setPrintJob(null);
    setHouses([]);
    setAmounts({});
  };

  const printAll = async () => {
    const p = await print({ ids: notices.map((n) => n.id) });
    if (p.error) return showError(p.error);
    setPrintJob(p.data!.printPaymentNotices.id);
  };

  return (
    <>
      <Typography.Title level={4}>自定义交款</Typography.Title>
      <Space wrap style={{ marginBottom: 12 }} align="center">
        <label htmlFor="estate">物业区域</label>
        <EstateSelect id="estate" value={estateId ?? undefined} onChange={(v) => set('estate', v)} />
        <label htmlFor="type">交款类型</label>
        <Select id="type" value={type} options={TYPES.map((t) => ({ ...t }))} style={{ width: 120 }} onChange={(v) => set('type', v)} />
      </Space>
      {!estateId && <Alert type="info" showIcon message="请先选择物业区域" />}
      {estateId && type === 'RENEWAL' && (
        <Card size="small" title="续筹：导出、修改金额、导入">
          <Space direction="vertical" style={{ width: '100%' }}>
            <Typography.Text>导出余额不足首期交存 30% 的房屋及其续筹金额，按需修改金额后导入，全部行无误即开出通知单。</Typography.Text>
            <Space>
              <Button onClick={async () => {
                const r = await exportAmounts({ estateId, houseIds: null });
                if (r.error) return showError(r.error);
                setExportJob(r.data!.exportRenewalAmounts.id);
              }}>导出</Button>
              <Upload accept={WORKBOOK.join(',')} showUploadList={false} beforeUpload={(f) => {
                const bad = checkFile(f, WORKBOOK);
                if (bad) { message.error(bad); return false; }
                importAmounts({ estateId, type, file: f }).then((r) => {
                  if (r.error) showError(r.error);
                  else { setNotices([]); setImportJob(r.data!.importCustomAmounts.id); }
                });
                return false;
              }}>
                <Button icon={<UploadOutlined />}>导入</Button>
              </Upload>
            </Space>
            {exportJob && <JobLine key={exportJob} jobId={exportJob} label="导出" />}
            {importJob && <JobLine key={importJob} jobId={importJob} label="导入" onNotices={setNotices} />}
          </Space>
        </Card>
      )}
      {estateId && type !== 'RENEWAL' && (
        <Card size="small" title="选择房屋并填写金额">
          <HousePicker estateId={estateId} value={houses} onChange={setHouses} />
          {houses.length > 0 && (
            <>
              <Table<PlanHouse> size="small" rowKey="id" dataSource={houses} pagination={false} style={{ marginTop: 12 }} columns={[
                { title: '房屋', render: (_, h) => houseLabel(h) },
                { title: '建筑面积', dataIndex: 'buildingArea' },
                { title: '余额', dataIndex: 'balance', render: yuan },
                { title: '金额（元）', render: (_, h) => {
                  const v = amounts[h.id] ?? '';
                  const bad = v !== '' && (!AMOUNT.test(v) || Number(v) <= 0);
                  return (<><Input aria-label={`${houseLabel(h)} 金额`} style={{ width: 160 }} value={v} status={bad ? 'error' : undefined} inputMode="decimal" onChange={(e) => setAmounts((a) => ({ ...a, [h.id]: e.target.value.trim() }))} />
                    {bad && <Typography.Text type="danger" style={{ fontSize: 12 }}>金额应为大于 0、最多两位小数的数</Typography.Text>}</>);
                } },
              ]} />
              <Button type="primary" style={{ marginTop: 12 }} loading={is.fetching} onClick={async () => {
                const missing = houses.find((h) => !AMOUNT.test(amounts[h.id] ?? '') || Number(amounts[h.id]) <= 0);
                if (missing) return message.error(`请填写 ${houseLabel(missing)} 的金额`);
                const r = await issue({ input: { type, items: houses.map((h) => ({ houseId: h.id, amount: amounts[h.id] })) } });
                if (r.error) return showError(r.error);
                setNotices(r.data!.issueCustomNotices);
                setPrintJob(null);
                setHouses([]);
                setAmounts({});
              }}>开具通知单</Button>
            </>
          )}
        </Card>
      )}
      {notices.length > 0 && (
        <Alert style={{ marginTop: 12 }} type="success" showIcon message={`已开具 ${notices.length} 张通知单`}
          description={<Space direction="vertical">
            <span>{notices.slice(0, 10).map((n) => `${n.number} ${n.payerName} ${yuan(n.total)}`).join('；')}{notices.length > 10 ? ' …' : ''}</span>
            <Space><Button onClick={printAll}>打印通知单</Button>{printJob && <PrintJobLink jobId={printJob} label="打开通知单" />}</Space>
          </Space>} />
      )}
    </>
  );
}
