import { describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { buildGrid, clickSelect, matches, type Plan, type PlanHouse } from './floorPlanModel';
import { FloorPlanGrid } from './FloorPlanGrid';

function house(id: string, unit: string, floor: number, room: string, extra: Partial<PlanHouse> = {}): PlanHouse {
  return { id, code: `FW${id}`, unit, floor, roomNumber: room, address: `示例路${unit}${room}`, status: 'ACTIVE', buildingArea: '90.00', ...extra };
}

// two units, three floors; unit 2 has one house fewer on floor 1; one house locked by another application
const plan: Plan = {
  units: ['1单元', '2单元'],
  floors: [
    { floor: 3, houses: [house('a', '1单元', 3, '302'), house('b', '1单元', 3, '301'), house('c', '2单元', 3, '303')] },
    { floor: 2, houses: [house('d', '1单元', 2, '201'), house('e', '1单元', 2, '202', { lockedBy: { id: 'app9', number: 'YW9' } }), house('f', '2单元', 2, '203')] },
    { floor: 1, houses: [house('g', '1单元', 1, '101'), house('h', '1单元', 1, '102')] },
  ],
};

describe('buildGrid', () => {
  it('lays floors top down and units as column groups, rooms in order, padding short floors', () => {
    const grid = buildGrid(plan);
    expect(grid.groups).toEqual([{ unit: '1单元', width: 2 }, { unit: '2单元', width: 1 }]);
    expect(grid.rows.map((r) => r.floor)).toEqual([3, 2, 1]);
    expect(grid.rows[0].cells[0].map((h) => h?.roomNumber)).toEqual(['301', '302']);
    expect(grid.rows[2].cells[1]).toEqual([null]);
    expect(grid.order.map((h) => h.id)).toEqual(['b', 'a', 'c', 'd', 'e', 'f', 'g', 'h']);
  });
});

describe('clickSelect', () => {
  const grid = buildGrid(plan);
  const byId = (id: string) => grid.order.find((h) => h.id === id)!;

  it('toggles on a plain click', () => {
    const one = clickSelect(grid, new Set(), byId('a'), null, false);
    expect([...one]).toEqual(['a']);
    expect([...clickSelect(grid, one, byId('a'), 'a', false)]).toEqual([]);
  });

  it('selects the range from the anchor on shift-click, in either direction, skipping locked houses', () => {
    const down = clickSelect(grid, new Set(['b']), byId('f'), 'b', true);
    expect([...down].sort()).toEqual(['a', 'b', 'c', 'd', 'f']);
    const up = clickSelect(grid, new Set(), byId('b'), 'f', true);
    expect([...up].sort()).toEqual(['a', 'b', 'c', 'd', 'f']);
  });

  it('never selects a house another application holds, but the own application does not block', () => {
    expect([...clickSelect(grid, new Set(), byId('e'), null, false)]).toEqual([]);
    expect([...clickSelect(grid, new Set(), byId('e'), null, false, 'app9')]).toEqual(['e']);
  });
});

describe('matches (the 列表 search)', () => {
  it('finds by room, address, code, unit and owner', () => {
    const h = { ...house('x', '1单元', 1, '101'), owners: [{ name: '张三' }] };
    for (const q of ['101', '示例路', 'FWx', '1单元', '张三', '  ']) expect(matches(h, q)).toBe(true);
    expect(matches(h, '李四')).toBe(false);
  });
});

function Harness({ onChange }: { onChange: (ids: string[]) => void }) {
  const [selected, setSelected] = useState<Set<string>>(new Set());
  return (
    <FloorPlanGrid
      plan={plan}
      mode="select"
      selected={selected}
      onSelect={(next) => {
        setSelected(next);
        onChange([...next].sort());
      }}
    />
  );
}

describe('FloorPlanGrid', () => {
  it('chooses by click and shift-click, and shows a locked house with its 业务单号', async () => {
    const user = userEvent.setup();
    const onChange = vi.fn();
    render(<Harness onChange={onChange} />);
    expect(screen.getByRole('columnheader', { name: '1单元' })).toBeTruthy();
    expect(screen.getByRole('rowheader', { name: '3层' })).toBeTruthy();

    const locked = screen.getByRole('button', { name: /202.*已被业务单 YW9 锁定/ });
    expect(locked.getAttribute('aria-disabled')).toBe('true');
    expect(locked.textContent).toContain('YW9');
    await user.click(locked);
    expect(onChange).not.toHaveBeenCalled();

    await user.click(screen.getByRole('button', { name: /^1单元 301，/ }));
    expect(onChange).toHaveBeenLastCalledWith(['b']);
    await user.keyboard('{Shift>}');
    await user.click(screen.getByRole('button', { name: /^2单元 203，/ }));
    await user.keyboard('{/Shift}');
    expect(onChange).toHaveBeenLastCalledWith(['a', 'b', 'c', 'd', 'f']);
    expect(screen.getByRole('button', { name: /^1单元 302，/ }).getAttribute('aria-pressed')).toBe('true');
  });

  it('is reachable by keyboard: Tab to a house, Enter chooses it', async () => {
    const user = userEvent.setup();
    const onChange = vi.fn();
    render(<Harness onChange={onChange} />);
    await user.tab();
    expect(document.activeElement?.getAttribute('aria-label')).toMatch(/^1单元 301，/);
    await user.keyboard('{Enter}');
    expect(onChange).toHaveBeenLastCalledWith(['b']);
  });
});
