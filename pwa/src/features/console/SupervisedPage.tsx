/** 挂牌督办: each supervised hazard with its supervising authority, 治理方案 status and deadline. */
import { useState } from 'preact/hooks';
import { LEVEL_LABELS, STATUS_LABELS } from '../hazards/logic';
import type { SupervisedRow } from './api';
import { consoleApi, exportUrl } from './api';
import { PLAN_STATUS_LABELS, day, nextSort, sortRows, type SortState } from './logic';
import { ExportLink, LoadState, SortHeader, useLoad } from './ui';

type Col = 'number' | 'supervising_authority' | 'supervised_at' | 'plan_status' | 'deadline_at' | 'days_overdue';

function Table(props: { rows: SupervisedRow[] }) {
  const [sort, setSort] = useState<SortState<Col> | null>({ key: 'days_overdue', dir: 'desc' });
  const rows = sortRows(props.rows, sort, (r, k) => r[k]);
  const on = (k: Col) => setSort((s) => nextSort(s, k));
  return (
    <div class="table-wrap">
      <table class="grid-table wide" data-testid="supervised-table">
        <thead><tr>
          <SortHeader label="隐患" col="number" sort={sort} onSort={on} />
          <th>场所</th>
          <SortHeader label="督办单位" col="supervising_authority" sort={sort} onSort={on} />
          <SortHeader label="挂牌时间" col="supervised_at" sort={sort} onSort={on} />
          <SortHeader label="治理方案" col="plan_status" sort={sort} onSort={on} />
          <SortHeader label="整改期限" col="deadline_at" sort={sort} onSort={on} />
          <SortHeader label="逾期（工作日）" col="days_overdue" sort={sort} onSort={on} num />
          <th>状态</th>
        </tr></thead>
        <tbody>
          {rows.length === 0 && <tr><td colSpan={8} class="muted cell-title">没有挂牌督办的隐患。</td></tr>}
          {rows.map((r) => (
            <tr key={r.hazard_id} data-testid="supervised-row" data-id={r.hazard_id}>
              <td class="cell-title"><a href={`/console/hazards/${r.hazard_id}`}>{r.number}</a>
                {' '}<span class={`badge level-${r.level}`}>{LEVEL_LABELS[r.level] ?? r.level}</span><br /><small>{r.title}</small></td>
              <td data-label="场所">{r.site?.name}</td>
              <td data-label="督办单位">{r.supervising_authority ?? '—'}</td>
              <td data-label="挂牌时间">{day(r.supervised_at)}</td>
              <td data-label="治理方案">{PLAN_STATUS_LABELS[r.plan_status] ?? '—'}</td>
              <td data-label="整改期限">{day(r.deadline_at) || '—'}</td>
              <td data-label="逾期（工作日）" class={`num${r.days_overdue > 0 ? ' bad' : ''}`}>{r.days_overdue}</td>
              <td data-label="状态">{STATUS_LABELS[r.status as keyof typeof STATUS_LABELS] ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function SupervisedPage(props: { query: URLSearchParams }) {
  const scope = { region_id: props.query.get('region_id'), department_id: props.query.get('department_id') };
  const loaded = useLoad(() => consoleApi.supervised(scope), [scope.region_id, scope.department_id]);
  return (
    <div data-testid="supervised">
      <div class="page-head">
        <h1>挂牌督办</h1>
        <span class="muted">{loaded.data ? `共 ${loaded.data.total} 项` : ''}</span>
        <ExportLink href={exportUrl('/console/supervised.xlsx', scope)} />
      </div>
      <LoadState loaded={loaded}>{(d) => <Table rows={d.items} />}</LoadState>
    </div>
  );
}
