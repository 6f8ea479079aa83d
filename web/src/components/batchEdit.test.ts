import { describe, expect, it } from 'vitest';
import { applyBatch, applyOne, changedFields, toItems, validate, type EditRow } from './batchEdit';

const rows = (): EditRow[] =>
  ['h1', 'h2', 'h3'].map((id, i) => ({
    houseId: id,
    label: `10${i + 1}`,
    original: { unit: '1单元', floor: 1, roomNumber: `10${i + 1}`, buildingArea: '90.00', innerArea: null, usage: 'RESIDENTIAL', salesStatus: 'SOLD' },
    changes: {},
  }));

describe('批量修改', () => {
  it('sets the filled fields on the checked rows only, leaving blank fields and other rows alone', () => {
    const out = applyBatch(rows(), new Set(['h1', 'h3']), { innerArea: ' 61.50 ', usage: undefined, price: '' });
    expect(out.map((r) => r.changes)).toEqual([{ innerArea: '61.50' }, {}, { innerArea: '61.50' }]);
  });

  it('sends one item per changed house with only its changed fields', () => {
    let r = applyBatch(rows(), new Set(['h1', 'h2']), { innerArea: '61.50', salesStatus: 'SOLD' });
    r = applyOne(r, 'h2', { ...r[1].original, roomNumber: '109', innerArea: '61.50' });
    expect(toItems(r)).toEqual([
      { houseId: 'h1', innerArea: '61.50' },
      { houseId: 'h2', roomNumber: '109', innerArea: '61.50' },
    ]);
    expect(changedFields(r[2])).toEqual([]);
  });

  it('逐个修改 back to the old value is no change', () => {
    const r = applyOne(rows(), 'h1', { roomNumber: '101', floor: 1 });
    expect(toItems(r)).toEqual([]);
  });

  it('validates before sending: areas, floors, required text and inner ≤ building area', () => {
    let r = applyBatch(rows(), new Set(['h1']), { buildingArea: '-3' });
    r = applyBatch(r, new Set(['h2']), { innerArea: '95.00' });
    r = applyOne(r, 'h3', { floor: '二', roomNumber: '103' });
    expect(validate(r).map((p) => [p.houseId, p.field])).toEqual([
      ['h1', 'buildingArea'],
      ['h2', 'innerArea'],
      ['h3', 'floor'],
    ]);
    expect(validate(applyBatch(rows(), new Set(['h1']), { innerArea: '80.5' }))).toEqual([]);
  });
});
