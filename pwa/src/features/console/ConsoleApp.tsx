/**
 * 监管台 (supervisor console): its own full-width frame for a desk screen (still usable on a tablet), with
 * the overview, 超期督办, 风险地图, 挂牌督办, 通报 and 黑名单. Loaded lazily; needs the network.
 */
import { useEffect, useState } from 'preact/hooks';
import { authExpiredStore, sessionStore } from '../../app-state';
import { match } from '../../router';
import { useStore } from '../../store';
import { Banner } from '../../ui/components';
import { HazardPage } from '../hazards/HazardPage';
import { InspectionRecordPage } from '../inspection/InspectionRecordPage';
import { ImportPage } from './ImportPage';
import { ChecklistsAdminPage } from './ChecklistsAdminPage';
import { EnterpriseApplicationsPage } from './EnterpriseApplicationsPage';
import { FieldSitesReviewPage } from './FieldSitesReviewPage';
import { SiteAdminPage, SiteSearchPage } from './SiteAdminPage';
import { DeliveriesPage } from './DeliveriesPage';
import { DepartmentsPage } from './admin/DepartmentsPage';
import { RegionsPage } from './admin/RegionsPage';
import { UserPage, UsersPage } from './admin/UsersPage';
import { WebhooksPage } from './admin/WebhooksPage';
import { BlacklistCasePage, BlacklistPage } from './BlacklistPage';
import { CircularListPage, CircularPage } from './CircularsPage';
import { OverduePage } from './OverduePage';
import { OverviewPage } from './OverviewPage';
import { ProposalsPage } from './ProposalsPage';
import { RiskReviewsPage } from './RiskReviewsPage';
import { ReportPage, ReportsBadge, ReportsPage } from './ReportsPage';
import { SupervisedPage } from './SupervisedPage';
import { SelfCheckFiguresPage } from './SelfCheckFiguresPage';
import './console.css';

type MapPage = typeof import('./RiskMapPage').RiskMapPage;
let riskMapPage: MapPage | null = null;

/** The risk map brings ECharts' geo code: loaded when first opened, not with the overview. */
function LazyRiskMap(props: { query: URLSearchParams }) {
  const [Page, setPage] = useState<MapPage | null>(() => riskMapPage);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (Page) return;
    import('./RiskMapPage').then((m) => {
      riskMapPage = m.RiskMapPage;
      setPage(() => m.RiskMapPage);
    }).catch(() => setFailed(true));
  }, [Page]);
  if (failed) return <Banner kind="error">地图模块加载失败，请检查网络后刷新。</Banner>;
  return Page ? <Page query={props.query} /> : <p class="muted">正在加载地图…</p>;
}

const NAV: { href: string; label: string; prefix: string; roles?: string[] }[] = [
  { href: '/console', label: '总览', prefix: '/console' },
  { href: '/console/overdue', label: '超期督办', prefix: '/console/overdue' },
  { href: '/console/map', label: '风险地图', prefix: '/console/map' },
  { href: '/console/risk-reviews', label: '风险评估审核', prefix: '/console/risk-reviews', roles: ['supervisor', 'admin'] },
  { href: '/console/supervised', label: '挂牌督办', prefix: '/console/supervised' },
  { href: '/console/proposals', label: '督办建议', prefix: '/console/proposals' },
  { href: '/console/reports', label: '举报', prefix: '/console/reports' },
  { href: '/console/circulars', label: '通报', prefix: '/console/circulars' },
  { href: '/console/blacklist', label: '黑名单', prefix: '/console/blacklist' },
  { href: '/console/selfchecks', label: '企业自查自报', prefix: '/console/selfchecks' },
  // 批量导入: supervisors and administrators only (the server refuses the others).
  { href: '/console/imports', label: '批量导入', prefix: '/console/imports', roles: ['supervisor', 'admin'] },
  // 场所管理 and its two queues: supervisors and administrators (policy SITE_REVIEW, ENTERPRISE_APPLICATION_REVIEW …).
  { href: '/console/field-sites', label: '新增场所审核', prefix: '/console/field-sites', roles: ['supervisor', 'admin'] },
  { href: '/console/enterprise-applications', label: '企业注册审核', prefix: '/console/enterprise-applications',
    roles: ['supervisor', 'admin'] },
  { href: '/console/sites', label: '场所管理', prefix: '/console/sites', roles: ['supervisor', 'admin'] },
  // 投递记录 (SMS and other channels, provider refusals): supervisors and administrators (policy DELIVERY_VIEW).
  { href: '/console/deliveries', label: '投递记录', prefix: '/console/deliveries', roles: ['supervisor', 'admin'] },
  // 系统管理: users and grids for administrators and street supervisors (their own grids), departments for administrators.
  { href: '/console/admin/users', label: '用户', prefix: '/console/admin/users', roles: ['supervisor', 'admin'] },
  { href: '/console/admin/regions', label: '区域网格', prefix: '/console/admin/regions', roles: ['supervisor', 'admin'] },
  { href: '/console/admin/departments', label: '部门', prefix: '/console/admin/departments', roles: ['admin'] },
  // 检查表发布: administrators only (policy CHECKLIST_PUBLISH).
  { href: '/console/admin/checklists', label: '检查表发布', prefix: '/console/admin/checklists', roles: ['admin'] },
  // 对接系统（Webhook）: administrators only (policy WEBHOOK_MANAGE).
  { href: '/console/admin/webhooks', label: '对接系统（Webhook）', prefix: '/console/admin/webhooks', roles: ['admin'] },
];

/** An entry without roles is for everyone in the console; one with roles for those holding any of them. */
function holdsRole(grants: unknown[] | undefined, roles: string[] | undefined): boolean {
  return !roles || ((grants ?? []) as { role?: string }[]).some((g) => roles.includes(g.role ?? ''));
}

function screen(path: string, query: URLSearchParams): preact.JSX.Element {
  let p: Record<string, string> | null;
  if (path === '/console' || path === '/console/') return <OverviewPage query={query} />;
  if (path === '/console/overdue') return <OverduePage query={query} />;
  if (path === '/console/map') return <LazyRiskMap query={query} />;
  if (path === '/console/risk-reviews') return <RiskReviewsPage query={query} />;
  if (path === '/console/supervised') return <SupervisedPage query={query} />;
  if (path === '/console/proposals') return <ProposalsPage query={query} />;
  if (path === '/console/reports') return <ReportsPage query={query} />;
  if ((p = match('/console/reports/:id', path))) return <ReportPage key={p.id} id={Number(p.id)} />;
  if (path === '/console/circulars') return <CircularListPage query={query} />;
  if ((p = match('/console/circulars/:id', path))) return <CircularPage key={p.id} id={Number(p.id)} />;
  if (path === '/console/blacklist') return <BlacklistPage query={query} />;
  if (path === '/console/imports') return <ImportPage query={query} />;
  if (path === '/console/field-sites') return <FieldSitesReviewPage />;
  if (path === '/console/enterprise-applications') return <EnterpriseApplicationsPage query={query} />;
  if (path === '/console/sites') return <SiteSearchPage query={query} />;
  if ((p = match('/console/sites/:id', path))) return <SiteAdminPage key={p.id} id={Number(p.id)} />;
  if (path === '/console/deliveries') return <DeliveriesPage query={query} />;
  if (path === '/console/admin/users') return <UsersPage />;
  if ((p = match('/console/admin/users/:id', path))) return <UserPage key={p.id} id={Number(p.id)} />;
  if (path === '/console/admin/regions') return <RegionsPage query={query} />;
  if (path === '/console/admin/departments') return <DepartmentsPage />;
  if (path === '/console/admin/checklists') return <ChecklistsAdminPage />;
  if (path === '/console/admin/webhooks') return <WebhooksPage />;
  if (path === '/console/selfchecks') return <SelfCheckFiguresPage query={query} />;
  if ((p = match('/console/blacklist/:id', path))) return <BlacklistCasePage key={p.id} id={Number(p.id)} />;
  if ((p = match('/console/inspections/:id', path))) {
    return (
      <div class="console-hazard" data-testid="console-inspection">
        <div class="page-head"><h1>检查记录</h1>
          <button type="button" class="btn small" onClick={() => history.back()}>返回</button></div>
        <InspectionRecordPage key={p.id} id={Number(p.id)} />
      </div>
    );
  }
  if ((p = match('/console/hazards/:id', path))) {
    // 隐患详情: the field app's page already shows the timeline with actors and times, before/after photos
    // side by side, the documents and the 三标 references; the console shows it in its own frame.
    return (
      <div class="console-hazard" data-testid="console-hazard">
        <div class="page-head"><h1>隐患详情</h1>
          <button type="button" class="btn small" onClick={() => history.back()}>返回</button></div>
        <HazardPage key={p.id} id={Number(p.id)} />
      </div>
    );
  }
  return <p>页面不存在。<a href="/console">返回总览</a></p>;
}

export function ConsoleApp(props: { path: string; query: URLSearchParams }) {
  const session = useStore(sessionStore);
  const expired = useStore(authExpiredStore);
  const active = props.path === '/console' || props.path === '/console/' ? NAV[0]
    : NAV.slice(1).find((n) => props.path === n.prefix || props.path.startsWith(`${n.prefix}/`));
  // Inside ConsoleRoute's frame: its header is drawn before this chunk arrives, and stays.
  return (
    <div class="console-body">
      <nav class="console-nav" aria-label="监管台导航">
        <div class="console-nav-links">
          {NAV.filter((n) => holdsRole(session?.user.grants, n.roles)).map((n) => (
            <a key={n.href} href={n.href} aria-current={n === active ? 'page' : undefined}>{n.label}
              {n.href === '/console/reports' && <ReportsBadge path={props.path} />}</a>
          ))}
        </div>
      </nav>
      <main class="console-main">
        {expired && <Banner kind="error">登录已过期。<a href={`/login?next=${encodeURIComponent(props.path)}`}>重新登录</a></Banner>}
        {screen(props.path, props.query)}
      </main>
    </div>
  );
}
