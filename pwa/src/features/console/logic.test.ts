import { describe, expect, it } from 'vitest';
import { queryString } from './api';
import {
  apiSort, densityBins, densityColour, DENSITY_COLOURS, inverseMercator, mercator, nextSort, parseApiSort, percent,
  sortRows, tileLayout,
} from './logic';
import { canUseConsole } from './access';
import { EXTENT, gridCollection, riskMapOption, trendOption } from './options';
import type { RiskFeature } from './api';

describe('who sees the console', () => {
  it('supervisors, inspectors and admins; not grid workers or enterprises', () => {
    expect(canUseConsole([{ role: 'supervisor', region_id: 3 }])).toBe(true);
    expect(canUseConsole([{ role: 'grid_worker' }, { role: 'inspector' }])).toBe(true);
    expect(canUseConsole([{ role: 'admin' }])).toBe(true);
    expect(canUseConsole([{ role: 'grid_worker' }])).toBe(false);
    expect(canUseConsole([{ role: 'enterprise_user' }])).toBe(false);
    expect(canUseConsole(undefined)).toBe(false);
  });
});

describe('figures', () => {
  it('shows rates as percentages and a missing denominator as a dash', () => {
    expect(percent(0.8734)).toBe('87.3%');
    expect(percent(1)).toBe('100.0%');
    expect(percent(0)).toBe('0.0%');
    expect(percent(null)).toBe('—');
  });

  it('builds query strings from the set values only', () => {
    expect(queryString({ window: 'overdue', level: null, q: '', extension_requested: false, region_id: 4 }))
      .toBe('?window=overdue&region_id=4');
    expect(queryString({})).toBe('');
  });
});

describe('sorting tables', () => {
  const rows = [{ n: '乙', r: 0.5 }, { n: '甲', r: null }, { n: '丙', r: 0.9 }];
  it('sorts numbers either way with nulls last', () => {
    expect(sortRows(rows, { key: 'r', dir: 'desc' }, (x, k) => x[k as 'r']).map((x) => x.n)).toEqual(['丙', '乙', '甲']);
    expect(sortRows(rows, { key: 'r', dir: 'asc' }, (x, k) => x[k as 'r']).map((x) => x.n)).toEqual(['乙', '丙', '甲']);
  });
  it('flips the same column, starts a new one descending, and speaks the API sort', () => {
    expect(nextSort({ key: 'a', dir: 'desc' }, 'a')).toEqual({ key: 'a', dir: 'asc' });
    expect(nextSort({ key: 'a', dir: 'asc' }, 'b')).toEqual({ key: 'b', dir: 'desc' });
    expect(apiSort({ key: 'days_overdue', dir: 'desc' })).toBe('-days_overdue');
    expect(parseApiSort('deadline_at')).toEqual({ key: 'deadline_at', dir: 'asc' });
    expect(parseApiSort(null)).toEqual({ key: 'days_overdue', dir: 'desc' });
  });
});

describe('risk map', () => {
  it('projects to Web Mercator and back', () => {
    const [x, y] = mercator([120.15, 30.28]);
    expect(x).toBeCloseTo((120.15 + 180) / 360, 10);
    expect(y).toBeGreaterThan(0);
    expect(y).toBeLessThan(0.5);
    const back = inverseMercator([x, y]);
    expect(back[0]).toBeCloseTo(120.15, 9);
    expect(back[1]).toBeCloseTo(30.28, 9);
  });

  it('lays out the tiles that cover the view at the zoom nearest 256 px per tile', () => {
    // The whole world is 1024 px wide (zoom 2: 4×4 tiles of 256 px), its corner at (-100, -50).
    const tiles = tileLayout([-100, -50], [924, 974], 600, 400, 'https://{s}.tiles.test/{z}/{x}/{y}.png');
    expect(new Set(tiles.map((t) => t.z))).toEqual(new Set([2]));
    expect(tiles.map((t) => `${t.x},${t.y}`).sort()).toEqual(['0,0', '0,1', '1,0', '1,1', '2,0', '2,1'].sort());
    const t11 = tiles.find((t) => t.x === 1 && t.y === 1)!;
    expect([t11.left, t11.top, t11.size]).toEqual([156, 206, 256]);
    expect(t11.url).toMatch(/^https:\/\/[abc]\.tiles\.test\/2\/1\/1\.png$/);
  });

  it('bins density and colours grids light to dark', () => {
    const bins = densityBins([0, 1, 2, 5]);
    expect(bins).toEqual([1, 2, 3, 4]);
    expect(densityColour(0, bins)).toBe(DENSITY_COLOURS[0]);
    expect(densityColour(5, bins)).toBe(DENSITY_COLOURS[4]);
    expect(densityColour(1.5, bins)).toBe(DENSITY_COLOURS[1]);
  });

  const square = { type: 'Polygon', coordinates: [[[120.1, 30.3], [120.2, 30.3], [120.2, 30.4], [120.1, 30.4], [120.1, 30.3]]] };
  const features: RiskFeature[] = [
    { type: 'Feature', geometry: square, properties: { kind: 'grid', region_id: 7, name: 'A1网格', risk_level: 'red', open_hazards: 3, major_open: 1, density: 1.5 } },
    { type: 'Feature', geometry: { type: 'Point', coordinates: [120.15, 30.35] }, properties: { kind: 'site', site_id: 9, name: '小店', risk_level: 'yellow' } },
  ];

  it('registers grids by region id and colours them by risk level, sites by theirs', () => {
    expect(gridCollection(features).features).toEqual([{ type: 'Feature', geometry: square, properties: { name: 'grid-7' } }]);
    const option = riskMapOption('m', features, 'risk', false) as { geo: { regions: { name: string; itemStyle: { areaColor: string } }[] };
      series: { data: { value: number[]; itemStyle: { color: string } }[] }[] };
    expect(option.geo.regions.find((r) => r.name === 'grid-7')!.itemStyle.areaColor).toBe('#d7191c');
    expect(option.series[0].data[0].value).toEqual([120.15, 30.35]);
    expect(option.series[0].data[0].itemStyle.color).toBe('#f2c200');
  });

  it('names a grid and its counts in the tooltip and labels, never its internal key or colour code', () => {
    type Formatter = (p: { componentType: string; name: string; data?: unknown }) => string;
    const option = riskMapOption('m', features, 'risk', false) as { tooltip: { formatter: Formatter };
      geo: { label: { formatter: (p: { name: string }) => string }; emphasis: { label: { formatter: (p: { name: string }) => string } } };
      series: { data: unknown[] }[] };
    const tip = option.tooltip.formatter({ componentType: 'geo', name: 'grid-7' });
    expect(tip).toContain('A1网格');
    expect(tip).toContain('未闭环隐患：3（重大 1）');
    expect(tip).toContain('红（重大风险）');
    expect(tip).not.toMatch(/grid-7|red/);
    expect(option.geo.label.formatter({ name: 'grid-7' })).toBe('A1网格');
    expect(option.geo.emphasis.label.formatter({ name: 'grid-7' })).toBe('A1网格');
    const site = option.tooltip.formatter({ componentType: 'series', name: '小店', data: option.series[0].data[0] });
    expect(site).toBe('小店<br/>风险：黄（一般风险）');
  });

  it('gives a map of sites without grid boundaries an invisible extent', () => {
    const collection = gridCollection([features[1]]);
    expect(collection.features).toHaveLength(1);
    expect((collection.features[0] as { properties: { name: string } }).properties.name).toBe(EXTENT);
  });
});

describe('trend chart', () => {
  it('draws found, closed and overdue per period, oldest first', () => {
    const option = trendOption([
      { period_start: '2026-11-09', found: 4, closed: 2, overdue: 1 },
      { period_start: '2026-11-16', found: 6, closed: 5, overdue: 0 },
    ], 'weeks') as { xAxis: { data: string[] }; series: { name: string; data: number[] }[] };
    expect(option.xAxis.data).toEqual(['11-09', '11-16']);
    expect(option.series.map((s) => [s.name, s.data])).toEqual([['新发现', [4, 6]], ['已闭环', [2, 5]], ['逾期', [1, 0]]]);
  });
});
