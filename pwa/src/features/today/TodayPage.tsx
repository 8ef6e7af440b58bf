/**
 * 今日任务: 待复查 hazards of my grids, my open hazards against their deadlines, drafts, unsent work and 待巡查 sites
 * (the patrol plan, each row also carrying the site's due 控制措施检查 of the 街道/区 tiers).
 */
import { useEffect, useState } from 'preact/hooks';
import { PATROLS_KEY, refreshPatrols } from '../../api/data';
import type { Hazard, PatrolPlan, PatrolStatus } from '../../api/types';
import { hazardsChanged, outboxStore, sessionStore } from '../../app-state';
import { getCached } from '../../db/cache';
import { listDrafts } from '../../db/drafts';
import type { CacheEntry, Draft, OutboxItem } from '../../db/types';
import { UNSENT_STATES } from '../../outbox/outbox';
import { navigate } from '../../router';
import { useStore } from '../../store';
import { Banner, ago, formatTime } from '../../ui/components';
import { HazardRow } from '../hazards/HazardListPage';
import { cachedHazards } from '../hazards/data';
import { appRole, gridIds, todayLists } from '../hazards/logic';
import { startInspection } from '../inspection/start';
import { ScanButton } from '../scan/ScanButton';
import { cachedSites, checklistsForSite, offlineDataStore } from '../sites/data';
import { EnterpriseHome } from './EnterpriseHome';
import { patrolRows, patrolledCount, type LocalWork } from './patrols';

export function TodayPage() {
  const session = useStore(sessionStore);
  if (appRole(session?.user.grants) === 'enterprise') return <EnterpriseHome />;
  return <OfficialToday />;
}

function OfficialToday() {
  const session = useStore(sessionStore);
  const items = useStore(outboxStore);
  const offline = useStore(offlineDataStore);
  const changed = useStore(hazardsChanged);
  const [drafts, setDrafts] = useState<Draft[]>([]);
  const [siteCount, setSiteCount] = useState<number | null>(null);
  const [fetchedAt, setFetchedAt] = useState<string | null>(null);
  const [lists, setLists] = useState<{ toVerify: Hazard[]; open: Hazard[] } | null>(null);

  useEffect(() => {
    void listDrafts().then(setDrafts);
    void (async () => {
      const sites = await cachedSites();
      setSiteCount(sites?.data.length ?? null);
      setFetchedAt(sites?.fetchedAt ?? null);
      const hazards = await cachedHazards();
      const gridOf = new Map((sites?.data ?? []).map((s) => [s.id, s.grid_id]));
      const grids = gridIds(session?.user.grants);
      setLists(todayLists(hazards?.data ?? [], grids.length ? grids : null, (id) => gridOf.get(id)));
    })();
  }, [offline.completedAt, changed]);

  const unsent = items.filter((i) => UNSENT_STATES.includes(i.state));
  const attention = unsent.filter((i) => i.state === 'needs_attention').length;
  const now = Date.now();

  return (
    <div>
      <p>您好，{session?.user.display_name}。</p>
      <div class="stats">
        <a class="stat" href="/sites"><b>{siteCount ?? '—'}</b>我的场所</a>
        <a class="stat" href="/outbox"><b>{unsent.length}</b>待发送{attention ? `（${attention} 条需处理）` : ''}</a>
      </div>
      <p class="muted" data-testid={offline.completedAt ? 'offline-ready' : 'offline-pending'}>
        {offline.running ? '正在更新离线数据…' : `离线数据更新于 ${ago(fetchedAt)}`}
      </p>
      <ScanButton />

      <PatrolSection drafts={drafts} outbox={items} refreshedAt={offline.completedAt} />

      <h2>待复查 {lists ? `（${lists.toVerify.length}）` : ''}</h2>
      {!lists ? <p>正在加载…</p> : lists.toVerify.length === 0 ? <p class="muted">本网格没有等待复查的隐患。</p> : (
        <ul class="list" data-testid="to-verify">{lists.toVerify.map((h) => <HazardRow key={h.id} hazard={h} now={now} />)}</ul>
      )}

      <h2>我的未闭环隐患 {lists ? `（${lists.open.length}）` : ''}</h2>
      {lists && (lists.open.length === 0 ? <p class="muted">没有正在整改的隐患。</p> : (
        <ul class="list" data-testid="my-open">{lists.open.slice(0, 20).map((h) => <HazardRow key={h.id} hazard={h} now={now} />)}</ul>
      ))}
      {lists && lists.open.length > 20 && <a href="/hazards?filter=rectify">查看全部 {lists.open.length} 项</a>}

      <h2>我的草稿</h2>
      {drafts.length === 0 ? <p class="muted">没有未完成的检查。</p> : (
        <ul class="list">
          {drafts.map((d) => (
            <li key={d.id}>
              <a href={`/drafts/${d.id}`}>
                {d.siteName} · {d.checklistTitle}
                <br /><small>已答 {Object.keys(d.answers).length} 项 · 保存于 {formatTime(d.updatedAt)}</small>
              </a>
            </li>
          ))}
        </ul>
      )}

    </div>
  );
}

const PATROL_ROWS = 20;
const LOCAL_WORK: Record<Exclude<LocalWork, null>, string> = {
  draft: '有未完成的检查', unsent: '已检查，待发送', sent: '已检查，已发送',
};

/**
 * 待巡查: the cached patrol plan (overdue first), revalidated when reachable, with the sites' due control measure
 * checks in the same rows; a row starts the inspection of its site.
 */
function PatrolSection(props: { drafts: Draft[]; outbox: OutboxItem[]; refreshedAt: string | null }) {
  const [entry, setEntry] = useState<CacheEntry<PatrolPlan> | null | undefined>(undefined);
  const [all, setAll] = useState(false);
  const [busy, setBusy] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    void getCached<PatrolPlan>(PATROLS_KEY).then((cached) => {
      if (live) setEntry((current) => current ?? cached ?? null);
    });
    // Offline or logged out: the cached copy stays, with its age shown.
    void refreshPatrols().then((fresh) => live && setEntry(fresh)).catch(() => undefined);
    return () => {
      live = false;
    };
  }, [props.refreshedAt]);

  /**
   * One checklist applies: straight into the form; several: the site page lets the user choose — unless the site
   * owes only measure checks whose items are all in one checklist, which then opens.
   */
  async function begin(status: PatrolStatus, patrolDue: boolean) {
    const { site } = status;
    setError(null);
    setBusy(site.id);
    try {
      const { items } = await checklistsForSite(site);
      const measureLists = status.measure_checks?.checklist_ids ?? [];
      const chosen = items.length === 1 ? items[0]
        : !patrolDue && measureLists.length === 1 ? items.find((c) => c.id === measureLists[0]) : undefined;
      if (!chosen) {
        navigate(`/sites/${site.id}`);
        return;
      }
      const draft = await startInspection(site, chosen, { mode: 'routine' });
      navigate(`/drafts/${draft.id}`);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(null);
    }
  }

  const now = Date.now();
  const rows = patrolRows(entry?.data, entry?.fetchedAt ?? null, props.drafts, props.outbox, now);
  const count = patrolledCount(entry?.data, now);
  const overdue = rows.filter((r) => r.overdue && (r.local === null || r.local === 'draft')).length;
  const shown = all ? rows : rows.slice(0, PATROL_ROWS);
  return (
    <>
      <h2>待巡查场所 {entry ? `（${rows.length}${overdue ? `，逾期 ${overdue}` : ''}）` : ''}</h2>
      {entry === undefined ? <p>正在加载…</p> : entry === null
        ? <p class="muted">本机还没有巡查计划，联网后自动下载。</p> : <>
          <p class="muted" data-testid="patrol-freshness">
            本期已巡查 {count.done} / {count.total} · 巡查计划更新于 {ago(entry.fetchedAt)}
          </p>
          {error && <Banner kind="error">{error}</Banner>}
          {rows.length === 0 ? <p class="muted">本期所有场所均已巡查，控制措施均已检查。</p> : (
            <ul class="list" data-testid="patrols-due">
              {shown.map((r) => (
                <li key={r.status.site.id} data-testid="patrol-due" data-site={r.status.site.id}
                  data-overdue={r.overdue ? 'true' : 'false'} data-patrol={r.patrolDue ? 'due' : 'done'}
                  data-measures={r.status.measure_checks?.count ?? 0}>
                  <div class="row" style="display:flex;gap:.5rem;align-items:center">
                    <a href={`/sites/${r.status.site.id}`} style="flex:1;text-decoration:none;color:inherit">
                      <b>{r.status.site.name}</b>
                      {r.overdue && <> <span class="badge level-major">逾期</span></>}
                      <br /><small>{r.status.site.grid_name ? `${r.status.site.grid_name} · ` : ''}
                        {r.status.period_label}巡查 · {r.patrolDue ? r.last : '本期已巡查'}</small>
                      {r.patrolDue && <><br /><span class={`deadline${r.patrolOverdue ? ' urgent' : ''}`}>
                        巡查：{r.due}</span></>}
                      {r.measures && <><br /><small data-testid="patrol-measures">{r.measures.reason}</small>
                        <br /><span class={`deadline${r.measures.overdue ? ' urgent' : ''}`}>措施检查：{r.measures.due}</span></>}
                      {r.local && <small> · {LOCAL_WORK[r.local]}</small>}
                    </a>
                    <button type="button" class="btn small" data-testid="start-patrol" disabled={busy !== null}
                      onClick={() => void begin(r.status, r.patrolDue)}>
                      {busy === r.status.site.id ? '正在打开…' : r.patrolDue ? '开始巡查' : '开始检查'}
                    </button>
                  </div>
                </li>
              ))}
            </ul>
          )}
          {!all && rows.length > PATROL_ROWS && (
            <button type="button" class="btn block" onClick={() => setAll(true)}>显示全部 {rows.length} 个场所</button>
          )}
        </>}
    </>
  );
}
