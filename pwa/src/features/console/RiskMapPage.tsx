/**
 * 风险地图 (四色图 红橙黄蓝): grids drawn from their GeoJSON polygons and sites as points, with no tile server.
 * When the server names a tile layer (tiles in China are GCJ-02), the data is requested in GCJ-02 and the
 * tiles are laid under the chart in the same Web Mercator projection. The street or community chosen in 分区域
 * (or the page's region) shows its own level with the reasons and its 风险分级管控清单 as XLSX.
 */
import { ScatterChart } from 'echarts/charts';
import { GeoComponent } from 'echarts/components';
import { useCallback, useMemo, useRef, useState } from 'preact/hooks';
import type { RiskFeature, RiskLevel, RiskMap } from './api';
import { consoleApi } from './api';
import { Chart, echarts } from './charts';
import { DENSITY_COLOURS, RISK_COLOURS, RISK_LABELS, densityBins, tileLayout, type Tile } from './logic';
import { gridCollection, riskMapOption, type MapMode } from './options';
import { LoadState, useLoad } from './ui';
import { riskApi } from '../risk/api';
import '../risk/risk.css';

echarts.use([GeoComponent, ScatterChart]);

let registered = 0;

async function loadMap(regionId: string | null): Promise<RiskMap & { mapName: string }> {
  let map = await consoleApi.riskMap({ region_id: regionId, crs: 'wgs84' });
  // A tile layer in China is drawn in GCJ-02: ask again for coordinates converted by the server.
  if (map.tiles) map = await consoleApi.riskMap({ region_id: regionId, crs: 'gcj02' });
  registered += 1;
  const mapName = `riskmap-${registered}`;
  echarts.registerMap(mapName, gridCollection(map.features) as Parameters<typeof echarts.registerMap>[1]);
  return { ...map, mapName };
}

function TileLayer(props: { tiles: Tile[]; attribution?: string | null }) {
  return (
    <div class="tiles" aria-hidden="true" data-testid="tile-layer">
      {props.tiles.map((t) => (
        <img key={`${t.z}/${t.x}/${t.y}`} src={t.url} alt="" loading="lazy"
          style={{ left: `${t.left}px`, top: `${t.top}px`, width: `${t.size + 0.5}px`, height: `${t.size + 0.5}px` }} />
      ))}
      {props.attribution && <span class="attribution">{props.attribution}</span>}
    </div>
  );
}

const ORDER: RiskLevel[] = ['red', 'orange', 'yellow', 'blue'];

/** 场所风险等级: the filtered sites by level, each with the reasons its level was computed from. */
function SiteLevels(props: { sites: RiskFeature[] }) {
  const rows = [...props.sites]
    .sort((a, b) => ORDER.indexOf(a.properties.risk_level ?? 'blue') - ORDER.indexOf(b.properties.risk_level ?? 'blue'));
  return (
    <section data-testid="site-levels">
      <h2>场所风险等级及依据（{rows.length}）</h2>
      <table class="table">
        <thead><tr><th>场所</th><th>行业</th><th>区域</th><th>等级</th><th>依据</th></tr></thead>
        <tbody>{rows.slice(0, 200).map((s) => (
          <tr key={s.properties.site_id} data-testid="site-level-row" data-site={s.properties.name}
            data-level={s.properties.risk_level ?? ''} data-override={s.properties.override ? 'true' : 'false'}>
            <td><a href={`/sites/${s.properties.site_id}/risk`}>{s.properties.name}</a></td>
            <td>{s.properties.category_label ?? ''}</td>
            <td>{[s.properties.street_name, s.properties.community_name].filter(Boolean).join(' · ')}</td>
            <td><i class="swatch" style={{ background: s.properties.risk_level ? RISK_COLOURS[s.properties.risk_level] : '#777' }} />
              {s.properties.risk_level ? RISK_LABELS[s.properties.risk_level] : '—'}
              {s.properties.override && <> <span class="badge" data-testid="site-level-override">人工调整</span></>}</td>
            <td data-testid="site-level-reason">{s.properties.risk_summary || '—'}</td>
          </tr>))}</tbody>
      </table>
      {rows.length > 200 && <p class="muted">仅列出前 200 家，请按等级筛选或缩小区域。</p>}
    </section>
  );
}

/** 区域风险等级: the chosen street's or community's level, why, and its 风险分级管控清单 to download. */
function RegionRiskPanel(props: { regionId: string | null }) {
  const { regionId } = props;
  const loaded = useLoad(() => (regionId ? riskApi.region(regionId) : Promise.resolve(null)), [regionId]);
  if (!regionId) {
    return (
      <section class="panel" data-testid="region-risk" data-region="">
        <p class="muted">在「分区域」中选择街道或社区，查看其风险等级及依据，并下载风险分级管控清单。</p>
      </section>
    );
  }
  return (
    <section class="panel" data-testid="region-risk" data-region={regionId}>
      <LoadState loaded={loaded}>{(region) => region && <>
        <header class="panel-head">
          <h2>{region.name} 风险等级</h2>
          <div class="panel-actions">
            <a class="btn small" href={riskApi.regionInventoryUrl(region.region_id)} download
              data-testid="region-inventory">下载风险分级管控清单（XLSX）</a>
          </div>
        </header>
        <p data-testid="region-level" data-level={region.level}>
          <i class="swatch" style={{ background: RISK_COLOURS[region.level] }} /><b>{RISK_LABELS[region.level]}</b>
          <span class="muted">（按辖区内在册场所的等级汇总：最高者定级，橙色及以上占比高时上调一级）</span>
        </p>
        <ul data-testid="region-reasons">{region.reasons.map((r) => <li key={r}>{r}</li>)}</ul>
      </>}</LoadState>
    </section>
  );
}

interface Filters { category: string; street: string; community: string; level: RiskLevel | '' }

/** 分行业 / 分区域 / 分等级: the choices present in the loaded map, each with its label. */
function choices(sites: RiskFeature[], key: 'category' | 'street' | 'community', within?: (s: RiskFeature) => boolean) {
  const seen = new Map<string, string>();
  for (const s of sites) {
    if (within && !within(s)) continue;
    const p = s.properties;
    const id = key === 'category' ? p.category : key === 'street' ? p.street_id : p.community_id;
    const label = key === 'category' ? p.category_label : key === 'street' ? p.street_name : p.community_name;
    if (id !== undefined && id !== null && label) seen.set(String(id), label);
  }
  return [...seen.entries()].sort((a, b) => a[1].localeCompare(b[1], 'zh-CN'));
}

function matches(f: RiskFeature, filters: Filters, withLevel: boolean): boolean {
  const p = f.properties;
  if (filters.street && String(p.street_id ?? '') !== filters.street) return false;
  if (filters.community && String(p.community_id ?? '') !== filters.community) return false;
  if (p.kind === 'grid') return true;
  if (filters.category && p.category !== filters.category) return false;
  return !withLevel || !filters.level || p.risk_level === filters.level;
}

function FilterBar(props: { sites: RiskFeature[]; filters: Filters; onChange: (f: Filters) => void;
  showPoints: boolean; onPoints: (on: boolean) => void }) {
  const { filters, onChange } = props;
  const inStreet = (s: RiskFeature) => !filters.street || String(s.properties.street_id ?? '') === filters.street;
  const counted = props.sites.filter((s) => matches(s, filters, false));
  return (
    <div class="page-tools" data-testid="map-filters">
      <label>分行业 <select data-testid="filter-category" value={filters.category}
        onChange={(e) => onChange({ ...filters, category: (e.target as HTMLSelectElement).value })}>
        <option value="">全部行业</option>
        {choices(props.sites, 'category').map(([id, label]) => <option key={id} value={id}>{label}</option>)}
      </select></label>
      <label>分区域 <select data-testid="filter-street" value={filters.street}
        onChange={(e) => onChange({ ...filters, street: (e.target as HTMLSelectElement).value, community: '' })}>
        <option value="">全部街道</option>
        {choices(props.sites, 'street').map(([id, label]) => <option key={id} value={id}>{label}</option>)}
      </select>
      <select data-testid="filter-community" value={filters.community} aria-label="社区"
        onChange={(e) => onChange({ ...filters, community: (e.target as HTMLSelectElement).value })}>
        <option value="">全部社区</option>
        {choices(props.sites, 'community', inStreet).map(([id, label]) => <option key={id} value={id}>{label}</option>)}
      </select></label>
      <div class="chips" role="group" aria-label="分等级">
        <button type="button" aria-pressed={filters.level === ''} onClick={() => onChange({ ...filters, level: '' })}>全部等级</button>
        {ORDER.map((l) => <button key={l} type="button" aria-pressed={filters.level === l} data-testid={`level-filter-${l}`}
          onClick={() => onChange({ ...filters, level: l })}>
          {RISK_LABELS[l]}（{counted.filter((s) => s.properties.risk_level === l).length}）</button>)}
      </div>
      <label><input type="checkbox" data-testid="layer-points" checked={props.showPoints}
        onChange={(e) => props.onPoints((e.target as HTMLInputElement).checked)} /> 风险点图层</label>
    </div>
  );
}

function MapView(props: { map: RiskMap & { mapName: string }; regionId: string | null }) {
  const { map } = props;
  const [mode, setMode] = useState<MapMode>('risk');
  const [tiles, setTiles] = useState<Tile[]>([]);
  const [filters, setFilters] = useState<Filters>({ category: '', street: '', community: '', level: '' });
  const [showPoints, setShowPoints] = useState(false);
  const bound = useRef<echarts.ECharts | null>(null);
  const shown = useMemo(() => map.features.filter((f) => matches(f, filters, true)), [map, filters]);
  const option = useMemo(() => riskMapOption(map.mapName, shown, mode, Boolean(map.tiles), showPoints),
    [map, shown, mode, showPoints]);
  const allSites = map.features.filter((f) => f.properties.kind === 'site');
  const grids = shown.filter((f) => f.properties.kind === 'grid');
  const sites = shown.filter((f) => f.properties.kind === 'site');
  const bins = densityBins(grids.map((g) => g.properties.density ?? 0));

  const layoutTiles = useCallback((chart: echarts.ECharts) => {
    if (!map.tiles) return;
    const place = () => {
      // Project the world's corners through ECharts' own geo transform: tiles then follow pan and zoom.
      const tl = chart.convertToPixel({ geoIndex: 0 }, [-180, 85.05112878]) as number[] | undefined;
      const br = chart.convertToPixel({ geoIndex: 0 }, [180, -85.05112878]) as number[] | undefined;
      if (!tl || !br) return;
      setTiles(tileLayout(tl, br, chart.getWidth(), chart.getHeight(), map.tiles!.url_template));
    };
    if (bound.current !== chart) {
      bound.current = chart;
      chart.on('georoam', () => { requestAnimationFrame(place); });
      chart.on('finished', place);
    }
    place();
  }, [map]);

  const counts = (Object.keys(RISK_COLOURS) as RiskLevel[]).map((l) => [l, grids.filter((g) => g.properties.risk_level === l).length] as const);
  return (
    <>
      <div class="page-tools">
        <div class="chips" role="group" aria-label="着色">
          <button type="button" aria-pressed={mode === 'risk'} data-testid="mode-risk" onClick={() => setMode('risk')}>按风险等级</button>
          <button type="button" aria-pressed={mode === 'density'} data-testid="mode-density" onClick={() => setMode('density')}>按隐患密度</button>
        </div>
        <span class="muted" data-testid="map-counts" data-grids={grids.length} data-sites={sites.length}>
          网格 {grids.length} 个 · 场所 {sites.length} 个{map.tiles ? ' · 底图坐标 GCJ-02' : ' · 无底图（仅边界与点位）'}
        </span>
      </div>
      <FilterBar sites={allSites} filters={filters} onChange={setFilters} showPoints={showPoints} onPoints={setShowPoints} />
      <RegionRiskPanel regionId={filters.community || filters.street || props.regionId} />
      <div class="map-stage" data-testid="riskmap" data-points={showPoints ? 'on' : 'off'} data-mode={mode} data-tiles={map.tiles ? 'on' : 'off'}>
        {map.tiles && <TileLayer tiles={tiles} attribution={map.tiles.attribution} />}
        <Chart option={option} height="min(72vh, 46rem)" testid="chart-riskmap" label="四色风险地图" onReady={layoutTiles} />
      </div>
      <div class="legend" data-testid="map-legend">
        {mode === 'risk'
          ? counts.map(([l, n]) => <span key={l}><i style={{ background: RISK_COLOURS[l] }} />{RISK_LABELS[l]}：{n} 个网格</span>)
          : DENSITY_COLOURS.map((c, i) => (
            <span key={c}><i style={{ background: c }} />
              {i === 0 ? `≤ ${bins[0].toFixed(2)}` : i < bins.length ? `${bins[i - 1].toFixed(2)} – ${bins[i].toFixed(2)}` : `> ${bins[bins.length - 1].toFixed(2)}`}
              {' '}项/场所</span>))}
        <span><i class="dot" />场所点位按风险等级着色</span>
        {showPoints && <span>◆ 风险点（围绕所属场所，悬停查看评价依据）</span>}
      </div>
      {grids.length === 0 && <p class="muted">范围内的网格尚未绘制边界（GeoJSON），地图上只显示场所点位。</p>}
      <SiteLevels sites={sites} />
    </>
  );
}

export function RiskMapPage(props: { query: URLSearchParams }) {
  const regionId = props.query.get('region_id');
  const loaded = useLoad(() => loadMap(regionId), [regionId]);
  return (
    <div data-testid="riskmap-page">
      <div class="page-head"><h1>风险地图</h1><span class="muted">四色分级：红 · 橙 · 黄 · 蓝</span></div>
      <LoadState loaded={loaded}>{(map) => <MapView key={map.mapName} map={map} regionId={regionId} />}</LoadState>
    </div>
  );
}
