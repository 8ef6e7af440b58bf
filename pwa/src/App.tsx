/** The app frame: top bar with reachability, banners, the routed screen and the tab bar. */
import { useEffect } from 'preact/hooks';
import {
  authExpiredStore, outboxStore, reachableStore, sessionStore, syncStore, watchReachability,
} from './app-state';
import { AccountPage, LogoutButton, PasswordForm } from './features/account/AccountPage';
import { HazardListPage } from './features/hazards/HazardListPage';
import { HazardPage } from './features/hazards/HazardPage';
import { InspectionPage } from './features/inspection/InspectionPage';
import { InspectionRecordPage } from './features/inspection/InspectionRecordPage';
import { LoginPage } from './features/login/LoginPage';
import { LazyPublicApp } from './features/public/LazyPublicApp';
import { isPublicOnlyPath, isPublicPath } from './features/public/paths';
import { OutboxPage } from './features/outbox/OutboxPage';
import { QrPage } from './features/site/QrPage';
import { RiskPage } from './features/risk/RiskPage';
import { SitePage } from './features/site/SitePage';
import { SiteListPage } from './features/sites/SiteListPage';
import { FieldSitePage } from './features/sites/FieldSitePage';
import { RegisterSitePage } from './features/sites/RegisterSitePage';
import { SnapPage } from './features/snap/SnapPage';
import { SelfCheckPage } from './features/selfcheck/SelfCheckPage';
import { Bell } from './features/inbox/Bell';
import { InboxPage } from './features/inbox/InboxPage';
import { PrefsPage } from './features/inbox/PrefsPage';
import { TodayPage } from './features/today/TodayPage';
import { appRole } from './features/hazards/logic';
import { canUseConsole } from './features/console/access';
import { ConsoleRoute } from './features/console/ConsoleRoute';
import { UNSENT_STATES } from './outbox/outbox';
import { match, navigate, useLocation } from './router';
import { useStore } from './store';
import { Banner, TabBar, TopBar } from './ui/components';

interface Screen {
  title: string;
  back?: string;
  body: preact.JSX.Element;
}

function route(path: string, query: URLSearchParams, enterprise: boolean): Screen {
  let p: Record<string, string> | null;
  if (path === '/') return { title: enterprise ? '我的整改' : '今日任务', body: <TodayPage /> };
  if (path === '/sites') return { title: '场所', body: <SiteListPage /> };
  if (path === '/sites/new') return { title: '新增场所', back: '/sites', body: <RegisterSitePage /> };
  if ((p = match('/field-sites/:id', path))) {
    return { title: '新增场所', back: '/sites', body: <FieldSitePage key={p.id} id={p.id} /> };
  }
  if ((p = match('/sites/:id', path))) {
    const qr = query.get('qr') ? { token: query.get('qr')!, scanned_at: query.get('at') ?? new Date().toISOString() } : null;
    return { title: '场所详情', back: '/sites', body: <SitePage key={p.id} id={Number(p.id)} qr={qr} /> };
  }
  if ((p = match('/sites/:id/risk', path))) {
    return { title: '风险分级管控', back: `/sites/${p.id}`, body: <RiskPage key={p.id} siteId={Number(p.id)} /> };
  }
  if ((p = match('/s/:token', path))) return { title: '扫码', body: <QrPage token={p.token} /> };
  if ((p = match('/inspections/:id', path))) {
    return { title: '检查记录', body: <InspectionRecordPage key={p.id} id={Number(p.id)} /> };
  }
  if ((p = match('/drafts/:id', path))) return { title: '检查', back: '/', body: <InspectionPage key={p.id} id={p.id} /> };
  if (path === '/hazards') return { title: '隐患', body: <HazardListPage filter={query.get('filter')} /> };
  if ((p = match('/hazards/:id', path))) {
    return { title: '隐患详情', back: '/hazards', body: <HazardPage key={p.id} id={Number(p.id)} /> };
  }
  if (path === '/outbox') return { title: '待发送', body: <OutboxPage /> };
  if (path === '/selfcheck') return { title: '每月自查自报', back: '/', body: <SelfCheckPage /> };
  if (path === '/account') return { title: '我的', body: <AccountPage /> };
  if (path === '/inbox') return { title: '消息', body: <InboxPage /> };
  if (path === '/inbox/settings') return { title: '通知设置', back: '/inbox', body: <PrefsPage /> };
  if (path === '/snap') {
    const site = Number(query.get('site')) || null;
    return { title: '随手拍', back: site ? `/sites/${site}` : undefined, body: <SnapPage siteId={site} /> };
  }
  return { title: '页面不存在', body: <p>页面不存在。<a href="/">返回今日任务</a></p> };
}

export function App(props: { warnings: string[] }) {
  const { path, query } = useLocation();
  const session = useStore(sessionStore);
  const reachable = useStore(reachableStore);
  const expired = useStore(authExpiredStore);
  const items = useStore(outboxStore);
  const sync = useStore(syncStore);
  useEffect(() => (session ? watchReachability() : undefined), [Boolean(session)]);

  // 我要举报, progress and 曝光台 are public for everyone, logged in or not.
  if (isPublicOnlyPath(path)) return <LazyPublicApp />;
  if (!session || path === '/login') {
    // A visitor without a session on a QR poster's address gets the public site page.
    if (!session && isPublicPath(path)) return <LazyPublicApp />;
    const next = path === '/login' ? query.get('next') : path + location.search;
    return <LoginPage next={next} expired={expired} />;
  }
  const enterprise = appRole(session.user.grants) === 'enterprise';
  const supervises = canUseConsole(session.user.grants);
  // An account someone else created (administrator, import, registration): its own password first, nothing
  // else — not even the console (the server refuses the rest too); leaving is always possible.
  if (session.user.must_change_password) {
    return (
      <div class="app">
        <TopBar title="设置新密码" />
        <main>
          <PasswordForm forced onDone={() => navigate('/', { replace: true })} />
          <LogoutButton />
        </main>
      </div>
    );
  }
  // 监管台: its own full-width frame, loaded as a separate chunk.
  if (supervises && (path === '/console' || path.startsWith('/console/'))) return <ConsoleRoute path={path} query={query} />;
  const screen = route(path, query, enterprise);
  const sending = items.find((i) => i.state === 'sending');
  const unsent = items.filter((i) => UNSENT_STATES.includes(i.state)).length;
  const badge = reachable === false
    ? <span class="badge offline" data-testid="net" data-online="false">离线</span>
    : <span class="badge online" data-testid="net" data-online={reachable ? 'true' : 'unknown'}>
      {sync.running ? '同步中' : '在线'}</span>;
  return (
    <div class="app">
      <TopBar title={screen.title} back={screen.back} right={<>{badge}<Bell path={path} />
        <a href="/account" class="account" aria-label="我的账号" data-testid="account-link">我的</a></>} />
      {sending && path !== '/outbox' && (
        <div class="syncbar" role="status" data-testid="sync-progress">
          正在发送「{sending.label}」{sending.photoIds.length
            ? `：照片 ${sending.uploadedPhotoIds.length}/${sending.photoIds.length}` : '…'}
        </div>
      )}
      <main>
        {expired && <Banner kind="error">登录已过期，数据仍安全保存在本机。<a href={`/login?next=${encodeURIComponent(path)}`}>重新登录</a>后自动继续发送。</Banner>}
        {props.warnings.map((w) => <Banner key={w}>{w}</Banner>)}
        {screen.body}
      </main>
      <TabBar path={path} unsent={unsent} enterprise={enterprise} console={supervises} />
    </div>
  );
}
