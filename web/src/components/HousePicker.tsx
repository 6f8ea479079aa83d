// 楼盘表选择框: the estate's buildings on the left, the chosen building's 楼盘表 on the right
// (or its 列表 with search and checkboxes). The choice spans buildings.
import { useMemo, useState } from 'react';
import { Alert, Badge, Col, Empty, Input, Menu, Row, Segmented, Space, Spin, Table, Tag, Typography } from 'antd';
import { useQuery } from 'urql';
import { EstateBuildingsQuery, FloorPlanQuery } from './housePicker.gql';
import { FloorPlanGrid } from './FloorPlanGrid';
import { isLocked, matches, type Plan, type PlanHouse } from './floorPlanModel';
import { recordStatus, salesStatus } from '../labels';
import { errorText } from '../errors';

export interface HousePickerProps {
  estateId: string;
  value: PlanHouse[];
  onChange: (houses: PlanHouse[]) => void;
  ownApplicationId?: string | null;
  /** which houses may be chosen, beyond not locked and not cancelled */
  canChoose?: (h: PlanHouse) => boolean;
}

export function HousePicker({ estateId, value, onChange, ownApplicationId }: HousePickerProps) {
  const [{ data, fetching, error }] = useQuery({ query: EstateBuildingsQuery, variables: { id: estateId } });
  const buildings = data?.estate?.buildings ?? [];
  const [picked, setPicked] = useState<string | null>(null);
  const buildingId = picked ?? buildings[0]?.id ?? null;
  const [mode, setMode] = useState<'楼盘表' | '列表'>('楼盘表');
  const [search, setSearch] = useState('');
  const [plan] = useQuery({
    query: FloorPlanQuery,
    variables: { id: buildingId ?? '' },
    pause: !buildingId,
  });
  const floorPlan = plan.data?.building?.floorPlan as Plan | undefined;
  const selected = useMemo(() => new Set(value.map((h) => h.id)), [value]);
  // how many chosen houses each building holds, for the badge beside its name
  const countByBuilding = useMemo(() => {
    const counts = new Map<string, number>();
    const idOf = new Map(buildings.map((b) => [b.name, b.id]));
    for (const h of value) {
      const id = h.buildingName ? idOf.get(h.buildingName) : undefined;
      if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  }, [value, buildings]);

  /** the new choice within this building, keeping the houses chosen in other buildings */
  const choose = (ids: Set<string>, p: Plan) => {
    const here = p.floors.flatMap((f) => f.houses);
    const hereIds = new Set(here.map((h) => h.id));
    const elsewhere = value.filter((h) => !hereIds.has(h.id));
    const buildingName = plan.data?.building?.name;
    onChange([...elsewhere, ...here.filter((h) => ids.has(h.id)).map((h) => ({ ...h, buildingName }))]);
  };

  if (error) return <Alert type="error" showIcon message={errorText(error)} />;
  if (fetching && !data) return <Spin />;
  if (!buildings.length) return <Empty description="该物业区域尚无楼幢" />;

  const houses = floorPlan ? floorPlan.floors.flatMap((f) => f.houses).filter((h) => matches(h, search)) : [];

  return (
    <Row gutter={12} wrap={false}>
      <Col flex="180px">
        <Typography.Text strong id="picker-buildings">楼幢</Typography.Text>
        <Menu
          aria-labelledby="picker-buildings"
          mode="inline"
          style={{ borderInlineEnd: 0, maxHeight: 'calc(100vh - 260px)', overflow: 'auto' }}
          selectedKeys={buildingId ? [buildingId] : []}
          onClick={({ key }) => setPicked(key)}
          items={buildings.map((b) => ({
            key: b.id,
            label: (
              <Space size={4}>
                {b.name}
                {(countByBuilding.get(b.id) ?? 0) > 0 && <Badge count={countByBuilding.get(b.id)} size="small" />}
                {b.status === 'CANCELLED' && <Tag>已注销</Tag>}
              </Space>
            ),
          }))}
        />
      </Col>
      <Col flex="auto" style={{ minWidth: 0 }}>
        <Space style={{ marginBottom: 8 }} wrap>
          <Segmented<'楼盘表' | '列表'> options={['楼盘表', '列表']} value={mode} onChange={setMode} aria-label="显示方式" />
          {mode === '列表' && (
            <Input.Search
              allowClear
              aria-label="搜索房屋"
              placeholder="房号、坐落、房屋编号或业主"
              value={search}
              onChange={(e) => setSearch(e.target.value)}
              style={{ width: 260 }}
            />
          )}
          <Typography.Text type="secondary">已选 {value.length} 户（按住 Shift 点击可连选）</Typography.Text>
        </Space>
        {plan.error && <Alert type="error" showIcon message={errorText(plan.error)} />}
        {plan.fetching && !floorPlan && <Spin />}
        {floorPlan && mode === '楼盘表' && (
          <>
            <div className="fp-legend" aria-hidden>
              <span><i style={{ background: '#1677ff' }} />已选</span>
              <span><i style={{ background: '#fff1f0', borderColor: '#ffa39e' }} />已被其他业务单锁定</span>
              <span><i style={{ background: '#f5f5f5' }} />已注销</span>
            </div>
            <FloorPlanGrid
              plan={floorPlan}
              mode="select"
              selected={selected}
              onSelect={choose}
              ownApplicationId={ownApplicationId}
              caption={`${plan.data?.building?.name ?? ''} 楼盘表`}
            />
          </>
        )}
        {floorPlan && mode === '列表' && (
          <Table<PlanHouse>
            size="small"
            rowKey="id"
            dataSource={houses}
            pagination={{ pageSize: 50, showSizeChanger: false }}
            scroll={{ y: 'calc(100vh - 360px)' }}
            rowSelection={{
              selectedRowKeys: houses.filter((h) => selected.has(h.id)).map((h) => h.id),
              getCheckboxProps: (h) => ({
                disabled: isLocked(h, ownApplicationId) || h.status === 'CANCELLED',
                'aria-label': `选择 ${h.unit ?? ''}${h.roomNumber}`,
              }),
              onChange: (keys) => {
                // keys covers only the rows shown; keep the choice of rows the search hides
                const shown = new Set(houses.map((h) => h.id));
                const ids = new Set([...selected].filter((id) => !shown.has(id)));
                for (const k of keys) ids.add(String(k));
                choose(ids, floorPlan);
              },
            }}
            columns={[
              { title: '房屋编号', dataIndex: 'code', width: 150 },
              { title: '单元', dataIndex: 'unit', width: 70 },
              { title: '楼层', dataIndex: 'floor', width: 60 },
              { title: '房号', dataIndex: 'roomNumber', width: 80 },
              { title: '坐落', dataIndex: 'address', ellipsis: true },
              { title: '建筑面积', dataIndex: 'buildingArea', width: 90 },
              { title: '销售状态', dataIndex: 'salesStatus', width: 80, render: (v: string) => salesStatus[v] ?? v },
              {
                title: '状态',
                width: 160,
                render: (_: unknown, h: PlanHouse) =>
                  isLocked(h, ownApplicationId) ? (
                    <Tag color="red">已锁定 业务单号 {h.lockedBy?.number}</Tag>
                  ) : (
                    (recordStatus[h.status] ?? h.status)
                  ),
              },
            ]}
          />
        )}
      </Col>
    </Row>
  );
}
