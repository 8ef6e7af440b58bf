/**
 * 风险地图 (四色图 红橙黄蓝): grids drawn from their GeoJSON polygons and sites as points, with no tile server.
 * When the server names a tile layer (tiles in China are GCJ-02), the data is requested in GCJ-02 and the
 * tiles are laid under the chart in the same Web Mercator projection.
 */
import { ScatterChart } from 'echarts/charts';
import { GeoComponent } from 'echarts/components';
import { useCallback, useMemo, useRef, useState } from 'preact/hooks';
import type { RiskLevel, RiskMap } from './api';
import { consoleApi } from './api';
import { Chart, echarts } from './charts';
import { DENSITY_COLOURS, RISK_COLOURS, RISK_LABELS, densityBins, tileLayout, type Tile } from './logic';
import { gridCollection, riskMapOption, type MapMode } from './options';
import { LoadState, useLoad } from './ui';

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

function MapView(props: { map: RiskMap & { mapName: string } }) {
  const { map } = props;
  const [mode, setMode] = useState<MapMode>('risk');
  const [tiles, setTiles] = useState<Tile[]>([]);
  const bound = useRef<echarts.ECharts | null>(null);
  const option = useMemo(() => riskMapOption(map.mapName, map.features, mode, Boolean(map.tiles)),
    [map, mode]);
  const grids = map.features.filter((f) => f.properties.kind === 'grid');
  const sites = map.features.filter((f) => f.properties.kind === 'site');
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
      <div class="map-stage" data-testid="riskmap" data-mode={mode} data-tiles={map.tiles ? 'on' : 'off'}>
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
      </div>
      {grids.length === 0 && <p class="muted">范围内的网格尚未绘制边界（GeoJSON），地图上只显示场所点位。</p>}
    </>
  );
}

export function RiskMapPage(props: { query: URLSearchParams }) {
  const regionId = props.query.get('region_id');
  const loaded = useLoad(() => loadMap(regionId), [regionId]);
  return (
    <div data-testid="riskmap-page">
      <div class="page-head"><h1>风险地图</h1><span class="muted">四色分级：红 · 橙 · 黄 · 蓝</span></div>
      <LoadState loaded={loaded}>{(map) => <MapView key={map.mapName} map={map} />}</LoadState>
    </div>
  );
}
