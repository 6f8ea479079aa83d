// 物业区域: estates → buildings → the 楼盘表 with each house's status, 应交, 已交, 余额 and owners.
// Each level is one query; the URL holds where the user is.
import { useCallback, useEffect, useState } from 'react';
import { Alert, Breadcrumb, Descriptions, Drawer, Input, Space, Spin, Statistic, Table, Tag, Typography } from 'antd';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { useQuery } from 'urql';
import { EstateQuery, EstatesQuery } from './estates.gql';
import { FloorPlanQuery } from '../../components/housePicker.gql';
import { FloorPlanGrid } from '../../components/FloorPlanGrid';
import type { Plan, PlanHouse } from '../../components/floorPlanModel';
import { errorText } from '../../errors';
import { depositTiming, idType, recordStatus, salesStatus, structure, usage, yuan } from '../../labels';

export function EstateBrowse() {
  const { estateId, buildingId } = useParams();
  if (estateId && buildingId) return <BuildingPlan estateId={estateId} buildingId={buildingId} />;
  if (estateId) return <EstateDetail estateId={estateId} />;
  return <EstateList />;
}

const statusTag = (s: string) => <Tag color={s === 'ACTIVE' ? 'green' : s === 'PENDING' ? 'gold' : 'default'}>{recordStatus[s] ?? s}</Tag>;

function EstateList() {
  const [params, setParams] = useSearchParams();
  const search = params.get('q') ?? '';
  const [{ data, fetching, error }] = useQuery({ query: EstatesQuery, variables: { search: search || null } });
  const navigate = useNavigate();
  return (
    <>
      <Typography.Title level={4}>物业区域</Typography.Title>
      <Input.Search
        aria-label="搜索物业区域"
        placeholder="物业区域名称或编号"
        defaultValue={search}
        allowClear
        onSearch={(v) => setParams(v ? { q: v } : {})}
        style={{ width: 320, marginBottom: 12 }}
      />
      {error && <Alert type="error" showIcon message={errorText(error)} />}
      <Table
        size="middle"
        rowKey={(r) => r.id}
        loading={fetching && !data}
        dataSource={data?.estates.edges.map((e) => e.node) ?? []}
        onRow={(r) => ({ onClick: () => navigate(`/estates/${r.id}`) })}
        pagination={{ pageSize: 20 }}
        columns={[
          { title: '物业区域编号', dataIndex: 'code', width: 150 },
          { title: '物业区域名称', dataIndex: 'name', render: (v, r) => <Link to={`/estates/${r.id}`}>{v}</Link> },
          { title: '行政区域', dataIndex: 'district', width: 100 },
          { title: '坐落', dataIndex: 'address', ellipsis: true },
          { title: '户数', dataIndex: 'houseCount', width: 80, align: 'right' },
          { title: '应交', dataIndex: 'depositDue', width: 130, align: 'right', render: yuan },
          { title: '已交', dataIndex: 'depositPaid', width: 130, align: 'right', render: yuan },
          { title: '余额', dataIndex: 'balance', width: 130, align: 'right', render: yuan },
          { title: '状态', dataIndex: 'status', width: 90, render: statusTag },
        ]}
      />
    </>
  );
}

function EstateDetail({ estateId }: { estateId: string }) {
  const [{ data, fetching, error }] = useQuery({ query: EstateQuery, variables: { id: estateId } });
  const navigate = useNavigate();
  const e = data?.estate;
  if (error) return <Alert type="error" showIcon message={errorText(error)} />;
  if (fetching && !e) return <Spin />;
  if (!e) return <Alert type="warning" message="找不到该物业区域" />;
  return (
    <>
      <Breadcrumb items={[{ title: <Link to="/estates">物业区域</Link> }, { title: e.name }]} />
      <Typography.Title level={4} style={{ marginTop: 8 }}>{e.name}</Typography.Title>
      <Descriptions size="small" column={3} bordered style={{ marginBottom: 16 }}>
        <Descriptions.Item label="物业区域编号">{e.code}</Descriptions.Item>
        <Descriptions.Item label="行政区域">{e.district}</Descriptions.Item>
        <Descriptions.Item label="状态">{statusTag(e.status)}</Descriptions.Item>
        <Descriptions.Item label="坐落" span={2}>{e.address}</Descriptions.Item>
        <Descriptions.Item label="交存时点">{depositTiming[e.depositTiming]}</Descriptions.Item>
        <Descriptions.Item label="专户银行">{e.bank.name}</Descriptions.Item>
        <Descriptions.Item label="户数">{e.houseCount}</Descriptions.Item>
        <Descriptions.Item label="总建筑面积">{e.totalBuildingArea} m²</Descriptions.Item>
      </Descriptions>
      <Space size={48} style={{ marginBottom: 16 }}>
        <Statistic title="应交" value={e.depositDue} prefix="¥" />
        <Statistic title="已交" value={e.depositPaid} prefix="¥" />
        <Statistic title="余额" value={e.balance} prefix="¥" />
      </Space>
      <Table
        size="middle"
        rowKey={(r) => r.id}
        dataSource={e.buildings}
        pagination={false}
        onRow={(r) => ({ onClick: () => navigate(`/estates/${e.id}/buildings/${r.id}`) })}
        columns={[
          { title: '楼幢', dataIndex: 'name', render: (v, r) => <Link to={`/estates/${e.id}/buildings/${r.id}`}>{v}</Link> },
          { title: '坐落', dataIndex: 'address', ellipsis: true },
          { title: '建成年份', dataIndex: 'builtYear', width: 90 },
          { title: '结构', dataIndex: 'structure', width: 110, render: (v) => (v ? structure[v] : '') },
          { title: '户数', dataIndex: 'houseCount', width: 70, align: 'right' },
          { title: '应交', dataIndex: 'depositDue', width: 120, align: 'right', render: yuan },
          { title: '已交', dataIndex: 'depositPaid', width: 120, align: 'right', render: yuan },
          { title: '余额', dataIndex: 'balance', width: 120, align: 'right', render: yuan },
          {
            title: '状态',
            width: 170,
            render: (_, r) => (
              <Space size={4}>
                {statusTag(r.status)}
                {r.lockedBy && <Tag color="red">业务单 {r.lockedBy.number}</Tag>}
              </Space>
            ),
          },
        ]}
      />
    </>
  );
}

type FullHouse = PlanHouse & {
  usage?: string;
  owners?: { id: string; name: string; idType: string; idNumber: string; phone: string; share?: string | null }[];
};

function BuildingPlan({ estateId, buildingId }: { estateId: string; buildingId: string }) {
  const [{ data, fetching, error }] = useQuery({ query: FloorPlanQuery, variables: { id: buildingId } });
  const [open, setOpen] = useState<FullHouse | null>(null);
  // stable, so opening a house does not re-render the 楼盘表 (FloorPlanGrid is memoised)
  const openHouse = useCallback((h: PlanHouse) => setOpen(h as FullHouse), []);
  const b = data?.building;
  // once the 楼盘表 is up and the browser idle, mount the details drawer hidden (with the first
  // house), so the first click only fills it in rather than building it and its styles
  const [warm, setWarm] = useState(false);
  useEffect(() => {
    if (!b || warm) return;
    const idle = window.requestIdleCallback ?? ((cb: () => void) => window.setTimeout(cb, 50));
    idle(() => setWarm(true));
  }, [b, warm]);
  const shown = open ?? (warm ? ((b?.floorPlan.floors[0]?.houses[0] as FullHouse | undefined) ?? null) : null);
  if (error) return <Alert type="error" showIcon message={errorText(error)} />;
  if (fetching && !b) return <Spin />;
  if (!b) return <Alert type="warning" message="找不到该楼幢" />;
  return (
    <>
      <Breadcrumb
        items={[
          { title: <Link to="/estates">物业区域</Link> },
          { title: <Link to={`/estates/${estateId}`}>{b.estate.name}</Link> },
          { title: b.name },
        ]}
      />
      <Space size={40} style={{ margin: '8px 0' }} wrap>
        <Typography.Title level={4} style={{ margin: 0 }}>{b.name} 楼盘表</Typography.Title>
        <Statistic title="户数" value={b.houseCount} />
        <Statistic title="应交" value={b.depositDue} prefix="¥" />
        <Statistic title="已交" value={b.depositPaid} prefix="¥" />
        <Statistic title="余额" value={b.balance} prefix="¥" />
      </Space>
      <div className="fp-legend" aria-hidden>
        <span><i style={{ background: '#f6ffed', borderColor: '#b7eb8f' }} />已交清</span>
        <span><i style={{ background: '#fffbe6', borderColor: '#ffe58f' }} />未交清</span>
        <span><i style={{ background: '#fff1f0', borderColor: '#ffa39e' }} />业务单办理中</span>
        <span><i style={{ background: '#f5f5f5' }} />已注销</span>
      </div>
      <FloorPlanGrid plan={b.floorPlan as Plan} mode="view" onOpen={openHouse} caption={`${b.name} 楼盘表`} />
      <Drawer open={!!open} forceRender={warm} onClose={() => setOpen(null)} width={520} title={shown ? `${shown.unit ?? ''} ${shown.roomNumber}` : ''}>
        {shown && (
          <>
            <Descriptions size="small" column={2} bordered>
              <Descriptions.Item label="房屋编号" span={2}>{shown.code}</Descriptions.Item>
              <Descriptions.Item label="坐落" span={2}>{shown.address}</Descriptions.Item>
              <Descriptions.Item label="用途">{usage[shown.usage ?? ''] ?? shown.usage}</Descriptions.Item>
              <Descriptions.Item label="建筑面积">{shown.buildingArea} m²</Descriptions.Item>
              <Descriptions.Item label="销售状态">{salesStatus[shown.salesStatus ?? ''] ?? ''}</Descriptions.Item>
              <Descriptions.Item label="状态">{statusTag(shown.status)}</Descriptions.Item>
              <Descriptions.Item label="应交">{yuan(shown.depositDue)}</Descriptions.Item>
              <Descriptions.Item label="已交">{yuan(shown.depositPaid)}</Descriptions.Item>
              <Descriptions.Item label="未交">{yuan(shown.unpaid)}</Descriptions.Item>
              <Descriptions.Item label="余额">{yuan(shown.balance)}</Descriptions.Item>
              {shown.lockedBy && (
                <Descriptions.Item label="办理中的业务单" span={2}>
                  <Link to={`/applications/${shown.lockedBy.id}`}>{shown.lockedBy.number}</Link>
                </Descriptions.Item>
              )}
            </Descriptions>
            <Typography.Title level={5} style={{ marginTop: 16 }}>业主</Typography.Title>
            <Table
              size="small"
              rowKey="id"
              pagination={false}
              dataSource={shown.owners ?? []}
              locale={{ emptyText: '无业主信息' }}
              columns={[
                { title: '姓名', dataIndex: 'name' },
                { title: '证件类型', dataIndex: 'idType', render: (v) => idType[v] ?? v },
                { title: '证件号码', dataIndex: 'idNumber' },
                { title: '电话', dataIndex: 'phone' },
                { title: '份额', dataIndex: 'share' },
              ]}
            />
          </>
        )}
      </Drawer>
    </>
  );
}
