/**
 * 总览's 风险等级 card: the sites of my scope counted by level (红橙黄蓝) and the sites whose level changed in the
 * last period (from the audit chain's risk_level_changed / risk_levels_changed events), narrowed by the overview's
 * region and department filters like the other cards. Loads on its own after the overview's numbers, so it never
 * holds them up.
 */
import { useEffect, useState } from 'preact/hooks';
import { apiPath, request } from '../../api/http';
import { queryString } from './api';
import { Banner, formatTime } from '../../ui/components';
import type { RiskLevel } from './api';
import { RISK_COLOURS, RISK_LABELS } from './logic';
import { Section } from './ui';
import '../risk/risk.css';

interface LevelChange {
  site_id: number; site_name: string; from: RiskLevel | null; to: RiskLevel | null; at: string;
  override: boolean; direction: 'up' | 'down';
}
interface RiskOverview {
  counts: Record<RiskLevel, number>; total: number; days: number; since: string;
  raised: number; lowered: number; changes: LevelChange[];
}

const ORDER: RiskLevel[] = ['red', 'orange', 'yellow', 'blue'];
const PERIODS = [7, 30, 90];

function Level(props: { level: RiskLevel | null }) {
  if (!props.level) return <span>—</span>;
  return <span><i class="swatch" style={{ background: RISK_COLOURS[props.level] }} />{RISK_LABELS[props.level]}</span>;
}

export function RiskLevelsCard(props: { regionId?: string | null; departmentId?: string | null }) {
  const [days, setDays] = useState(30);
  const [data, setData] = useState<RiskOverview | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    setError(null);
    // After the first paint: the overview's own figures go first.
    const timer = setTimeout(() => {
      const query = queryString({ days: String(days), region_id: props.regionId, department_id: props.departmentId });
      request<RiskOverview>('GET', apiPath(`/risk/overview${query}`), { expectJson: true })
        .then((r) => live && setData(r.data as RiskOverview))
        .catch(() => live && setError('风险等级暂时无法加载。'));
    }, 0);
    return () => { live = false; clearTimeout(timer); };
  }, [days, props.regionId, props.departmentId]);

  const mapHref = `/console/map${props.regionId ? `?region_id=${props.regionId}` : ''}`;
  return (
    <Section title="场所风险等级" testid="risk-levels-card" actions={
      <div class="chips" role="group" aria-label="统计期">
        {PERIODS.map((d) => <button key={d} type="button" aria-pressed={days === d} onClick={() => setDays(d)}>近 {d} 天</button>)}
      </div>}>
      {error && <Banner kind="error">{error}</Banner>}
      {!data && !error && <p class="muted">正在加载…</p>}
      {data && <>
        <div class="cards small">
          {ORDER.map((l) => (
            <a key={l} class="stat-card" href={mapHref} data-testid={`risk-count-${l}`} data-value={data.counts[l] ?? 0}>
              <span class="stat-label"><i class="swatch" style={{ background: RISK_COLOURS[l] }} />{RISK_LABELS[l]}</span>
              <b>{data.counts[l] ?? 0}</b>
            </a>))}
        </div>
        <p data-testid="risk-changes-summary" data-total={data.total}>近 {data.days} 天等级变化：升级 <b>{data.raised}</b> 家，降级 <b>{data.lowered}</b> 家
          <span class="muted">（自 {formatTime(data.since)} 起，共 {data.total} 家在册场所）</span></p>
        {data.changes.length > 0 && (
          <table class="table" data-testid="risk-changes">
            <thead><tr><th>场所</th><th>原等级</th><th>现等级</th><th>时间</th></tr></thead>
            <tbody>{data.changes.map((c) => (
              <tr key={c.site_id} data-testid="risk-change" data-site={c.site_name} data-direction={c.direction}>
                <td><a href={`/sites/${c.site_id}/risk`}>{c.site_name}</a></td>
                <td><Level level={c.from} /></td>
                <td><Level level={c.to} />{c.direction === 'up' ? ' ↑' : ' ↓'}
                  {c.override && <> <span class="badge">人工调整</span></>}</td>
                <td>{formatTime(c.at)}</td>
              </tr>))}</tbody>
          </table>)}
      </>}
    </Section>
  );
}
