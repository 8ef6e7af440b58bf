/**
 * 企业自查自报 (console): per enterprise of my scope this month's 自查次数, 自查发现数, 自改率 and 按期率 — each
 * rate with its numerator and denominator, every figure's definition on the page — and who has not reported.
 */
import { Fragment } from 'preact';
import { apiPath, request } from '../../api/http';
import { navigate } from '../../router';
import { localDayTime, localPeriod } from '../selfcheck/logic';
import { LoadState, StatCard, useLoad } from './ui';
import './selfcheck-figures.css';

interface FigureValue { value: number | null; text: string; numerator: number | null; denominator: number | null }
interface Definition { key: string; label: string; definition: string; is_rate: boolean; denominator_label: string | null }
interface SiteRow {
  site_id: number; site_name: string; grid_name: string; reported: boolean; zero_report: boolean;
  reported_at: string | null; on_time: boolean | null; figures: Record<string, FigureValue>;
}
interface Figures {
  period: string; period_label: string; ended: boolean; population: string; not_reported_definition: string;
  definitions: Definition[]; rows: SiteRow[]; totals: Record<string, FigureValue>;
  not_reported: { site_id: number; site_name: string; grid_name: string }[];
}

const COLUMNS = ['inspections', 'findings', 'self_rectified_rate', 'on_time_rate'] as const;

async function loadFigures(period: string): Promise<Figures> {
  return (await request<Figures>('GET', apiPath(`/self-checks/figures?period=${encodeURIComponent(period)}`))).data!;
}

/** The current month and the eleven before it, newest first: 「2026-12」, 「2026-11」 … */
export function recentPeriods(current: string, count = 12): string[] {
  let [year, month] = current.split('-').map(Number);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    out.push(`${year}-${String(month).padStart(2, '0')}`);
    [year, month] = month === 1 ? [year - 1, 12] : [year, month - 1];
  }
  return out;
}

const periodText = (p: string): string => `${Number(p.slice(0, 4))}年${Number(p.slice(5))}月`;

function header(d: Definition): string {
  return d.is_rate && d.denominator_label ? `${d.label}（÷ ${d.denominator_label}）` : d.label;
}

function reportCell(r: SiteRow): string {
  if (!r.reported) return '未报';
  return `已报${r.zero_report ? '（本月未发现隐患）' : ''}${r.on_time === false ? '·逾期' : ''}`;
}

function Table(props: { data: Figures }) {
  const defs = Object.fromEntries(props.data.definitions.map((d) => [d.key, d]));
  return (
    <div class="table-wrap">
      <table class="grid-table wide" data-testid="selfcheck-table">
        <thead><tr>
          <th>单位</th><th>网格</th><th>本期报告</th>
          {COLUMNS.map((k) => <th key={k} class="num">{header(defs[k])}</th>)}
        </tr></thead>
        <tbody>
          {props.data.rows.length === 0 && <tr><td colSpan={7} class="muted cell-title">管辖范围内没有已开通企业账号的单位。</td></tr>}
          {props.data.rows.map((r) => (
            <tr key={r.site_id} data-testid="selfcheck-row" data-site={r.site_id} data-name={r.site_name}>
              <td class="cell-title">{r.site_name}</td>
              <td data-label="网格">{r.grid_name}</td>
              <td data-label="本期报告" class={r.reported ? '' : 'bad'}>{reportCell(r)}
                {r.reported_at && <><br /><small>{localDayTime(r.reported_at)}</small></>}</td>
              {COLUMNS.map((k) => <td key={k} data-label={header(defs[k])} class="num" data-key={k}>{r.figures[k].text}</td>)}
            </tr>
          ))}
        </tbody>
        {props.data.rows.length > 0 && (
          <tfoot><tr data-testid="selfcheck-totals">
            <th colSpan={3}>合计（{props.data.rows.length} 家）</th>
            {COLUMNS.map((k) => <td key={k} class="num" data-key={k}>{props.data.totals[k].text}</td>)}
          </tr></tfoot>
        )}
      </table>
    </div>
  );
}

function Body(props: { data: Figures }) {
  const d = props.data;
  const reported = d.rows.filter((r) => r.reported).length;
  return (
    <>
      <div class="cards small">
        <StatCard label="应报单位" value={d.rows.length} testid="selfcheck-due" />
        <StatCard label="已报" value={reported} testid="selfcheck-reported" tone="ok" />
        <StatCard label={d.ended ? '未报告' : '尚未报告'} value={d.not_reported.length} testid="selfcheck-missing"
          tone={d.not_reported.length ? 'bad' : undefined} />
      </div>
      <p class="muted">{d.population}</p>
      <Table data={d} />
      <h2>{d.period_label}{d.ended ? '未报告' : '尚未报告'}的单位（{d.not_reported.length}）</h2>
      <p class="muted">{d.not_reported_definition}{d.ended ? '' : '本月尚未结束，截止日为本月最后一天。'}</p>
      {d.not_reported.length === 0 ? <p class="muted">全部已报。</p> : (
        <ul class="list" data-testid="selfcheck-not-reported">
          {d.not_reported.map((s) => <li key={s.site_id} data-site={s.site_id}>{s.site_name} <small class="muted">{s.grid_name}</small></li>)}
        </ul>
      )}
      <h2 class="selfcheck-legend">指标口径</h2>
      <dl class="facts" data-testid="selfcheck-definitions">
        {d.definitions.map((f) => <Fragment key={f.key}><dt>{f.label}</dt>
          <dd>{f.definition}{f.denominator_label ? ` 分母：${f.denominator_label}。` : ''}</dd></Fragment>)}
      </dl>
    </>
  );
}

export function SelfCheckFiguresPage(props: { query: URLSearchParams }) {
  const period = props.query.get('period') || localPeriod();
  const loaded = useLoad(() => loadFigures(period), [period]);
  return (
    <div data-testid="selfcheck-figures">
      <div class="page-head">
        <h1>企业自查自报</h1>
        <label class="inline">月份
          <select value={period} data-testid="selfcheck-period"
            onChange={(e) => navigate(`/console/selfchecks?period=${(e.target as HTMLSelectElement).value}`)}>
            {recentPeriods(localPeriod()).map((p) => <option key={p} value={p}>{periodText(p)}</option>)}
          </select></label>
      </div>
      <LoadState loaded={loaded}>{(d) => <Body data={d} />}</LoadState>
    </div>
  );
}
