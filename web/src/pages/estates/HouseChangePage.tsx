// 房屋信息变更: choose houses on the 楼盘表选择框, then 批量修改 (the same values on the checked
// rows) or 逐个修改 (one house), 保存 or 保存并提交. With ?id= it edits a draft or 退回 one.
import { useEffect, useMemo, useState } from 'react';
import { Alert, App, Button, Card, Form, Input, Modal, Space, Spin, Table, Typography } from 'antd';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { ApplicationQuery, HouseInfoChangeMutation, UpdateHouseInfoChangeMutation } from './applications.gql';
import { HousePicker } from '../../components/HousePicker';
import { EstateSelect } from '../../components/EstateSelect';
import { HouseEditFields } from '../../components/HouseEditForm';
import { houseLabel, type PlanHouse } from '../../components/floorPlanModel';
import {
  applyBatch, applyOne, changedFields, current, EDITABLE, FIELD_LABELS, toItems, validate, type EditRow, type Field, type RowProblem, type Values,
} from '../../components/batchEdit';
import { mapErrors } from '../../errors';
import { useSubmitApplication } from '../../components/useSubmitApplication';
import { salesStatus, usage } from '../../labels';
import type { VariablesOf } from '../../graphql';
import { whenValid } from '../../components/whenValid';
import { ReturnedNotice } from '../../components/ReturnedNotice';

type Items = VariablesOf<typeof HouseInfoChangeMutation>['input']['items'];

function rowOf(h: PlanHouse & Values): EditRow {
  const original: Values = {};
  for (const f of EDITABLE) original[f] = (h as Values)[f] ?? null;
  return { houseId: h.id, label: houseLabel(h), original, changes: {} };
}

function shown(f: Field, v: Values[Field]): string {
  if (v == null) return '';
  if (f === 'usage') return usage[String(v)] ?? String(v);
  if (f === 'salesStatus') return salesStatus[String(v)] ?? String(v);
  if (f === 'hasElevator') return v ? '有' : '无';
  return String(v);
}

export function HouseChangePage() {
  const [params, setParams] = useSearchParams();
  const id = params.get('id');
  const estateParam = params.get('estate');
  const navigate = useNavigate();
  const { message } = App.useApp();
  const [existing] = useQuery({ query: ApplicationQuery, variables: { id: id ?? '' }, pause: !id });
  const app = existing.data?.application;
  const estateId = app?.estate?.id ?? estateParam;
  const [reason, setReason] = useState('');
  const [houses, setHouses] = useState<PlanHouse[]>([]);
  const [rows, setRows] = useState<EditRow[]>([]);
  const [checked, setChecked] = useState<string[]>([]);
  const [batchOpen, setBatchOpen] = useState(false);
  const [oneRow, setOneRow] = useState<EditRow | null>(null);
  const [problems, setProblems] = useState<RowProblem[]>([]);
  const [batchForm] = Form.useForm<Values>();
  const [oneForm] = Form.useForm<Values>();
  const [createState, create] = useMutation(HouseInfoChangeMutation);
  const [updateState, update] = useMutation(UpdateHouseInfoChangeMutation);
  const { submitSaved, submitting, dialog } = useSubmitApplication((saved) => navigate(`/applications/${saved.id}`));

  // editing: the application's houses and the values it proposes
  useEffect(() => {
    if (!app) return;
    setReason(app.reason ?? '');
    const loaded: EditRow[] = [];
    const picked: PlanHouse[] = [];
    for (const c of app.houseChanges) {
      if (!c.house || !c.before) continue;
      const before = c.before as unknown as Values & { roomNumber: string; unit?: string | null; address: string; floor: number; buildingArea: string };
      const h = { ...before, id: c.house.id, code: c.house.code, status: 'ACTIVE', lockedBy: { id: app.id, number: app.number } } as PlanHouse & Values;
      picked.push(h);
      const row = rowOf(h);
      if (c.after) {
        for (const f of EDITABLE) {
          const a = (c.after as unknown as Values)[f];
          if (String(a ?? '') !== String(row.original[f] ?? '')) row.changes[f] = a;
        }
      }
      loaded.push(row);
    }
    setHouses(picked);
    setRows(loaded);
  }, [app]);

  /** the picker's choice: new houses get a row, dropped houses lose theirs, edits stay */
  const pick = (next: PlanHouse[]) => {
    setHouses(next);
    setRows((old) => {
      const byId = new Map(old.map((r) => [r.houseId, r]));
      return next.map((h) => byId.get(h.id) ?? rowOf(h as PlanHouse & Values));
    });
    setProblems([]);
  };

  const problemAt = useMemo(() => {
    const m = new Map<string, string>();
    for (const p of problems) m.set(`${p.houseId}.${p.field}`, p.message);
    return m;
  }, [problems]);

  const save = async (andSubmit: boolean) => {
    if (!estateId) return message.error('请选择物业区域');
    if (!reason.trim()) return message.error('请填写变更原因');
    const local = validate(rows);
    setProblems(local);
    if (local.length) return message.error('有填写不正确的地方，请按提示修改');
    const items = toItems(rows);
    if (!items.length) return message.error('请至少修改一户房屋的信息');
    const input = { estateId, reason: reason.trim(), items: items as Items };
    const r = id ? await update({ id, input }) : await create({ input });
    if (r.error) {
      // input.items.N.field → the cell of the N-th changed house
      const withChange = rows.filter((row) => changedFields(row).length);
      const { fields, general } = mapErrors(r.error);
      const mapped: RowProblem[] = [];
      for (const f of fields) {
        const [head, index, field] = f.field ?? [];
        const row = head === 'items' && typeof index === 'number' ? withChange[index] : undefined;
        if (row && typeof field === 'string') mapped.push({ houseId: row.houseId, field: field as Field, message: f.message });
        else general.push(f);
      }
      setProblems(mapped);
      for (const g of general) message.error(g.message);
      return;
    }
    const saved = r.data && ('createHouseInfoChange' in r.data ? r.data.createHouseInfoChange : r.data.updateHouseInfoChange);
    if (!saved) return;
    if (andSubmit) return submitSaved(saved);
    message.success(`业务单 ${saved.number} 已保存`);
    navigate(`/applications/${saved.id}`);
  };

  if (id && existing.fetching && !app) return <Spin />;
  const busy = createState.fetching || updateState.fetching || submitting;
  const changedCount = rows.filter((r) => changedFields(r).length).length;

  return (
    <>
      <Typography.Title level={4}>房屋信息变更{app ? `（修改 ${app.number}）` : ''}</Typography.Title>
      <ReturnedNotice app={app} />
      <Space wrap style={{ marginBottom: 12 }} align="center">
        <label htmlFor="estate">物业区域</label>
        <EstateSelect
          id="estate"
          value={estateId ?? undefined}
          disabled={!!app}
          onChange={(v) => {
            setParams(v ? { estate: v } : {});
            pick([]);
          }}
        />
        <label htmlFor="reason">变更原因</label>
        <Input id="reason" value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} style={{ width: 360 }} />
      </Space>
      {!estateId && <Alert type="info" showIcon message="请先选择物业区域，再在楼盘表中选择要变更的房屋" />}
      {estateId && (
        <Card size="small" title="选择房屋" style={{ marginBottom: 12 }}>
          <HousePicker estateId={estateId} value={houses} onChange={pick} ownApplicationId={app?.id} />
        </Card>
      )}
      {rows.length > 0 && (
        <Card
          size="small"
          title={`已选房屋（${rows.length} 户，已修改 ${changedCount} 户）`}
          extra={
            <Space>
              <Button disabled={!checked.length} onClick={() => setBatchOpen(true)}>批量修改</Button>
            </Space>
          }
        >
          <Table<EditRow>
            size="small"
            rowKey="houseId"
            dataSource={rows}
            scroll={{ x: 1200 }}
            pagination={{ pageSize: 50, hideOnSinglePage: true }}
            rowSelection={{
              selectedRowKeys: checked,
              onChange: (keys) => setChecked(keys.map(String)),
              getCheckboxProps: (r) => ({ 'aria-label': `勾选 ${r.label}` }),
            }}
            columns={[
              { title: '房屋', dataIndex: 'label', fixed: 'left', width: 140 },
              ...(['unit', 'floor', 'roomNumber', 'usage', 'layout', 'buildingArea', 'innerArea', 'price', 'salesStatus', 'realEstateUnitNumber'] as Field[]).map((f) => ({
                title: FIELD_LABELS[f],
                key: f,
                render: (_: unknown, r: EditRow) => {
                  const problem = problemAt.get(`${r.houseId}.${f}`);
                  const changed = f in r.changes && String(r.changes[f] ?? '') !== String(r.original[f] ?? '');
                  return (
                    <div>
                      {changed ? (
                        <span>
                          <s style={{ color: 'rgba(0,0,0,.45)' }}>{shown(f, r.original[f])}</s> <b>{shown(f, current(r, f))}</b>
                        </span>
                      ) : (
                        shown(f, r.original[f])
                      )}
                      {problem && <div role="alert" style={{ color: '#ff4d4f', fontSize: 12 }}>{problem}</div>}
                    </div>
                  );
                },
              })),
              {
                title: '操作',
                fixed: 'right',
                width: 90,
                render: (_, r) => (
                  <Button size="small" onClick={() => {
                    oneForm.resetFields();
                    const values: Values = {};
                    for (const f of EDITABLE) values[f] = current(r, f) as never;
                    oneForm.setFieldsValue(values as never);
                    setOneRow(r);
                  }} aria-label={`逐个修改 ${r.label}`}>
                    逐个修改
                  </Button>
                ),
              },
            ]}
          />
        </Card>
      )}
      <Space style={{ marginTop: 16 }}>
        <Button onClick={() => save(false)} loading={busy} disabled={!rows.length}>保存</Button>
        <Button type="primary" onClick={() => save(true)} loading={busy} disabled={!rows.length}>保存并提交</Button>
      </Space>

      <Modal
        open={batchOpen}
        title={`批量修改（${checked.length} 户）`}
        width={720}
        okText="确定"
        onCancel={() => setBatchOpen(false)}
        onOk={() =>
          whenValid(batchForm, (v) => {
            setRows((old) => applyBatch(old, new Set(checked), v));
            batchForm.resetFields();
            setBatchOpen(false);
            setProblems([]);
          })
        }
      >
        <p>填写的项目将改到所有勾选的房屋上，不填的项目保持不变。</p>
        <Form form={batchForm} layout="vertical">
          <HouseEditFields batch />
        </Form>
      </Modal>
      <Modal
        open={!!oneRow}
        title={`逐个修改 ${oneRow?.label ?? ''}`}
        width={720}
        okText="确定"
        onCancel={() => setOneRow(null)}
        onOk={() =>
          whenValid(oneForm, (v) => {
            setRows((old) => applyOne(old, oneRow!.houseId, v));
            setOneRow(null);
            setProblems([]);
          })
        }
      >
        <Form form={oneForm} layout="vertical">
          <HouseEditFields />
        </Form>
      </Modal>
      {dialog}
    </>
  );
}
