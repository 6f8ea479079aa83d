// 代打交款通知单: houses chosen on the 楼盘表 or its 列表, their owners checked in the 业主交款列表
// dialog (编辑业主 per house), then 打印交款单: one notice per house, opened as one PDF.
import { useState } from 'react';
import { Alert, App, Button, Card, Modal, Space, Table, Typography } from 'antd';
import { useSearchParams } from 'react-router-dom';
import { useMutation } from 'urql';
import { IssueOwnerNotices, PrintNotices } from './payments.gql';
import { HousePicker } from '../../components/HousePicker';
import { EstateSelect } from '../../components/EstateSelect';
import { OwnersEditor, ownerProblems, toOwnerInputs, type OwnerRow } from '../../components/OwnersEditor';
import { PrintJobLink } from '../../components/PrintJobLink';
import { houseLabel, type PlanHouse } from '../../components/floorPlanModel';
import { useShowError } from '../../components/useShowError';
import { sumAmounts, yuan } from '../../labels';

type Owned = Omit<PlanHouse, 'owners'> & { owners?: { id?: string; name: string; idType?: string; idNumber?: string; phone?: string; share?: string | null }[] };

export function OwnerNoticesPage() {
  const [params, setParams] = useSearchParams();
  const estateId = params.get('estate');
  const [houses, setHouses] = useState<Owned[]>([]);
  const [owners, setOwners] = useState<Record<string, OwnerRow[]>>({});
  const [listOpen, setListOpen] = useState(false);
  const [editing, setEditing] = useState<Owned | null>(null);
  const [draft, setDraft] = useState<OwnerRow[]>([]);
  const [printJob, setPrintJob] = useState<string | null>(null);
  const [issued, setIssued] = useState<{ id: string; number: string; total: string; payerName: string }[]>([]);
  const [is, issue] = useMutation(IssueOwnerNotices);
  const [, print] = useMutation(PrintNotices);
  const showError = useShowError();
  const { message } = App.useApp();

  const ownersOf = (h: Owned): OwnerRow[] =>
    owners[h.id] ?? (h.owners ?? []).map((o, i) => ({ key: o.id ?? `${h.id}-${i}`, name: o.name, idType: o.idType ?? 'RESIDENT_ID', idNumber: o.idNumber ?? '', phone: o.phone ?? '', share: o.share ?? null }));

  const go = async () => {
    const bad = houses.find((h) => !ownersOf(h).length || ownersOf(h).some((o) => Object.keys(ownerProblems(o)).length));
    if (bad) return message.error(`${houseLabel(bad)} 的业主信息不完整，请点 编辑业主 补全`);
    const r = await issue({ items: houses.map((h) => ({ houseId: h.id, owners: toOwnerInputs(ownersOf(h)) })) });
    if (r.error) return showError(r.error);
    const notices = r.data!.issueOwnerNotices;
    setIssued(notices);
    setListOpen(false);
    // these houses are on notices now: choosing them again would only be refused
    setHouses([]);
    setOwners({});
    const p = await print({ ids: notices.map((n) => n.id) });
    if (p.error) return showError(p.error);
    setPrintJob(p.data!.printPaymentNotices.id);
  };

  return (
    <>
      <Typography.Title level={4}>代打交款通知单</Typography.Title>
      <Space style={{ marginBottom: 12 }} align="center">
        <label htmlFor="estate">物业区域</label>
        <EstateSelect id="estate" value={estateId ?? undefined} onChange={(v) => { setParams({ estate: v }); setHouses([]); setIssued([]); setPrintJob(null); }} />
        <Button type="primary" disabled={!houses.length} onClick={() => setListOpen(true)}>业主交款列表（{houses.length}）</Button>
        {printJob && <PrintJobLink jobId={printJob} label="打开交款单" />}
      </Space>
      {issued.length > 0 && (
        <Alert type="success" showIcon style={{ marginBottom: 12 }} message={`已开具 ${issued.length} 张交款通知单`} description={issued.map((n) => `${n.number} ${n.payerName} ${yuan(n.total)}`).join('；')} />
      )}
      {!estateId && <Alert type="info" showIcon message="请先选择物业区域，再在楼盘表或列表中选择房屋" />}
      {estateId && (
        <Card size="small" title="选择房屋">
          <HousePicker estateId={estateId} value={houses as PlanHouse[]} onChange={(h) => setHouses(h as Owned[])} />
        </Card>
      )}
      <Modal open={listOpen} width={900} title="业主交款列表" onCancel={() => setListOpen(false)} footer={[
        <Button key="c" onClick={() => setListOpen(false)}>取消</Button>,
        <Button key="p" type="primary" loading={is.fetching} onClick={go}>打印交款单</Button>,
      ]}>
        <Table<Owned>
          size="small"
          rowKey="id"
          dataSource={houses}
          pagination={{ pageSize: 10, hideOnSinglePage: true }}
          columns={[
            { title: '房屋', render: (_, h) => houseLabel(h) },
            { title: '建筑面积', dataIndex: 'buildingArea' },
            { title: '未交', dataIndex: 'unpaid', render: yuan },
            { title: '业主', render: (_, h) => ownersOf(h).map((o) => o.name).join('、') || <Typography.Text type="danger">无业主</Typography.Text> },
            { title: '操作', render: (_, h) => <Button size="small" aria-label={`编辑业主 ${houseLabel(h)}`} onClick={() => { setEditing(h); setDraft(ownersOf(h)); }}>编辑业主</Button> },
          ]}
        />
        <Typography.Paragraph style={{ marginTop: 12, marginBottom: 0 }}>
          共 {houses.length} 户，未交合计 {yuan(sumAmounts(houses.map((h) => h.unpaid ?? '0.00')))}；每户开具一张交款通知单，交款人为其业主。
        </Typography.Paragraph>
      </Modal>
      <Modal open={!!editing} width={900} title={`编辑业主 ${editing ? houseLabel(editing) : ''}`} okText="确定" onCancel={() => setEditing(null)}
        onOk={() => {
          if (!draft.length || draft.some((o) => Object.keys(ownerProblems(o)).length)) return message.error('请补全业主信息');
          setOwners((old) => ({ ...old, [editing!.id]: draft }));
          setEditing(null);
        }}>
        <OwnersEditor value={draft} onChange={setDraft} showErrors />
      </Modal>
    </>
  );
}
