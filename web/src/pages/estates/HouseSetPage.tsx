// 房屋拆分合并, 房屋权属批量变更 and 房屋注销: houses chosen on the 楼盘表选择框; 权属变更 edits each
// house's owners in the 编辑业主 dialog; 拆分合并 goes on to its 业务单 for the result import
// and the 附件. With ?id= it edits a draft or 退回 one.
import { useEffect, useState } from 'react';
import { Alert, App, Button, Card, Input, Modal, Space, Spin, Table, Typography } from 'antd';
import { useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import {
  ApplicationQuery, CancellationMutation, OwnershipChangeMutation, SplitMergeMutation,
  UpdateCancellationMutation, UpdateOwnershipChangeMutation, UpdateSplitMergeMutation,
} from './applications.gql';
import { HousePicker } from '../../components/HousePicker';
import { EstateSelect } from '../../components/EstateSelect';
import { OwnersEditor, ownerProblems, toOwnerInputs, type OwnerRow } from '../../components/OwnersEditor';
import { houseLabel, type PlanHouse } from '../../components/floorPlanModel';
import { useShowError } from '../../components/useShowError';
import { useSubmitApplication, type SavedApp } from '../../components/useSubmitApplication';
import { ReturnedNotice } from '../../components/ReturnedNotice';

type Kind = 'split-merge' | 'ownership' | 'cancellation';
const TITLES: Record<Kind, string> = { 'split-merge': '房屋拆分合并', ownership: '房屋权属批量变更', cancellation: '房屋注销' };

type Owned = Omit<PlanHouse, 'owners'> & { owners?: { id?: string; name: string; idType?: string; idNumber?: string; phone?: string; share?: string | null }[] };

function ownerRows(h: Owned): OwnerRow[] {
  return (h.owners ?? []).map((o, i) => ({
    key: o.id ?? `${h.id}-${i}`, name: o.name, idType: o.idType ?? 'RESIDENT_ID', idNumber: o.idNumber ?? '', phone: o.phone ?? '', share: o.share ?? null,
  }));
}

export function HouseSetPage() {
  const { kind = '' } = useParams();
  if (!(kind in TITLES)) return <Alert type="warning" message="没有这个菜单" />;
  return <HouseSet kind={kind as Kind} key={kind} />;
}

function HouseSet({ kind }: { kind: Kind }) {
  const [params, setParams] = useSearchParams();
  const id = params.get('id');
  const navigate = useNavigate();
  const { message } = App.useApp();
  const showError = useShowError();
  const [existing] = useQuery({ query: ApplicationQuery, variables: { id: id ?? '' }, pause: !id });
  const app = existing.data?.application;
  const estateId = app?.estate?.id ?? params.get('estate');
  const [reason, setReason] = useState('');
  const [houses, setHouses] = useState<Owned[]>([]);
  const [owners, setOwners] = useState<Record<string, OwnerRow[]>>({});
  const [editing, setEditing] = useState<Owned | null>(null);
  const [draft, setDraft] = useState<OwnerRow[]>([]);
  const [showErrors, setShowErrors] = useState(false);
  const [s1, createSplit] = useMutation(SplitMergeMutation);
  const [s2, updateSplit] = useMutation(UpdateSplitMergeMutation);
  const [s3, createOwnership] = useMutation(OwnershipChangeMutation);
  const [s4, updateOwnership] = useMutation(UpdateOwnershipChangeMutation);
  const [s5, createCancel] = useMutation(CancellationMutation);
  const [s6, updateCancel] = useMutation(UpdateCancellationMutation);
  const { submitSaved, submitting, dialog } = useSubmitApplication((saved) => navigate(`/applications/${saved.id}`));
  const busy = [s1, s2, s3, s4, s5, s6].some((s) => s.fetching) || submitting;

  useEffect(() => {
    if (!app) return;
    setReason(app.reason ?? '');
    const picked: Owned[] = [];
    const own: Record<string, OwnerRow[]> = {};
    for (const c of app.houseChanges) {
      if (!c.house || !c.before) continue;
      const h = { ...c.before, id: c.house.id, code: c.house.code, status: 'ACTIVE', lockedBy: null } as unknown as Owned;
      picked.push(h);
      if (c.after) own[h.id] = ownerRows({ ...h, owners: c.after.owners });
    }
    setHouses(picked);
    setOwners(own);
  }, [app]);

  const ownersOf = (h: Owned) => owners[h.id] ?? ownerRows(h);

  const save = async (andSubmit: boolean) => {
    if (!estateId) return message.error('请选择物业区域');
    if (!houses.length) return message.error('请在楼盘表中选择房屋');
    if (kind !== 'ownership' && !reason.trim()) return message.error('请填写原因');
    let r;
    if (kind === 'ownership') {
      const bad = houses.find((h) => !ownersOf(h).length || ownersOf(h).some((o) => Object.keys(ownerProblems(o)).length));
      if (bad) {
        setShowErrors(true);
        return message.error(`${houseLabel(bad)} 的业主信息不完整，请点 编辑业主 修改`);
      }
      const input = { estateId, items: houses.map((h) => ({ houseId: h.id, owners: toOwnerInputs(ownersOf(h)) })) };
      r = id ? await updateOwnership({ id, input }) : await createOwnership({ input });
    } else {
      const input = { estateId, reason: reason.trim(), houseIds: houses.map((h) => h.id) };
      if (kind === 'split-merge') r = id ? await updateSplit({ id, input }) : await createSplit({ input });
      else r = id ? await updateCancel({ id, input }) : await createCancel({ input });
    }
    if (r.error) return showError(r.error);
    const saved = Object.values(r.data ?? {})[0] as SavedApp | undefined;
    if (!saved) return;
    if (andSubmit) return submitSaved(saved);
    message.success(kind === 'split-merge' ? `已保存，请导入拆分合并后的房屋并上传附件` : `业务单 ${saved.number} 已保存`);
    navigate(`/applications/${saved.id}`);
  };

  if (id && existing.fetching && !app) return <Spin />;

  return (
    <>
      <Typography.Title level={4}>{TITLES[kind]}{app ? `（修改 ${app.number}）` : ''}</Typography.Title>
      <ReturnedNotice app={app} />
      <Space wrap style={{ marginBottom: 12 }} align="center">
        <label htmlFor="estate">物业区域</label>
        <EstateSelect id="estate" value={estateId ?? undefined} disabled={!!app} onChange={(v) => { setParams({ estate: v }); setHouses([]); }} />
        {kind !== 'ownership' && (
          <>
            <label htmlFor="reason">{kind === 'cancellation' ? '注销原因' : '变更原因'}</label>
            <Input id="reason" value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} style={{ width: 360 }} />
          </>
        )}
      </Space>
      {!estateId && <Alert type="info" showIcon message="请先选择物业区域，再在楼盘表中选择房屋" />}
      {estateId && (
        <Card size="small" title="选择房屋" style={{ marginBottom: 12 }}>
          <HousePicker estateId={estateId} value={houses} onChange={(h) => setHouses(h as Owned[])} ownApplicationId={app?.id} />
        </Card>
      )}
      {houses.length > 0 && (
        <Card size="small" title={`已选房屋（${houses.length} 户）`}>
          <Table<Owned>
            size="small"
            rowKey="id"
            dataSource={houses}
            pagination={{ pageSize: 50, hideOnSinglePage: true }}
            columns={[
              { title: '房屋编号', dataIndex: 'code' },
              { title: '房屋', render: (_, h) => houseLabel(h) },
              { title: '坐落', dataIndex: 'address', ellipsis: true },
              { title: '建筑面积', dataIndex: 'buildingArea' },
              ...(kind === 'ownership'
                ? [
                    { title: '业主', render: (_: unknown, h: Owned) => ownersOf(h).map((o) => o.name).join('、') || '—' },
                    {
                      title: '操作',
                      render: (_: unknown, h: Owned) => (
                        <Button size="small" aria-label={`编辑业主 ${houseLabel(h)}`} onClick={() => { setEditing(h); setDraft(ownersOf(h)); }}>
                          编辑业主
                        </Button>
                      ),
                    },
                  ]
                : []),
            ]}
          />
        </Card>
      )}
      <Space style={{ marginTop: 16 }}>
        <Button onClick={() => save(false)} loading={busy} disabled={!houses.length}>保存</Button>
        {kind !== 'split-merge' && (
          <Button type="primary" onClick={() => save(true)} loading={busy} disabled={!houses.length}>保存并提交</Button>
        )}
      </Space>
      <Modal
        open={!!editing}
        width={900}
        title={`编辑业主 ${editing ? houseLabel(editing) : ''}`}
        okText="确定"
        onCancel={() => setEditing(null)}
        onOk={() => {
          if (!draft.length || draft.some((o) => Object.keys(ownerProblems(o)).length)) {
            setShowErrors(true);
            if (!draft.length) message.error('至少要有一位业主');
            return;
          }
          setOwners((old) => ({ ...old, [editing!.id]: draft }));
          setEditing(null);
          setShowErrors(false);
        }}
      >
        <OwnersEditor value={draft} onChange={setDraft} showErrors={showErrors} />
      </Modal>
      {dialog}
    </>
  );
}
