// 编辑业主: a house's owners, one per row; 添加, edit in place, 删除. Checks what it can (required,
// 身份证号 check digit, mobile number) before anything is sent.
import { Button, Input, Select, Space, Table, Typography } from 'antd';
import { idType, options } from '../labels';

export interface OwnerRow {
  key: string;
  name: string;
  idType: string;
  idNumber: string;
  phone: string;
  share?: string | null;
}

let seq = 0;
export function newOwner(): OwnerRow {
  seq += 1;
  return { key: `new-${seq}`, name: '', idType: 'RESIDENT_ID', idNumber: '', phone: '', share: null };
}

/** 居民身份证 (GB 11643): 17 digits and a check character. */
export function residentIdValid(id: string): boolean {
  if (!/^\d{17}[\dX]$/.test(id)) return false;
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = w.reduce((s, x, i) => s + x * Number(id[i]), 0);
  return '10X98765432'[sum % 11] === id[17];
}

/** Problems of one owner row, by field. */
export function ownerProblems(o: OwnerRow): Partial<Record<keyof OwnerRow, string>> {
  const p: Partial<Record<keyof OwnerRow, string>> = {};
  if (!o.name.trim()) p.name = '请填写姓名';
  if (!o.idNumber.trim()) p.idNumber = '请填写证件号码';
  else if (o.idType === 'RESIDENT_ID' && !residentIdValid(o.idNumber.trim().toUpperCase())) p.idNumber = '身份证号码不正确';
  if (!/^1\d{10}$/.test(o.phone.trim())) p.phone = '请填写 11 位手机号码';
  if (o.share && !/^(0(\.\d{1,6})?|1(\.0{1,6})?)$/.test(o.share.trim())) p.share = '份额应为 0 到 1 之间的小数';
  return p;
}

export function OwnersEditor({ value, onChange, showErrors }: { value: OwnerRow[]; onChange: (rows: OwnerRow[]) => void; showErrors?: boolean }) {
  const set = (key: string, field: keyof OwnerRow, v: string) => onChange(value.map((o) => (o.key === key ? { ...o, [field]: v } : o)));
  const text = (field: 'name' | 'idNumber' | 'phone' | 'share', label: string, width?: number) => ({
    title: label,
    width,
    render: (_: unknown, o: OwnerRow, i: number) => {
      const problem = showErrors ? ownerProblems(o)[field] : undefined;
      return (
        <>
          <Input
            aria-label={`第 ${i + 1} 位业主${label}`}
            value={o[field] ?? ''}
            status={problem ? 'error' : undefined}
            onChange={(e) => set(o.key, field, e.target.value)}
          />
          {problem && <Typography.Text type="danger" style={{ fontSize: 12 }}>{problem}</Typography.Text>}
        </>
      );
    },
  });
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Table<OwnerRow>
        size="small"
        rowKey="key"
        pagination={false}
        dataSource={value}
        locale={{ emptyText: '暂无业主，请添加' }}
        columns={[
          text('name', '姓名', 120),
          {
            title: '证件类型',
            width: 170,
            render: (_, o, i) => (
              <Select aria-label={`第 ${i + 1} 位业主证件类型`} value={o.idType} options={options(idType)} style={{ width: '100%' }} onChange={(v) => set(o.key, 'idType', v)} />
            ),
          },
          text('idNumber', '证件号码', 200),
          text('phone', '手机号码', 140),
          text('share', '份额', 90),
          {
            title: '操作',
            width: 70,
            render: (_, o, i) => (
              <Button size="small" danger aria-label={`删除第 ${i + 1} 位业主`} onClick={() => onChange(value.filter((x) => x.key !== o.key))}>
                删除
              </Button>
            ),
          },
        ]}
      />
      <Button onClick={() => onChange([...value, newOwner()])}>添加业主</Button>
    </Space>
  );
}

export function toOwnerInputs(rows: OwnerRow[]) {
  return rows.map((o) => ({
    name: o.name.trim(),
    idType: o.idType as 'RESIDENT_ID',
    idNumber: o.idNumber.trim().toUpperCase(),
    phone: o.phone.trim(),
    share: o.share?.trim() || null,
  }));
}
