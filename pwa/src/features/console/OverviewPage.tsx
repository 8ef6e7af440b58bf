/** 总览: the caller's scope at a glance — status cards, rate tables, trends, patrol coverage. */
import { useMemo, useState } from 'preact/hooks';
import type { HazardStatus } from '../../api/types';
import { formatTime } from '../../ui/components';
import { STATUS_LABELS } from '../hazards/logic';
import type { Overview, RateRow } from './api';
import { consoleApi, exportUrl, queryString } from './api';
import { overviewPath, takeEarly } from './early';
import { LazyChart as Chart } from './lazy-chart';
import { percent, sortRows, nextSort, type SortState } from './logic';
import { coverageOption, foundOption, trendOption } from './options';
import { ExportLink, LoadState, Section, SortHeader, StatCard, useLoad } from './ui';
import { ReportFigures } from './ReportsPage';
import { RiskLevelsCard } from './RiskLevelsCard';

const STATUS_ORDER: HazardStatus[] = ['found', 'exposed', 'assigned', 'rectifying', 'awaiting_verification', 'closed'];

type RateCol = 'name' | 'found' | 'closed' | 'overdue' | 'rectification_rate' | 'on_time_rate';

function RateTable<T extends RateRow>(props: { rows: T[]; title: string; testid: string; nameOf: (r: T) => string;
  linkOf?: (r: T) => string | null; keyOf: (r: T) => string | number | null }) {
  const [sort, setSort] = useState<SortState<RateCol> | null>(null);
  const rows = sortRows(props.rows, sort, (r, k) => (k === 'name' ? props.nameOf(r) : r[k]));
  const on = (k: RateCol) => setSort((s) => nextSort(s, k));
  return (
    <div class="table-wrap">
      <table class="grid-table" data-testid={props.testid}>
        <caption>{props.title}</caption>
        <thead><tr>
          <SortHeader label="名称" col="name" sort={sort} onSort={on} />
          <SortHeader label="发现" col="found" sort={sort} onSort={on} num />
          <SortHeader label="已闭环" col="closed" sort={sort} onSort={on} num />
          <SortHeader label="逾期" col="overdue" sort={sort} onSort={on} num />
          <SortHeader label="整改率" col="rectification_rate" sort={sort} onSort={on} num />
          <SortHeader label="按期整改率" col="on_time_rate" sort={sort} onSort={on} num />
        </tr></thead>
        <tbody>
          {rows.length === 0 && <tr><td colSpan={6} class="muted cell-title">暂无数据</td></tr>}
          {rows.map((r) => (
            <tr key={props.keyOf(r) ?? 'none'} data-key={props.keyOf(r) ?? 'none'}>
              <td class="cell-title">{props.linkOf?.(r) ? <a href={props.linkOf(r)!}>{props.nameOf(r)}</a> : props.nameOf(r)}</td>
              <td class="num" data-col="found" data-label="发现">{r.found}</td>
              <td class="num" data-col="closed" data-label="已闭环">{r.closed}</td>
              <td class="num" data-col="overdue" data-label="逾期">{r.overdue}</td>
              <td class="num" data-col="rectification_rate" data-label="整改率">{percent(r.rectification_rate)}</td>
              <td class="num" data-col="on_time_rate" data-label="按期整改率">{percent(r.on_time_rate)}
                {r.due !== undefined && r.on_time !== undefined && <span class="muted">（{r.on_time}/{r.due}）</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function OverviewBody(props: { data: Overview; scope: Record<string, string | null> }) {
  const { data } = props;
  const [unit, setUnit] = useState<'weeks' | 'months'>('weeks');
  const trend = useMemo(() => trendOption(data.trend[unit] ?? [], unit), [data, unit]);
  const grids = useMemo(() => coverageOption(data.patrol_coverage.by_grid), [data]);
  const inspectors = useMemo(() => coverageOption(data.patrol_coverage.by_inspector), [data]);
  const found = useMemo(() => foundOption(data.patrol_coverage.by_inspector), [data]);
  const withScope = (path: string, extra: Record<string, string> = {}) =>
    `${path}${queryString({ ...props.scope, ...extra })}`;
  const barHeight = (n: number) => `${Math.max(8, Math.min(30, n) * 1.9 + 3)}rem`;
  return (
    <>
      <div class="cards" data-testid="status-cards">
        <StatCard label="未闭环" value={data.open_total} testid="card-open_total" href={withScope('/console/overdue', { window: 'all_open' })} />
        <StatCard label="当前逾期" value={data.overdue_now} testid="card-overdue_now" tone="bad"
          href={withScope('/console/overdue', { window: 'overdue' })} />
        <StatCard label="本周到期" value={data.due_this_week} testid="card-due_this_week" tone="warn"
          href={withScope('/console/overdue', { window: 'due_soon' })} />
        <StatCard label="重大隐患（未闭环）" value={data.major_open} testid="card-major_open" tone="bad"
          href={withScope('/console/overdue', { window: 'all_open', level: 'major' })} />
        <StatCard label="挂牌督办" value={data.supervised_open} testid="card-supervised_open" tone="bad"
          href={withScope('/console/supervised')} />
      </div>
      <div class="cards small" data-testid="status-breakdown">
        {STATUS_ORDER.filter((s) => s in data.by_status).map((s) => (
          <StatCard key={s} label={STATUS_LABELS[s]} value={data.by_status[s] ?? 0} testid={`status-${s}`} />
        ))}
      </div>

      <div class="columns">
        <Section title="趋势" testid="trend" actions={
          <div class="chips" role="group" aria-label="趋势周期">
            <button type="button" aria-pressed={unit === 'weeks'} onClick={() => setUnit('weeks')}>按周</button>
            <button type="button" aria-pressed={unit === 'months'} onClick={() => setUnit('months')}>按月</button>
          </div>}>
          <Chart option={trend} testid="chart-trend" label="隐患发现、闭环与逾期趋势" />
          {(data.trend[unit] ?? []).every((p) => p.found === null && p.closed === null && p.overdue === null) && (
            <p class="muted" data-testid="trend-empty">该周期还没有每日统计快照（每天凌晨生成），趋势暂缺。</p>)}
        </Section>
        <Section title="整改率 · 按街道" testid="rates-street" actions={<ExportLink href={exportUrl('/console/overview.xlsx', props.scope)} />}>
          <RateTable rows={data.rates.by_street} title="按街道" testid="table-by_street" nameOf={(r) => r.name}
            keyOf={(r) => r.region_id} linkOf={(r) => `/console${queryString({ region_id: String(r.region_id) })}`} />
        </Section>
      </div>
      <div class="columns">
        <Section title="整改率 · 按部门" testid="rates-department" actions={<ExportLink href={exportUrl('/console/overview.xlsx', props.scope)} />}>
          <RateTable rows={data.rates.by_department} title="按部门" testid="table-by_department" nameOf={(r) => r.name}
            keyOf={(r) => r.department_id}
            linkOf={(r) => (r.department_id === null ? null
              : `/console${queryString({ region_id: props.scope.region_id, department_id: String(r.department_id) })}`)} />
        </Section>
        <Section title="整改率 · 按领域" testid="rates-domain" actions={<ExportLink href={exportUrl('/console/overview.xlsx', props.scope)} />}>
          <RateTable rows={data.rates.by_domain} title="按领域" testid="table-by_domain" nameOf={(r) => r.label} keyOf={(r) => r.domain} />
        </Section>
      </div>

      <p class="muted">巡查覆盖统计期：{data.patrol_coverage.period_start?.slice(0, 10)} 至 {data.patrol_coverage.period_end?.slice(0, 10)}</p>
      <div class="columns">
        <Section title="巡查覆盖率 · 按网格" testid="coverage-grid">
          {data.patrol_coverage.by_grid.length > 0
            ? <Chart option={grids} testid="chart-coverage-grid" label="各网格巡查覆盖率" height={barHeight(data.patrol_coverage.by_grid.length)} />
            : <p class="muted">暂无网格。</p>}
          <CoverageTable rows={data.patrol_coverage.by_grid.map((g) => ({ key: g.region_id, ...g }))} testid="table-coverage-grid" posters />
        </Section>
        <Section title="巡查覆盖率 · 按人员" testid="coverage-inspector">
          {data.patrol_coverage.by_inspector.length > 0
            ? <Chart option={inspectors} testid="chart-coverage-inspector" label="各巡查人员覆盖率" height={barHeight(data.patrol_coverage.by_inspector.length)} />
            : <p class="muted">暂无巡查人员。</p>}
          <CoverageTable rows={data.patrol_coverage.by_inspector.map((g) => ({ key: g.user_id, ...g }))} testid="table-coverage-inspector" found />
        </Section>
      </div>
      <Section title="各人员发现隐患数" testid="found-per-inspector">
        {data.patrol_coverage.by_inspector.length > 0
          ? <Chart option={found} testid="chart-found" label="各人员发现隐患数" height={barHeight(data.patrol_coverage.by_inspector.length)} />
          : <p class="muted">暂无数据。</p>}
      </Section>
      <p class="muted">数据截至 {formatTime(data.as_of)}</p>
    </>
  );
}

function CoverageTable(props: { rows: { key: number; name: string; sites: number; patrolled: number;
  share: number | null; hazards_found?: number }[]; testid: string; found?: boolean; posters?: boolean }) {
  const [sort, setSort] = useState<SortState<string> | null>(null);
  const rows = sortRows(props.rows, sort, (r, k) => (r as unknown as Record<string, number | string | null>)[k]);
  const on = (k: string) => setSort((s) => nextSort(s, k));
  return (
    <details class="table-details">
      <summary>明细表（{props.rows.length}）</summary>
      <div class="table-wrap">
        <table class="grid-table" data-testid={props.testid}>
          <thead><tr>
            <SortHeader label="名称" col="name" sort={sort} onSort={on} />
            <SortHeader label="场所" col="sites" sort={sort} onSort={on} num />
            <SortHeader label="已巡查" col="patrolled" sort={sort} onSort={on} num />
            <SortHeader label="覆盖率" col="share" sort={sort} onSort={on} num />
            {props.found && <SortHeader label="发现隐患" col="hazards_found" sort={sort} onSort={on} num />}
            {props.posters && <th>场所二维码</th>}
          </tr></thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.key} data-key={r.key}>
                <td class="cell-title">{r.name}</td><td class="num" data-col="sites" data-label="场所">{r.sites}</td>
                <td class="num" data-col="patrolled" data-label="已巡查">{r.patrolled}</td>
                <td class="num" data-col="share" data-label="覆盖率">{percent(r.share)}</td>
                {props.found && <td class="num" data-col="hazards_found" data-label="发现隐患">{r.hazards_found ?? 0}</td>}
                {props.posters && <td data-label="场所二维码"><a href={`/api/v1/regions/${r.key}/posters.pdf`} target="_blank"
                  rel="noopener" data-testid="grid-posters">打印（PDF）</a></td>}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}

export function OverviewPage(props: { query: URLSearchParams }) {
  const scope = { region_id: props.query.get('region_id'), department_id: props.query.get('department_id') };
  const loaded = useLoad(() => takeEarly(overviewPath(props.query), () => consoleApi.overview(scope)),
    [scope.region_id, scope.department_id]);
  const data = loaded.data;
  return (
    <div data-testid="overview">
      <div class="page-head">
        <h1>总览</h1>
        {data && <span class="scope" data-testid="scope">范围：{data.scope.region_name ?? '我的全部管辖范围'}
          {data.scope.department_name ? ` · ${data.scope.department_name}` : ''}</span>}
        {(scope.region_id || scope.department_id) && <a href="/console" class="btn small">返回我的全部范围</a>}
      </div>
      <LoadState loaded={loaded}>{(d) => <OverviewBody data={d} scope={scope} />}</LoadState>
      {/* After the overview has answered: painted below its figures, these cards neither race them for the phone's
          CPU nor, painted first in their place, become the page's largest first paint (LCP; issue 22). The
          report figures' request started beside the console's chunk all the same (early.ts). */}
      {(data !== null || loaded.error !== null) && <>
        <RiskLevelsCard regionId={scope.region_id} departmentId={scope.department_id} />
        <ReportFigures />
      </>}
    </div>
  );
}
