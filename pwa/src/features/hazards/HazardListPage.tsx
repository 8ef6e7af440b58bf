/** 隐患: the open hazards in my scope, from the offline copy at once and refreshed when reachable; 台账 export. */
import { useEffect, useState } from 'preact/hooks';
import type { Hazard } from '../../api/types';
import { hazardsChanged } from '../../app-state';
import { useStore } from '../../store';
import { ago } from '../../ui/components';
import { cachedHazards, refreshHazards } from './data';
import { byUrgency, countdown, ledgerExportPath, LEVEL_LABELS, STATUS_LABELS } from './logic';

type Filter = 'all' | 'verify' | 'rectify' | 'overdue';
const FILTERS: [Filter, string][] = [['all', '全部未闭环'], ['verify', '待复查'], ['rectify', '整改中'], ['overdue', '已逾期']];

function matches(h: Hazard, filter: Filter, now: number): boolean {
  if (filter === 'verify') return h.status === 'awaiting_verification';
  if (filter === 'rectify') return h.status === 'assigned' || h.status === 'rectifying';
  if (filter === 'overdue') return h.overdue || Boolean(countdown(h.deadline_at, now)?.overdue);
  return true;
}

export function Deadline(props: { hazard: Hazard; now?: number }) {
  const c = (props.hazard.status === 'assigned' || props.hazard.status === 'rectifying')
    ? countdown(props.hazard.deadline_at, props.now) : null;
  if (!c) return null;
  return <span class={`deadline${c.urgent ? ' urgent' : ''}`} data-testid="countdown">{c.text}</span>;
}

export function HazardRow(props: { hazard: Hazard; now?: number }) {
  const h = props.hazard;
  return (
    <li>
      <a href={`/hazards/${h.id}`} data-testid="hazard-row" data-id={h.id}>
        <b>{h.site_name}</b> <Deadline hazard={h} now={props.now} />
        <br />{h.description}
        <br /><small>{h.number} · {STATUS_LABELS[h.status]} · {LEVEL_LABELS[h.level]}隐患</small>
      </a>
    </li>
  );
}

export function HazardListPage(props: { filter?: string | null }) {
  const changed = useStore(hazardsChanged);
  const [hazards, setHazards] = useState<Hazard[] | null>(null);
  const [fetchedAt, setFetchedAt] = useState<string | null>(null);
  const [stale, setStale] = useState(false);
  const [filter, setFilter] = useState<Filter>((props.filter as Filter) || 'all');

  useEffect(() => {
    let live = true;
    void (async () => {
      const cached = await cachedHazards();
      if (live && cached) {
        setHazards(cached.data);
        setFetchedAt(cached.fetchedAt);
      }
      try {
        const fresh = await refreshHazards();
        if (!live) return;
        setHazards(fresh.data);
        setFetchedAt(fresh.fetchedAt);
        setStale(false);
      } catch {
        if (live) {
          setStale(true);
          if (!cached) setHazards([]);
        }
      }
    })();
    return () => {
      live = false;
    };
  }, [changed]);

  const now = Date.now();
  const shown = hazards ? byUrgency(hazards.filter((h) => matches(h, filter, now))) : null;
  return (
    <div>
      <div class="chips" role="group" aria-label="筛选">
        {FILTERS.map(([value, label]) => (
          <button key={value} type="button" aria-pressed={filter === value} onClick={() => setFilter(value)}>
            {label}{hazards ? ` ${hazards.filter((h) => matches(h, value, now)).length}` : ''}
          </button>
        ))}
      </div>
      <a class="btn block" href={ledgerExportPath(filter)} download data-testid="ledger-export">
        导出隐患台账（Excel · 当前筛选：{FILTERS.find(([v]) => v === filter)?.[1]}）</a>
      <p class="muted" data-testid="hazards-fetched-at">
        {stale ? '离线，显示本机副本 · ' : ''}隐患数据更新于 {ago(fetchedAt)}
      </p>
      {shown === null ? <p>正在加载…</p> : shown.length === 0 ? <p class="muted">没有符合条件的隐患。</p> : (
        <ul class="list" data-testid="hazard-list">
          {shown.map((h) => <HazardRow key={h.id} hazard={h} now={now} />)}
        </ul>
      )}
    </div>
  );
}
