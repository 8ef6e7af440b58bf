/**
 * The public pages (群众端): the QR poster's site page, 我要举报, progress by tracking code and the
 * 曝光台. Their own lazy chunk: no session, no IndexedDB, no service worker, no offline outbox, so a
 * cheap phone or a WeChat in-app browser opens them quickly.
 */
import { useEffect } from 'preact/hooks';
import { match, useLocation } from '../../router';
import { ApplicationStatusPage, EnterpriseRegisterPage } from './EnterpriseRegisterPage';
import { ExposurePage } from './ExposurePage';
import { isPublicPath, isQrPath } from './paths';
import { ReportPage } from './ReportPage';
import { SitePublicPage } from './SitePublicPage';
import { TrackPage } from './TrackPage';
import './public.css';

interface Screen {
  title: string;
  body: preact.JSX.Element;
}

function route(path: string, query: URLSearchParams): Screen | null {
  let p: Record<string, string> | null;
  if ((p = match('/s/:token', path))) return { title: '场所安全公示', body: <SitePublicPage key={p.token} token={p.token} /> };
  if (path === '/report') {
    const site = query.get('site');
    return { title: '我要举报', body: <ReportPage key={site ?? ''} siteToken={site} /> };
  }
  if (path === '/r') return { title: '举报进度查询', body: <TrackPage code={null} /> };
  if ((p = match('/r/:code', path))) return { title: '举报进度查询', body: <TrackPage code={p.code} /> };
  if (path === '/exposure') return { title: '曝光台', body: <ExposurePage /> };
  if (path === '/enterprise-register') return { title: '企业注册', body: <EnterpriseRegisterPage /> };
  if ((p = match('/enterprise-register/:receipt', path))) {
    return { title: '企业注册 · 审核进度', body: <ApplicationStatusPage key={p.receipt} receipt={p.receipt} /> };
  }
  return null;
}

export function PublicApp() {
  const { path, query } = useLocation();
  const screen = isPublicPath(path) ? route(path.replace(/\/$/, '') || '/', query) : null;
  useEffect(() => {
    // A link out of the public pages (e.g. 工作人员登录) opens the field app, which boots on its own.
    if (!screen) location.reload();
  }, [screen === null]);
  if (!screen) return <p class="boot">正在打开…</p>;
  const tabs = [
    { href: '/report', label: '我要举报', active: path === '/report' },
    { href: '/exposure', label: '曝光台', active: path === '/exposure' },
    { href: '/r', label: '查进度', active: path.startsWith('/r/') || path === '/r' },
  ];
  return (
    <div class="app pub" data-testid="public-app">
      <header class="topbar"><h1>{screen.title}</h1></header>
      <main>
        {screen.body}
        <p class="pub-foot muted">
          安全隐患群众举报 · 举报人信息严格保密
          {/* An official who scanned a poster goes on to inspect that site once logged in. */}
          <br /><a href={isQrPath(path) ? `/login?next=${encodeURIComponent(path)}` : '/login'} target="_self">工作人员登录</a>
        </p>
      </main>
      <nav class="tabbar" aria-label="群众举报导航" style={{ gridTemplateColumns: `repeat(${tabs.length}, 1fr)` }}>
        {tabs.map((t) => <a key={t.href} href={t.href} aria-current={t.active ? 'page' : undefined}>{t.label}</a>)}
      </nav>
    </div>
  );
}
