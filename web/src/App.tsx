import { lazy, Suspense, useMemo, useSyncExternalStore } from 'react';
import { App as AntApp, ConfigProvider, Spin } from 'antd';
import zhCN from 'antd/locale/zh_CN';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { Provider } from 'urql';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router-dom';
import { makeClient } from './client';
import { getToken } from './auth';
import { AppLayout } from './layout/AppLayout';
import { LoginPage } from './pages/login/LoginPage';

dayjs.locale('zh-cn');

// one chunk per menu: a page's module is loaded when its menu is first opened
const Register = lazy(() => import('./pages/login/RegisterPage'));
const estates = () => import('./pages/estates');
const payments = () => import('./pages/payments');
const org = () => import('./pages/org');
const EstateBrowse = lazy(() => estates().then((m) => ({ default: m.EstateBrowse })));
const Collection = lazy(() => estates().then((m) => ({ default: m.CollectionPage })));
const Applications = lazy(() => estates().then((m) => ({ default: m.ApplicationsPage })));
const ApplicationDetail = lazy(() => estates().then((m) => ({ default: m.ApplicationDetailPage })));
const InfoChange = lazy(() => estates().then((m) => ({ default: m.HouseChangePage })));
const SimpleChange = lazy(() => estates().then((m) => ({ default: m.HouseSetPage })));
const BuildingChange = lazy(() => estates().then((m) => ({ default: m.BuildingChangePage })));
const Supplement = lazy(() => estates().then((m) => ({ default: m.SupplementPage })));
const EstateChange = lazy(() => estates().then((m) => ({ default: m.EstateChangePage })));
const BuildingNotices = lazy(() => payments().then((m) => ({ default: m.BuildingNoticesPage })));
const OwnerNotices = lazy(() => payments().then((m) => ({ default: m.OwnerNoticesPage })));
const CustomNotices = lazy(() => payments().then((m) => ({ default: m.CustomNoticesPage })));
const Notices = lazy(() => payments().then((m) => ({ default: m.NoticesPage })));
const OrgInfo = lazy(() => org().then((m) => ({ default: m.OrgInfoPage })));
const OrgUsers = lazy(() => org().then((m) => ({ default: m.OrgUsersPage })));
const Password = lazy(() => org().then((m) => ({ default: m.PasswordPage })));

function subscribe(cb: () => void) {
  window.addEventListener('wxfund-token', cb);
  window.addEventListener('storage', cb);
  return () => {
    window.removeEventListener('wxfund-token', cb);
    window.removeEventListener('storage', cb);
  };
}

export function App() {
  const token = useSyncExternalStore(subscribe, getToken);
  // a new client per login: nothing cached for one user is shown to the next
  const client = useMemo(() => makeClient(), [token]);
  const page = (el: React.ReactNode) => <Suspense fallback={<Spin style={{ margin: 48 }} />}>{el}</Suspense>;
  return (
    <ConfigProvider locale={zhCN} theme={{ token: { borderRadius: 4 } }} button={{ autoInsertSpace: false }}>
      <AntApp>
        <Provider value={client}>
          <BrowserRouter>
            <Routes>
              <Route path="/login" element={token ? <Navigate to="/estates" replace /> : <LoginPage />} />
              <Route path="/register" element={page(<Register />)} />
              <Route element={token ? <AppLayout /> : <Navigate to="/login" replace />}>
                <Route index element={<Navigate to="/estates" replace />} />
                <Route path="estates" element={page(<EstateBrowse />)} />
                <Route path="estates/:estateId" element={page(<EstateBrowse />)} />
                <Route path="estates/:estateId/buildings/:buildingId" element={page(<EstateBrowse />)} />
                <Route path="apply/collection" element={page(<Collection />)} />
                <Route path="apply/estate-change" element={page(<EstateChange />)} />
                <Route path="apply/building-change" element={page(<BuildingChange />)} />
                <Route path="apply/supplement" element={page(<Supplement />)} />
                <Route path="apply/info-change" element={page(<InfoChange />)} />
                <Route path="apply/:kind" element={page(<SimpleChange />)} />
                <Route path="applications" element={page(<Applications />)} />
                <Route path="applications/:id" element={page(<ApplicationDetail />)} />
                <Route path="payments/building" element={page(<BuildingNotices />)} />
                <Route path="payments/owner" element={page(<OwnerNotices />)} />
                <Route path="payments/custom" element={page(<CustomNotices />)} />
                <Route path="payments/notices" element={page(<Notices />)} />
                <Route path="org/info" element={page(<OrgInfo />)} />
                <Route path="org/users" element={page(<OrgUsers />)} />
                <Route path="password" element={page(<Password />)} />
                <Route path="*" element={<Navigate to="/estates" replace />} />
              </Route>
            </Routes>
          </BrowserRouter>
        </Provider>
      </AntApp>
    </ConfigProvider>
  );
}
