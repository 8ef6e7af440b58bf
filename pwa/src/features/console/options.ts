/** ECharts options for the console's charts, built as plain data (no ECharts import, unit-tested). */
import type { GridCoverage, InspectorCoverage, RiskFeature, TrendPoint } from './api';
import {
  NO_RISK_COLOUR, RISK_COLOURS, RISK_LABELS, densityBins, densityColour, gridKey, inverseMercator, mercator,
} from './logic';

const PALETTE = ['#0b3d91', '#0a6b2a', '#b00020'];

/** Trend lines: found / closed / overdue per week or month (oldest first). */
export function trendOption(points: TrendPoint[], unit: 'weeks' | 'months'): Record<string, unknown> {
  const label = (iso: string) => (unit === 'months' ? iso.slice(0, 7) : iso.slice(5, 10));
  return {
    color: PALETTE,
    tooltip: { trigger: 'axis' },
    legend: { data: ['新发现', '已闭环', '逾期'], top: 0 },
    grid: { left: 40, right: 16, top: 36, bottom: 28 },
    xAxis: { type: 'category', data: points.map((p) => label(p.period_start)), boundaryGap: false },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: '新发现', type: 'line', data: points.map((p) => p.found), symbolSize: 6 },
      { name: '已闭环', type: 'line', data: points.map((p) => p.closed), symbolSize: 6 },
      { name: '逾期', type: 'line', data: points.map((p) => p.overdue), symbolSize: 6 },
    ],
    animation: false,
  };
}

/** Horizontal bars of patrol coverage (share of sites patrolled this period) per grid or inspector. */
export function coverageOption(rows: (GridCoverage | InspectorCoverage)[]): Record<string, unknown> {
  const shown = rows.slice(0, 30);
  return {
    color: ['#0b3d91'],
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
    yAxis: { type: 'category', inverse: true, data: shown.map((r) => r.name) },
    series: [{
      name: '巡查覆盖率', type: 'bar', barMaxWidth: 18,
      data: shown.map((r) => (r.share === null ? 0 : Math.round(r.share * 1000) / 10)),
      label: { show: true, position: 'right', formatter: '{c}%' },
    }],
    animation: false,
  };
}

/** Bars of hazards found per inspector (top 30). */
export function foundOption(rows: InspectorCoverage[]): Record<string, unknown> {
  const shown = [...rows].sort((a, b) => b.hazards_found - a.hazards_found).slice(0, 30);
  return {
    color: ['#e85d04'],
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', inverse: true, data: shown.map((r) => r.name) },
    series: [{ name: '发现隐患', type: 'bar', barMaxWidth: 18, data: shown.map((r) => r.hazards_found),
      label: { show: true, position: 'right' } }],
    animation: false,
  };
}

export type MapMode = 'risk' | 'density';

/** The grids as an ECharts map: each feature named by its region id (names repeat across streets). */
export function gridCollection(features: RiskFeature[]): { type: 'FeatureCollection'; features: unknown[] } {
  const grids = features.filter((f) => f.properties.kind === 'grid').map((f) => ({
    type: 'Feature', geometry: f.geometry,
    properties: { name: gridKey(f.properties.region_id) },
  }));
  if (grids.length === 0) {
    // No grid boundaries drawn yet: an invisible box around the sites gives the map its extent.
    const points = features.filter((f) => f.geometry.type === 'Point').map((f) => f.geometry.coordinates as number[]);
    if (points.length) {
      const xs = points.map((p) => p[0]);
      const ys = points.map((p) => p[1]);
      const [x0, x1, y0, y1] = [Math.min(...xs) - 0.005, Math.max(...xs) + 0.005, Math.min(...ys) - 0.005, Math.max(...ys) + 0.005];
      grids.push({ type: 'Feature', properties: { name: EXTENT },
        geometry: { type: 'Polygon', coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] } });
    }
  }
  return { type: 'FeatureCollection', features: grids };
}

/** The invisible extent polygon's name (see gridCollection). */
export const EXTENT = '__extent';

/** Text for the tooltip's HTML: names and reasons are data, never markup. */
function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The risk map: grids coloured by risk level or by density, sites as points coloured by their level. */
export function riskMapOption(mapName: string, features: RiskFeature[], mode: MapMode, withTiles: boolean,
  showPoints = false): Record<string, unknown> {
  const grids = features.filter((f) => f.properties.kind === 'grid');
  const sites = features.filter((f) => f.properties.kind === 'site' && f.geometry.type === 'Point');
  const bins = densityBins(grids.map((g) => g.properties.density ?? 0));
  const byKey = new Map(grids.map((g) => [gridKey(g.properties.region_id), g.properties]));
  const opacity = withTiles ? 0.55 : 0.9;
  const gridName = (p: { name: string }) => byKey.get(p.name)?.name ?? '';
  return {
    tooltip: {
      trigger: 'item',
      formatter: (p: { componentType: string; name: string; data?: { site?: string; level?: string; why?: string; point?: string } }) => {
        if (p.componentType === 'geo') {
          const g = byKey.get(p.name);
          if (!g) return '';
          return `${g.name}<br/>风险：${g.risk_level ? RISK_LABELS[g.risk_level] : '—'}<br/>`
            + `未闭环隐患：${g.open_hazards ?? 0}（重大 ${g.major_open ?? 0}）<br/>`
            + `隐患密度：${g.density ?? 0} 项/场所`
            + (g.risk_reasons?.length ? `<br/>原因：${esc(g.risk_reasons.join('；'))}` : '');
        }
        if (p.data?.point) {
          return `风险点：${esc(p.data.point)}（${esc(p.data.site ?? '')}）<br/>等级：${p.data.level ?? '—'}`
            + `<br/>依据：${esc(p.data.why ?? '')}`;
        }
        return `${esc(p.data?.site ?? '')}<br/>风险：${p.data?.level ?? '—'}`
          + (p.data?.why ? `<br/>${esc(p.data.why)}` : '');
      },
    },
    geo: {
      map: mapName,
      roam: true,
      projection: { project: mercator, unproject: inverseMercator },
      label: { show: true, fontSize: 11, color: '#111', formatter: gridName },
      itemStyle: { borderColor: '#333', borderWidth: 1, areaColor: NO_RISK_COLOUR, opacity },
      // The region's own name is an internal key (grid-30): every label, highlighted too, shows the grid's name.
      emphasis: { label: { show: true, formatter: gridName }, itemStyle: { areaColor: '#8ecae6' } },
      tooltip: { show: true },
      regions: [{ name: EXTENT, silent: true, label: { show: false },
        itemStyle: { areaColor: 'transparent', borderColor: 'transparent' } }, ...grids.map((g) => ({
        name: gridKey(g.properties.region_id),
        itemStyle: {
          areaColor: mode === 'risk'
            ? (g.properties.risk_level ? RISK_COLOURS[g.properties.risk_level] : NO_RISK_COLOUR)
            : densityColour(g.properties.density, bins),
          opacity,
        },
      }))],
    },
    series: [{
      name: '场所', type: 'scatter', coordinateSystem: 'geo', symbolSize: 13, z: 5,
      data: sites.map((s) => ({
        name: s.properties.name,
        value: s.geometry.coordinates as number[],
        site: s.properties.name,
        level: s.properties.risk_level ? RISK_LABELS[s.properties.risk_level] : '—',
        why: s.properties.risk_summary ?? '',
        itemStyle: { color: s.properties.risk_level ? RISK_COLOURS[s.properties.risk_level] : '#777',
          // A dark ring keeps a site visible on a grid of its own colour.
          borderColor: '#111', borderWidth: 2 },
      })),
    }, ...(showPoints ? [riskPointSeries(sites)] : [])],
    animation: false,
  };
}

/** The 风险点 layer: each site's risk points as small diamonds in a ring around the site, coloured by level. */
export function riskPointSeries(sites: RiskFeature[]): Record<string, unknown> {
  const data = sites.flatMap((s) => {
    const points = s.properties.risk_points ?? [];
    return points.map((p, i) => {
      const angle = (2 * Math.PI * i) / Math.max(points.length, 1) - Math.PI / 2;
      return {
        name: `${s.properties.name} · ${p.name}`,
        value: s.geometry.coordinates as number[],
        point: p.name, site: s.properties.name,
        level: p.level ? RISK_LABELS[p.level] : '未评估', why: p.basis,
        symbolOffset: [Math.round(16 * Math.cos(angle)), Math.round(16 * Math.sin(angle))],
        itemStyle: { color: p.level ? RISK_COLOURS[p.level] : '#777', borderColor: '#fff', borderWidth: 1 },
      };
    });
  });
  return { name: '风险点', type: 'scatter', coordinateSystem: 'geo', symbol: 'diamond', symbolSize: 9, z: 6, data };
}
