// The pure part of the 楼盘表: the grid layout of a building's houses and the selection rules
// (click toggles, shift-click selects the range from the last click, locked houses never).

export interface PlanHouse {
  id: string;
  code: string;
  unit?: string | null;
  floor: number;
  roomNumber: string;
  address: string;
  status: string;
  buildingArea: string;
  salesStatus?: string;
  depositDue?: string;
  depositPaid?: string;
  unpaid?: string;
  balance?: string;
  owners?: { name: string }[];
  lockedBy?: { id: string; number: string } | null;
  /** the building's name: set by the picker on the houses it hands out (a snapshot has it too) */
  buildingName?: string;
}

/** "1栋 1单元 101": a chosen house named so that houses of several buildings tell apart. */
export function houseLabel(h: PlanHouse): string {
  return [h.buildingName, h.unit, h.roomNumber].filter(Boolean).join(' ');
}

export interface Plan {
  units: string[];
  floors: { floor: number; houses: PlanHouse[] }[];
}

export interface GridColumnGroup {
  unit: string;
  /** how many house columns the unit needs: its most houses on one floor */
  width: number;
}

export interface GridRow {
  floor: number;
  /** per unit group, its cells left to right; null pads a floor with fewer houses */
  cells: (PlanHouse | null)[][];
}

export interface Grid {
  groups: GridColumnGroup[];
  rows: GridRow[];
  /** the houses in reading order (floors top down, units left to right): the shift-click order */
  order: PlanHouse[];
}

const NO_UNIT = '';

function byRoom(a: PlanHouse, b: PlanHouse): number {
  return a.roomNumber.localeCompare(b.roomNumber, 'zh-CN', { numeric: true });
}

export function buildGrid(plan: Plan): Grid {
  const unitNames = [...plan.units];
  for (const f of plan.floors) {
    for (const h of f.houses) {
      const u = h.unit ?? NO_UNIT;
      if (!unitNames.includes(u)) unitNames.push(u);
    }
  }
  const floors = [...plan.floors].sort((a, b) => b.floor - a.floor);
  const perFloor = floors.map((f) => {
    const byUnit = new Map<string, PlanHouse[]>(unitNames.map((u) => [u, []]));
    for (const h of f.houses) byUnit.get(h.unit ?? NO_UNIT)!.push(h);
    for (const list of byUnit.values()) list.sort(byRoom);
    return { floor: f.floor, byUnit };
  });
  const groups = unitNames
    .map((unit) => ({ unit, width: Math.max(0, ...perFloor.map((f) => f.byUnit.get(unit)!.length)) }))
    .filter((g) => g.width > 0);
  const order: PlanHouse[] = [];
  const rows = perFloor.map(({ floor, byUnit }) => ({
    floor,
    cells: groups.map((g) => {
      const list = byUnit.get(g.unit)!;
      order.push(...list);
      return Array.from({ length: g.width }, (_, i) => list[i] ?? null);
    }),
  }));
  return { groups, rows, order };
}

export function isLocked(h: PlanHouse, ownApplicationId?: string | null): boolean {
  return !!h.lockedBy && h.lockedBy.id !== ownApplicationId;
}

/**
 * The selection after a click on `house`. A plain click toggles it; a shift-click selects every
 * house between the anchor (the last plain click) and it, in reading order, skipping locked ones.
 */
export function clickSelect(
  grid: Grid,
  selected: ReadonlySet<string>,
  house: PlanHouse,
  anchorId: string | null,
  shift: boolean,
  ownApplicationId?: string | null,
): Set<string> {
  const next = new Set(selected);
  if (isLocked(house, ownApplicationId)) return next;
  const anchorAt = anchorId ? grid.order.findIndex((h) => h.id === anchorId) : -1;
  if (shift && anchorAt >= 0) {
    const at = grid.order.findIndex((h) => h.id === house.id);
    const [from, to] = anchorAt <= at ? [anchorAt, at] : [at, anchorAt];
    for (const h of grid.order.slice(from, to + 1)) {
      if (!isLocked(h, ownApplicationId) && h.status !== 'CANCELLED') next.add(h.id);
    }
    return next;
  }
  if (next.has(house.id)) next.delete(house.id);
  else next.add(house.id);
  return next;
}

/** The list mode's search: room number, address, 房屋编号, unit or an owner's name. */
export function matches(h: PlanHouse, search: string): boolean {
  const q = search.trim();
  if (!q) return true;
  return (
    h.roomNumber.includes(q) ||
    h.address.includes(q) ||
    h.code.includes(q) ||
    (h.unit ?? '').includes(q) ||
    !!h.owners?.some((o) => o.name.includes(q))
  );
}
