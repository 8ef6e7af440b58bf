/** 企业首页: my hazards with their deadline countdown, the rectification orders, self-inspection. */
import { useEffect, useState } from 'preact/hooks';
import { apiPath } from '../../api/http';
import type { Hazard, HazardDetail, HazardDocument } from '../../api/types';
import { hazardsChanged, sessionStore } from '../../app-state';
import { useStore } from '../../store';
import { ago, formatTime } from '../../ui/components';
import { HazardRow } from '../hazards/HazardListPage';
import { cachedHazard, cachedHazards } from '../hazards/data';
import { byUrgency, type Grant } from '../hazards/logic';
import { MeasureChecks } from '../risk/MeasureChecks';
import { SelfCheckEntry } from '../selfcheck/SelfCheckEntry';
import { offlineDataStore } from '../sites/data';

interface Order extends HazardDocument {
  hazard: Hazard;
}

function monthDay(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return `${d.getFullYear()}年${d.getMonth() + 1}月${d.getDate()}日`;
}

/** 「已批准，整改期限延至 2026年12月20日」: the state of an extension request in the enterprise's words (local dates). */
export function extensionText(detail: Pick<HazardDetail, 'extension' | 'deadline_at'>): string | null {
  const ext = detail.extension;
  if (!ext) return null;
  if (ext.state === 'requested') {
    return `延期申请待审批：申请延至 ${monthDay(ext.requested_deadline)}（${monthDay(ext.requested_at)} 提交）。审批前请按原期限整改。`;
  }
  if (ext.state === 'approved') {
    return `延期申请已批准：整改期限延至 ${monthDay(detail.deadline_at ?? ext.requested_deadline)}`
      + `${ext.decision_note ? `。意见：${ext.decision_note}` : ''}（${monthDay(ext.decided_at)} 批准）。每项隐患只能申请一次延期。`;
  }
  if (ext.state === 'refused') {
    return `延期申请未获批准${ext.decision_note ? `：${ext.decision_note}` : ''}（${monthDay(ext.decided_at)}）。请按原期限 ${monthDay(detail.deadline_at)} 完成整改。`;
  }
  return null;
}

export function EnterpriseHome() {
  const session = useStore(sessionStore);
  const offline = useStore(offlineDataStore);
  const changed = useStore(hazardsChanged);
  const [hazards, setHazards] = useState<Hazard[] | null>(null);
  const [orders, setOrders] = useState<Order[]>([]);
  const [extensions, setExtensions] = useState<{ hazard: Hazard; text: string }[]>([]);
  const [fetchedAt, setFetchedAt] = useState<string | null>(null);
  const sites = ((session?.user.grants ?? []) as (Grant & { site_name?: string })[]).filter((g) => g.site_id);

  useEffect(() => {
    void (async () => {
      const entry = await cachedHazards();
      const list = byUrgency(entry?.data ?? []);
      setHazards(list);
      setFetchedAt(entry?.fetchedAt ?? null);
      const found: Order[] = [];
      const asked: { hazard: Hazard; text: string }[] = [];
      for (const h of list) {
        const detail = await cachedHazard(h.id);
        for (const d of detail?.data.documents ?? []) if (d.kind === 'order') found.push({ ...d, hazard: h });
        const text = detail ? extensionText(detail.data) : null;
        if (text) asked.push({ hazard: h, text });
      }
      setOrders(found);
      setExtensions(asked);
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
      {extensions.length > 0 && <>
        <h2>延期申请</h2>
        <ul class="list" data-testid="extensions">
          {extensions.map((e) => (
            <li key={e.hazard.id} data-id={e.hazard.id}><a href={`/hazards/${e.hazard.id}`}>
              {e.hazard.number} · {e.hazard.description}<br /><small data-testid="extension-state">{e.text}</small>
            </a></li>
          ))}
        </ul>
      </>}
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
      <MeasureChecks mode="self" />
      <h2>企业自查</h2>
      <SelfCheckEntry />
      {sites.map((s) => <a key={s.site_id} class="btn block" href={`/sites/${s.site_id}`}>{s.site_name ?? '我的场所'}：开始自查</a>)}
    </div>
  );
}
