// 批量修改 / 逐个修改 of houses: the pure rules. Each row keeps the house as it is and the values
// typed for it; a batch sets the same values on every chosen row; only what differs from the
// house is sent.

export const EDITABLE = [
  'unit', 'floor', 'roomNumber', 'address', 'usage', 'buildingArea', 'innerArea', 'price', 'salesStatus',
  'realEstateUnitNumber', 'hasElevator', 'layout',
] as const;
export type Field = (typeof EDITABLE)[number];
export type Values = Partial<Record<Field, string | number | boolean | null>>;

export interface EditRow {
  houseId: string;
  label: string;
  original: Values;
  changes: Values;
}

const DECIMAL = /^\d{1,10}(\.\d{1,2})?$/;

export const FIELD_LABELS: Record<Field, string> = {
  unit: '单元', floor: '楼层', roomNumber: '房号', address: '坐落', usage: '用途', buildingArea: '建筑面积',
  innerArea: '套内面积', price: '房款', salesStatus: '销售状态', realEstateUnitNumber: '不动产单元号', hasElevator: '有无电梯',
  layout: '户型',
};

/** The value a field will have: the typed one, else the house's. */
export function current(row: EditRow, f: Field): Values[Field] {
  return f in row.changes ? row.changes[f] : row.original[f];
}

function blank(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
}

/** Sets the patch's non-blank values on the rows whose ids are chosen; blank fields leave rows as they are. */
export function applyBatch(rows: EditRow[], chosen: ReadonlySet<string>, patch: Values): EditRow[] {
  const set = Object.entries(patch).filter(([, v]) => !blank(v)) as [Field, Values[Field]][];
  if (!set.length) return rows;
  return rows.map((r) => {
    if (!chosen.has(r.houseId)) return r;
    const changes = { ...r.changes };
    for (const [f, v] of set) changes[f] = typeof v === 'string' ? v.trim() : v;
    return { ...r, changes };
  });
}

/** One row's edit (逐个修改): every field as given, blank meaning "as it was". */
export function applyOne(rows: EditRow[], houseId: string, values: Values): EditRow[] {
  return rows.map((r) => {
    if (r.houseId !== houseId) return r;
    const changes: Values = {};
    for (const f of EDITABLE) {
      const v = values[f];
      if (!blank(v) && String(v).trim() !== String(r.original[f] ?? '')) changes[f] = typeof v === 'string' ? v.trim() : v;
    }
    return { ...r, changes };
  });
}

/** What a row changes: the fields whose new value differs from the house's. */
export function changedFields(row: EditRow): Field[] {
  return EDITABLE.filter((f) => f in row.changes && String(row.changes[f] ?? '') !== String(row.original[f] ?? ''));
}

export interface RowProblem {
  houseId: string;
  field: Field;
  message: string;
}

/** What the form can tell before sending; the API checks the rest. */
export function validate(rows: EditRow[]): RowProblem[] {
  const out: RowProblem[] = [];
  for (const r of rows) {
    for (const f of changedFields(r)) {
      const v = r.changes[f];
      if ((f === 'buildingArea' || f === 'innerArea' || f === 'price') && !DECIMAL.test(String(v))) {
        out.push({ houseId: r.houseId, field: f, message: `${FIELD_LABELS[f]}应为不超过两位小数的非负数` });
      } else if (f === 'buildingArea' && Number(v) <= 0) {
        out.push({ houseId: r.houseId, field: f, message: '建筑面积应大于 0' });
      } else if (f === 'floor' && !/^-?\d{1,3}$/.test(String(v))) {
        out.push({ houseId: r.houseId, field: f, message: '楼层应为整数' });
      } else if ((f === 'roomNumber' || f === 'address') && blank(v)) {
        out.push({ houseId: r.houseId, field: f, message: `${FIELD_LABELS[f]}不能为空` });
      }
    }
    const area = Number(current(r, 'buildingArea'));
    const inner = current(r, 'innerArea');
    if (!blank(inner) && Number(inner) > area) {
      out.push({ houseId: r.houseId, field: 'innerArea', message: '套内面积不能大于建筑面积' });
    }
  }
  return out;
}

/** The mutation's items: one per house that changes anything, with only its changed fields. */
export function toItems(rows: EditRow[]): ({ houseId: string } & Values)[] {
  const items: ({ houseId: string } & Values)[] = [];
  for (const r of rows) {
    const fields = changedFields(r);
    if (!fields.length) continue;
    const item: { houseId: string } & Values = { houseId: r.houseId };
    for (const f of fields) {
      const v = r.changes[f];
      item[f] = f === 'floor' ? Number(v) : v;
    }
    items.push(item);
  }
  return items;
}
