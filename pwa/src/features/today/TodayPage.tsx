/** 今日任务: 待复查 hazards of my grids, my open hazards against their deadlines, drafts and unsent work. */
import { useEffect, useState } from 'preact/hooks';
import type { Hazard } from '../../api/types';
import { hazardsChanged, outboxStore, sessionStore } from '../../app-state';
import { listDrafts } from '../../db/drafts';
import type { Draft } from '../../db/types';
import { UNSENT_STATES } from '../../outbox/outbox';
import { useStore } from '../../store';
import { ago, formatTime } from '../../ui/components';
import { HazardRow } from '../hazards/HazardListPage';
import { cachedHazards } from '../hazards/data';
import { appRole, gridIds, todayLists } from '../hazards/logic';
import { ScanButton } from '../scan/ScanButton';
import { cachedSites, offlineDataStore } from '../sites/data';
import { EnterpriseHome } from './EnterpriseHome';

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

      <h2>待巡查场所</h2>
      <p class="muted">巡查计划（每个场所按周期巡查、逾期优先）将在巡查计划接口上线后显示。现在请从“场所”进入。</p>
    </div>
  );
}
