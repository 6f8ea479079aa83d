// The shell of every signed-in screen: the manual's left menu (机构管理, 物业区域管理, 交款管理),
// the user's name, 修改密码 and 退出.
import { Suspense, useEffect } from 'react';
import { Button, Layout, Menu, Space, Spin, Typography } from 'antd';
import { Outlet, useLocation, useNavigate } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { MeQuery, LogoutMutation } from '../session.gql';
import { onUnauthenticated } from '../client';
import { isUnauthenticated } from '../errors';

const MENU = [
  {
    key: 'org',
    label: '机构管理',
    children: [
      { key: '/org/info', label: '信息变更' },
      { key: '/org/users', label: '机构用户管理' },
    ],
  },
  {
    key: 'estates',
    label: '物业区域管理',
    children: [
      { key: '/estates', label: '物业区域' },
      { key: '/apply/collection', label: '物业区域采集' },
      { key: '/apply/estate-change', label: '物业区域变更' },
      { key: '/apply/building-change', label: '楼幢变更' },
      { key: '/apply/split-merge', label: '房屋拆分合并' },
      { key: '/apply/supplement', label: '房屋补充' },
      { key: '/apply/info-change', label: '房屋信息变更' },
      { key: '/apply/ownership', label: '房屋权属批量变更' },
      { key: '/apply/cancellation', label: '房屋注销' },
      { key: '/applications', label: '业务单' },
    ],
  },
  {
    key: 'payments',
    label: '交款管理',
    children: [
      { key: '/payments/building', label: '开发建设单位批量交款' },
      { key: '/payments/owner', label: '代打交款通知单' },
      { key: '/payments/custom', label: '自定义交款' },
      { key: '/payments/notices', label: '交款通知单' },
    ],
  },
];

function selectedKey(path: string): string {
  const keys = MENU.flatMap((g) => g.children.map((c) => c.key)).sort((a, b) => b.length - a.length);
  return keys.find((k) => path === k || path.startsWith(k + '/')) ?? '';
}

export function AppLayout() {
  const navigate = useNavigate();
  const location = useLocation();
  const [me] = useQuery({ query: MeQuery, requestPolicy: 'cache-first' });
  const [, logout] = useMutation(LogoutMutation);

  useEffect(() => {
    if (isUnauthenticated(me.error) || (me.data && !me.data.me)) onUnauthenticated();
  }, [me.error, me.data]);

  const key = selectedKey(location.pathname);
  const open = MENU.find((g) => g.children.some((c) => c.key === key))?.key;

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Header style={{ display: 'flex', alignItems: 'center', justifyContent: 'space-between', padding: '0 24px' }}>
        <Typography.Text strong style={{ color: '#fff', fontSize: 18 }}>
          维修资金 开发建设单位门户
        </Typography.Text>
        <Space>
          <Typography.Text style={{ color: '#fff' }}>
            {me.data?.me?.organization?.name} {me.data?.me?.name}
          </Typography.Text>
          <Button size="small" onClick={() => navigate('/password')}>修改密码</Button>
          <Button
            size="small"
            onClick={async () => {
              await logout({});
              onUnauthenticated();
              navigate('/login');
            }}
          >
            退出
          </Button>
        </Space>
      </Layout.Header>
      <Layout>
        <Layout.Sider width={232} theme="light" breakpoint="lg" collapsedWidth={0}>
          <nav aria-label="主菜单">
            <Menu
              mode="inline"
              selectedKeys={[key]}
              defaultOpenKeys={open ? [open, 'estates'] : ['estates']}
              items={MENU}
              onClick={({ key: k }) => navigate(k)}
              style={{ height: '100%', borderInlineEnd: 0 }}
            />
          </nav>
        </Layout.Sider>
        <Layout.Content style={{ padding: 16, minWidth: 0 }}>
          <main style={{ background: '#fff', padding: 16, borderRadius: 6, minHeight: 'calc(100vh - 96px)' }}>
            <Suspense fallback={<Spin />}>
              <Outlet />
            </Suspense>
          </main>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
