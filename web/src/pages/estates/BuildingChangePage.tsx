// 楼幢变更: the estate's buildings; 逐个修改 in the row, 批量修改 of the checked ones (地址, 建成年份,
// 结构); 保存 / 保存并提交. With ?id= it edits a draft or 退回 one.
import { useEffect, useMemo, useState } from 'react';
import { Alert, App, Button, Form, Input, InputNumber, Modal, Select, Space, Spin, Table, Typography } from 'antd';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { EstateQuery } from './estates.gql';
import { ApplicationQuery, BuildingChangeMutation, UpdateBuildingChangeMutation } from './applications.gql';
import { EstateSelect } from '../../components/EstateSelect';
import { useShowError } from '../../components/useShowError';
import { useSubmitApplication, type SavedApp } from '../../components/useSubmitApplication';
import { options, structure } from '../../labels';
import { ReturnedNotice } from '../../components/ReturnedNotice';

interface Row { id: string; name: string; address: string; builtYear: number | null; structure: string | null }
type Edit = Partial<Omit<Row, 'id'>>;

export function BuildingChangePage() {
  const [params, setParams] = useSearchParams();
  const id = params.get('id');
  const navigate = useNavigate();
  const { message } = App.useApp();
  const showError = useShowError();
  const [existing] = useQuery({ query: ApplicationQuery, variables: { id: id ?? '' }, pause: !id });
  const app = existing.data?.application;
  const estateId = app?.estate?.id ?? params.get('estate');
  const [{ data, fetching }] = useQuery({ query: EstateQuery, variables: { id: estateId ?? '' }, pause: !estateId });
  const [reason, setReason] = useState('');
  const [edits, setEdits] = useState<Record<string, Edit>>({});
  const [checked, setChecked] = useState<string[]>([]);
  const [batchOpen, setBatchOpen] = useState(false);
  const [batchForm] = Form.useForm();
  const [cs, create] = useMutation(BuildingChangeMutation);
  const [us, update] = useMutation(UpdateBuildingChangeMutation);
  const { submitSaved, submitting, dialog } = useSubmitApplication((saved) => navigate(`/applications/${saved.id}`));

  useEffect(() => {
    if (!app) return;
    setReason(app.reason ?? '');
    const e: Record<string, Edit> = {};
    for (const c of app.buildingChanges) e[c.building.id] = { ...c.after, address: c.after.address ?? '' } as Edit;
    setEdits(e);
  }, [app]);

  const rows: Row[] = useMemo(
    () => (data?.estate?.buildings ?? []).filter((b) => b.status === 'ACTIVE').map((b) => ({
      id: b.id, name: b.name, address: b.address ?? '', builtYear: b.builtYear ?? null, structure: b.structure ?? null,
    })),
    [data],
  );
  const value = (r: Row, f: keyof Edit) => (f in (edits[r.id] ?? {}) ? edits[r.id][f] : r[f]);
  const setField = (r: Row, f: keyof Edit, v: unknown) => setEdits((old) => ({ ...old, [r.id]: { ...old[r.id], [f]: v } }));

  const changed = rows.filter((r) => (['name', 'address', 'builtYear', 'structure'] as (keyof Edit)[]).some((f) => String(value(r, f) ?? '') !== String(r[f] ?? '')));

  const save = async (andSubmit: boolean) => {
    if (!estateId) return message.error('请选择物业区域');
    if (!reason.trim()) return message.error('请填写变更原因');
    if (!changed.length) return message.error('请至少修改一个楼幢');
    if (changed.some((r) => !String(value(r, 'name') ?? '').trim())) return message.error('楼幢名称不能为空');
    const items = changed.map((r) => {
      const item: Record<string, unknown> = { buildingId: r.id };
      for (const f of ['name', 'address', 'builtYear', 'structure'] as (keyof Edit)[]) {
        if (String(value(r, f) ?? '') !== String(r[f] ?? '')) item[f] = value(r, f);
      }
      return item as { buildingId: string };
    });
    const input = { estateId, reason: reason.trim(), items };
    const r = id ? await update({ id, input }) : await create({ input });
    if (r.error) return showError(r.error);
    const saved = Object.values(r.data ?? {})[0] as SavedApp;
    if (andSubmit) return submitSaved(saved);
    message.success(`业务单 ${saved.number} 已保存`);
    navigate(`/applications/${saved.id}`);
  };

  if (id && existing.fetching && !app) return <Spin />;
  return (
    <>
      <Typography.Title level={4}>楼幢变更{app ? `（修改 ${app.number}）` : ''}</Typography.Title>
      <ReturnedNotice app={app} />
      <Space wrap style={{ marginBottom: 12 }} align="center">
        <label htmlFor="estate">物业区域</label>
        <EstateSelect id="estate" value={estateId ?? undefined} disabled={!!app} onChange={(v) => { setParams({ estate: v }); setEdits({}); }} />
        <label htmlFor="reason">变更原因</label>
        <Input id="reason" value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} style={{ width: 360 }} />
        <Button disabled={!checked.length} onClick={() => setBatchOpen(true)}>批量修改</Button>
      </Space>
      {!estateId && <Alert type="info" showIcon message="请先选择物业区域" />}
      {estateId && (
        <Table<Row>
          size="small"
          rowKey="id"
          loading={fetching && !data}
          dataSource={rows}
          pagination={false}
          rowSelection={{ selectedRowKeys: checked, onChange: (k) => setChecked(k.map(String)), getCheckboxProps: (r) => ({ 'aria-label': `勾选 ${r.name}` }) }}
          columns={[
            { title: '楼幢名称', render: (_, r) => <Input aria-label={`${r.name} 楼幢名称`} value={String(value(r, 'name') ?? '')} onChange={(e) => setField(r, 'name', e.target.value)} /> },
            { title: '地址', render: (_, r) => <Input aria-label={`${r.name} 地址`} value={String(value(r, 'address') ?? '')} onChange={(e) => setField(r, 'address', e.target.value)} /> },
            { title: '建成年份', width: 120, render: (_, r) => <InputNumber aria-label={`${r.name} 建成年份`} min={1900} max={2100} value={value(r, 'builtYear') as number | null} onChange={(v) => setField(r, 'builtYear', v)} /> },
            { title: '结构', width: 160, render: (_, r) => <Select aria-label={`${r.name} 结构`} style={{ width: '100%' }} value={value(r, 'structure') as string | null} options={options(structure)} onChange={(v) => setField(r, 'structure', v)} /> },
          ]}
        />
      )}
      <Space style={{ marginTop: 16 }}>
        <span>已修改 {changed.length} 个楼幢</span>
        <Button onClick={() => save(false)} loading={cs.fetching || us.fetching}>保存</Button>
        <Button type="primary" onClick={() => save(true)} loading={cs.fetching || us.fetching || submitting}>保存并提交</Button>
      </Space>
      <Modal
        open={batchOpen}
        title={`批量修改（${checked.length} 个楼幢）`}
        okText="确定"
        onCancel={() => setBatchOpen(false)}
        onOk={() => {
          const v = batchForm.getFieldsValue();
          for (const r of rows.filter((x) => checked.includes(x.id))) {
            for (const f of ['address', 'builtYear', 'structure'] as (keyof Edit)[]) {
              if (v[f] !== undefined && v[f] !== null && v[f] !== '') setField(r, f, v[f]);
            }
          }
          batchForm.resetFields();
          setBatchOpen(false);
        }}
      >
        <p>填写的项目将改到所有勾选的楼幢上，不填的保持不变。</p>
        <Form form={batchForm} layout="vertical">
          <Form.Item label="地址" name="address"><Input placeholder="不填则不改" /></Form.Item>
          <Form.Item label="建成年份" name="builtYear"><InputNumber min={1900} max={2100} placeholder="不填则不改" /></Form.Item>
          <Form.Item label="结构" name="structure"><Select allowClear placeholder="不填则不改" options={options(structure)} /></Form.Item>
        </Form>
      </Modal>
      {dialog}
    </>
  );
}
