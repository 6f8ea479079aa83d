// The 楼盘表 itself: floors top down, units as column groups, one button per house. Plain
// elements rather than an antd component per cell, so 500 houses render at once.
import { memo, useCallback, useMemo, useRef } from 'react';
import { buildGrid, clickSelect, isLocked, type Plan, type PlanHouse } from './floorPlanModel';
import { recordStatus, salesStatus } from '../labels';
import './FloorPlanPicker.css';

export interface FloorPlanGridProps {
  plan: Plan;
  /** choose houses (picker) or open them (browse) */
  mode: 'select' | 'view';
  selected?: ReadonlySet<string>;
  onSelect?: (next: Set<string>, plan: Plan) => void;
  onOpen?: (house: PlanHouse) => void;
  /** the application being edited: its own locks do not block */
  ownApplicationId?: string | null;
  caption?: string;
}

function floorLabel(f: number): string {
  return f < 0 ? `地下${-f}层` : `${f}层`;
}

function cellTitle(h: PlanHouse, locked: boolean): string {
  const parts = [`${h.unit ? h.unit + ' ' : ''}${h.roomNumber}`, h.address, `建筑面积 ${h.buildingArea} m²`];
  if (h.salesStatus) parts.push(salesStatus[h.salesStatus] ?? h.salesStatus);
  if (h.status !== 'ACTIVE') parts.push(recordStatus[h.status] ?? h.status);
  if (locked && h.lockedBy) parts.push(`已被业务单 ${h.lockedBy.number} 锁定`);
  return parts.join('，');
}

export const FloorPlanGrid = memo(function FloorPlanGrid({
  plan,
  mode,
  selected,
  onSelect,
  onOpen,
  ownApplicationId,
  caption,
}: FloorPlanGridProps) {
  const grid = useMemo(() => buildGrid(plan), [plan]);
  const anchor = useRef<string | null>(null);
  const chosen = selected ?? new Set<string>();

  const byId = useMemo(() => new Map(grid.order.map((h) => [h.id, h])), [grid]);
  const click = useCallback(
    (h: PlanHouse, shift: boolean) => {
      if (mode === 'view') {
        onOpen?.(h);
        return;
      }
      if (isLocked(h, ownApplicationId) || h.status === 'CANCELLED') return;
      const next = clickSelect(grid, chosen, h, anchor.current, shift, ownApplicationId);
      if (!shift) anchor.current = h.id;
      onSelect?.(next, plan);
    },
    [mode, onOpen, onSelect, grid, chosen, ownApplicationId, plan],
  );

  // one listener for the whole table rather than one closure per house: 500 houses render faster
  const onTableClick = useCallback(
    (e: React.MouseEvent<HTMLTableElement>) => {
      const button = (e.target as HTMLElement).closest('button[data-house]');
      const h = button ? byId.get(button.getAttribute('data-house')!) : undefined;
      if (h) click(h, e.shiftKey);
    },
    [byId, click],
  );

  if (!grid.rows.length) return <p>该楼幢尚无房屋</p>;

  return (
    <div className="fp-wrap">
      <table className="fp-table" aria-label={caption ?? '楼盘表'} onClick={onTableClick}>
        <thead>
          <tr>
            <th className="fp-floor" scope="col">楼层</th>
            {grid.groups.map((g) => (
              <th key={g.unit} colSpan={g.width} scope="colgroup">
                {g.unit || '（无单元）'}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {grid.rows.map((row) => (
            <tr key={row.floor}>
              <th className="fp-floor" scope="row">{floorLabel(row.floor)}</th>
              {row.cells.map((group, gi) =>
                group.map((h, i) => {
                  if (!h) return <td key={`${gi}-${i}`} className="fp-empty" />;
                  const locked = isLocked(h, ownApplicationId);
                  const cancelled = h.status === 'CANCELLED';
                  let cls = 'fp-cell';
                  if (locked) cls += ' fp-locked';
                  else if (cancelled) cls += ' fp-cancelled';
                  else if (mode === 'view' && h.depositDue !== undefined) {
                    cls += h.unpaid && h.unpaid !== '0.00' ? ' fp-unpaid' : ' fp-paid';
                  }
                  const sub =
                    locked && h.lockedBy
                      ? `🔒 ${h.lockedBy.number}`
                      : mode === 'view' && h.depositDue !== undefined
                        ? `应交 ${h.depositDue}`
                        : `${h.buildingArea} m²`;
                  const title = cellTitle(h, locked);
                  return (
                    <td key={h.id}>
                      <button
                        type="button"
                        data-house={h.id}
                        className={cls}
                        aria-pressed={mode === 'select' ? chosen.has(h.id) : undefined}
                        aria-disabled={mode === 'select' && (locked || cancelled) ? true : undefined}
                        aria-label={title}
                        title={title}
                      >
                        <span className="fp-room">{h.roomNumber}</span>
                        <span className="fp-sub">{sub}</span>
                      </button>
                    </td>
                  );
                }),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
});
