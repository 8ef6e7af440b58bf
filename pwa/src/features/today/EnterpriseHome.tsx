/** 企业首页: my hazards with their deadline countdown, the rectification orders, self-inspection. */
import { useEffect, useState } from 'preact/hooks';
import { apiPath } from '../../api/http';
import type { Hazard, HazardDocument } from '../../api/types';
import { hazardsChanged, sessionStore } from '../../app-state';
import { useStore } from '../../store';
import { ago, formatTime } from '../../ui/components';
import { HazardRow } from '../hazards/HazardListPage';
import { cachedHazard, cachedHazards } from '../hazards/data';
import { byUrgency, type Grant } from '../hazards/logic';
import { offlineDataStore } from '../sites/data';

interface Order extends HazardDocument {
  hazard: Hazard;
}

export function EnterpriseHome() {
  const session = useStore(sessionStore);
  const offline = useStore(offlineDataStore);
  const changed = useStore(hazardsChanged);
  const [hazards, setHazards] = useState<Hazard[] | null>(null);
  const [orders, setOrders] = useState<Order[]>([]);
  const [fetchedAt, setFetchedAt] = useState<string | null>(null);
  const sites = ((session?.user.grants ?? []) as (Grant & { site_name?: string })[]).filter((g) => g.site_id);

  useEffect(() => {
    void (async () => {
      const entry = await cachedHazards();
      const list = byUrgency(entry?.data ?? []);
      setHazards(list);
      setFetchedAt(entry?.fetchedAt ?? null);
      const found: Order[] = [];
      for (const h of list) {
        const detail = await cachedHazard(h.id);
        for (const d of detail?.data.documents ?? []) if (d.kind === 'order') found.push({ ...d, hazard: h });
      }
      setOrders(found);
    })();
  }, [offline.completedAt, changed]);

  const now = Date.now();
  const todo = hazards?.filter((h) => h.status === 'assigned' || h.status === 'rectifying') ?? [];
  return (
    <div>
      <p>您好，{session?.user.display_name}{sites.length ? `（${sites.map((s) => s.site_name).join('、')}）` : ''}。</p>
      <p class="muted" data-testid={offline.completedAt ? 'offline-ready' : 'offline-pending'}>
        {offline.running ? '正在更新离线数据…' : `数据更新于 ${ago(fetchedAt)}`}
      </p>
      <h2>需要整改 {hazards ? `（${todo.length}）` : ''}</h2>
      {!hazards ? <p>正在加载…</p> : todo.length === 0 ? <p class="muted">没有待整改的隐患。</p> : (
        <ul class="list" data-testid="my-hazards">{todo.map((h) => <HazardRow key={h.id} hazard={h} now={now} />)}</ul>
      )}
      <h2>整改通知书</h2>
      {orders.length === 0 ? <p class="muted">没有整改通知书。</p> : (
        <ul class="list" data-testid="orders">
          {orders.map((o) => (
            <li key={o.id}><a href={apiPath(`/documents/${o.id}`)} target="_blank" rel="noopener">
              {o.number} · {o.hazard.description}
              <br /><small>{formatTime(o.issued_at)} 下达{o.hazard.deadline_at ? ` · 期限 ${formatTime(o.hazard.deadline_at)}` : ''}</small>
            </a></li>
          ))}
        </ul>
      )}
      {hazards && hazards.length > todo.length && <>
        <h2>其他未闭环隐患</h2>
        <ul class="list">{hazards.filter((h) => !todo.includes(h)).map((h) => <HazardRow key={h.id} hazard={h} now={now} />)}</ul>
      </>}
      <h2>企业自查</h2>
      {sites.map((s) => <a key={s.site_id} class="btn block" href={`/sites/${s.site_id}`}>{s.site_name ?? '我的场所'}：开始自查</a>)}
    </div>
  );
}
