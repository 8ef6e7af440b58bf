/** The console's rules, pure (unit-tested): labels, number formats, table sorting, map colours and tile math. */
import type { Rate, RiskLevel } from './api';

export const DOMAIN_LABELS: Record<string, string> = {
  construction: '建设施工', hazchem: '危化', fire: '消防安全', road_traffic: '道路交通',
  special_equipment: '特种设备', urban_operation: '城市运行', commerce_tourism: '商贸旅游',
  industry_trade: '工贸', nine_small: '九小场所',
};

export const RUNG_LABELS: Record<string, string> = {
  street: '报街道', district: '报区安委办', listed: '拟挂牌督办', supervision: '挂牌督办',
};

export const PLAN_STATUS_LABELS: Record<string, string> = {
  none: '未提交', submitted: '已提交', approved: '已批准', rejected: '已退回', returned: '已退回',
};

export const BULK_LABELS: Record<string, string> = {
  remind: '催办', escalate: '升级督办', approve_extension: '批准延期', refuse_extension: '不同意延期',
};

/** 黑名单 case states and the steps that move them (as backend/hazardloop/blacklist/states.py). */
export const BLACKLIST_STATUS_LABELS: Record<string, string> = {
  candidate: '候选', collected: '已采集', reviewed: '已会审', approved: '已报批', published: '已公布',
  objection: '异议处理中', removed: '已移出', dismissed: '不予列入',
};
export const BLACKLIST_STEP_LABELS: Record<string, string> = {
  collect: '采集报送', review: '会审', approve: '报批', publish: '公布', object: '收到异议',
  uphold_objection: '异议成立（移出）', reject_objection: '异议不成立（维持）', remove: '移出', dismiss: '不予列入',
};
/** Steps the server refuses without a note (会审 opinions, objections, decisions). */
export const BLACKLIST_STEPS_NEEDING_NOTE = ['review', 'object', 'uphold_objection', 'reject_objection', 'dismiss'];

export const CIRCULAR_SCOPE_LABELS: Record<string, string> = { street: '街道', department: '部门', district: '全区' };
export const PERIOD_LABELS: Record<string, string> = { week: '周报', month: '月报', custom: '专项' };

export const RISK_COLOURS: Record<RiskLevel, string> = {
  red: '#d7191c', orange: '#f57c00', yellow: '#f2c200', blue: '#1f6fd1',
};
export const RISK_LABELS: Record<RiskLevel, string> = {
  red: '红（重大风险）', orange: '橙（较大风险）', yellow: '黄（一般风险）', blue: '蓝（低风险）',
};
export const NO_RISK_COLOUR = '#cfd4da';

/** 0.873 → "87.3%"; null (nothing to divide by) → "—". */
export function percent(rate: Rate | undefined): string {
  if (rate === null || rate === undefined || Number.isNaN(rate)) return '—';
  return `${(Math.round(rate * 1000) / 10).toFixed(1)}%`;
}

/** "2026-11-16" style date (Beijing calendar day) from an ISO instant or date. */
export function day(iso: string | null | undefined): string {
  if (!iso) return '';
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) return iso;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });
}

export type SortDir = 'asc' | 'desc';
export interface SortState<K extends string> { key: K; dir: SortDir }

/** Sort rows by a column; nulls (e.g. a rate with nothing to divide by) always go last. */
export function sortRows<T, K extends string>(rows: T[], sort: SortState<K> | null,
  value: (row: T, key: K) => string | number | null | undefined): T[] {
  if (!sort) return rows;
  const sign = sort.dir === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = value(a, sort.key);
    const y = value(b, sort.key);
    if (x === null || x === undefined) return y === null || y === undefined ? 0 : 1;
    if (y === null || y === undefined) return -1;
    if (typeof x === 'number' && typeof y === 'number') return (x - y) * sign;
    return String(x).localeCompare(String(y), 'zh-CN') * sign;
  });
}

/** The next sort after a click on a column header: same column flips, a new one starts descending. */
export function nextSort<K extends string>(current: SortState<K> | null, key: K): SortState<K> {
  if (current && current.key === key) return { key, dir: current.dir === 'asc' ? 'desc' : 'asc' };
  return { key, dir: 'desc' };
}

/** The overdue API's server-side sort parameter ("-days_overdue") from a header state. */
export function apiSort(sort: SortState<string>): string {
  return sort.dir === 'desc' ? `-${sort.key}` : sort.key;
}

export function parseApiSort(value: string | null): SortState<string> {
  if (!value) return { key: 'days_overdue', dir: 'desc' };
  return value.startsWith('-') ? { key: value.slice(1), dir: 'desc' } : { key: value, dir: 'asc' };
}

// --- risk map ----------------------------------------------------------------------------------

/** Density colours (open hazards per site), light to dark, and the bin each value falls in. */
export const DENSITY_COLOURS = ['#fff5eb', '#fdd0a2', '#fd8d3c', '#e6550d', '#a63603'];

export function densityBins(values: number[]): number[] {
  const max = Math.max(0, ...values.filter((v) => Number.isFinite(v)));
  if (max <= 0) return [0, 0, 0, 0];
  return [1, 2, 3, 4].map((i) => (max * i) / DENSITY_COLOURS.length);
}

export function densityColour(value: number | null | undefined, bins: number[]): string {
  if (value === null || value === undefined || !Number.isFinite(value) || value <= 0) return DENSITY_COLOURS[0];
  let i = 0;
  while (i < bins.length && value > bins[i]) i += 1;
  return DENSITY_COLOURS[Math.min(i, DENSITY_COLOURS.length - 1)];
}

const MAX_LAT = 85.05112878;

/** Web Mercator, as a unit square with y growing downward: how map tiles are cut. */
export function mercator(point: number[]): number[] {
  const lat = Math.max(-MAX_LAT, Math.min(MAX_LAT, point[1]));
  const s = Math.sin((lat * Math.PI) / 180);
  return [(point[0] + 180) / 360, 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)];
}

export function inverseMercator(point: number[]): number[] {
  const lng = point[0] * 360 - 180;
  const n = Math.PI - 2 * Math.PI * point[1];
  return [lng, (180 / Math.PI) * Math.atan(0.5 * (Math.exp(n) - Math.exp(-n)))];
}

export interface Tile { z: number; x: number; y: number; left: number; top: number; size: number; url: string }

/**
 * The tiles that cover a width×height view, given where the world's top-left (0,0) and bottom-right (1,1)
 * corners land on screen (ECharts' convertToPixel of the projected corners). The zoom is the one whose tiles
 * come closest to 256 px.
 */
export function tileLayout(topLeft: number[], bottomRight: number[], width: number, height: number,
  template: string, maxZoom = 18): Tile[] {
  const world = bottomRight[0] - topLeft[0];
  if (!(world > 0) || !Number.isFinite(world)) return [];
  const z = Math.max(0, Math.min(maxZoom, Math.round(Math.log2(world / 256))));
  const n = 2 ** z;
  const size = world / n;
  const x0 = Math.max(0, Math.floor((0 - topLeft[0]) / size));
  const x1 = Math.min(n - 1, Math.floor((width - topLeft[0]) / size));
  const y0 = Math.max(0, Math.floor((0 - topLeft[1]) / size));
  const y1 = Math.min(n - 1, Math.floor((height - topLeft[1]) / size));
  const tiles: Tile[] = [];
  if ((x1 - x0 + 1) * (y1 - y0 + 1) > 400) return tiles; // a runaway view: draw nothing rather than hang
  const subdomains = ['a', 'b', 'c'];
  for (let x = x0; x <= x1; x++) {
    for (let y = y0; y <= y1; y++) {
      const url = template.replace('{z}', String(z)).replace('{x}', String(x)).replace('{y}', String(y))
        .replace('{s}', subdomains[(x + y) % subdomains.length]);
      tiles.push({ z, x, y, left: topLeft[0] + x * size, top: topLeft[1] + y * size, size, url });
    }
  }
  return tiles;
}

/** The name a grid is registered under in ECharts (names need not be unique; region ids are). */
export function gridKey(regionId: number | undefined): string {
  return `grid-${regionId ?? 0}`;
}
