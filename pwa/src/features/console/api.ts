/** The console's API calls and shapes. All reads are online only. */
import { apiPath, request } from '../../api/http';

export type Rate = number | null;

export interface RateRow {
  found: number;
  closed: number;
  overdue: number;
  rectification_rate: Rate;
  /** 按期整改率 = on_time ÷ due (the 通报's definition: due = deadline in the period and passed). */
  on_time_rate: Rate;
  due?: number;
  on_time?: number;
}
export interface StreetRate extends RateRow { region_id: number; name: string }
export interface DepartmentRate extends RateRow { department_id: number | null; name: string }
export interface DomainRate extends RateRow { domain: string; label: string }
export interface TrendPoint { period_start: string; found: number | null; closed: number | null; overdue: number | null }
export interface GridCoverage { region_id: number; name: string; sites: number; patrolled: number; share: Rate }
export interface InspectorCoverage {
  user_id: number; name: string; sites: number; patrolled: number; share: Rate; hazards_found: number;
}

export interface Overview {
  as_of: string;
  scope: { region_id: number | null; region_name: string | null; department_id: number | null;
    department_name: string | null };
  by_status: Record<string, number>;
  open_total: number;
  overdue_now: number;
  due_this_week: number;
  major_open: number;
  supervised_open: number;
  rates: { by_street: StreetRate[]; by_department: DepartmentRate[]; by_domain: DomainRate[] };
  trend: { weeks: TrendPoint[]; months: TrendPoint[] };
  patrol_coverage: { period_start: string; period_end: string; by_grid: GridCoverage[];
    by_inspector: InspectorCoverage[] };
}

export interface Named { id: number; name: string }

export interface OverdueRow {
  hazard_id: number;
  number: string;
  title: string;
  level: 'general' | 'major';
  status: string;
  domain: string;
  site: Named;
  /** contact: name and mobile in full, only for those who may call the enterprise (else null; see contact_masked). */
  enterprise: { name: string; contact_masked?: string | null; contact?: string | null };
  department: Named | null;
  grid: Named;
  deadline_at: string | null;
  days_overdue: number;
  escalation_rung: 'street' | 'district' | 'supervision' | null;
  extension_requested: boolean;
  supervised: boolean;
  allowed_actions: string[];
}

export interface CursorPage<T> { items: T[]; next_cursor: string | null; total: number }

export type BulkAction = 'remind' | 'escalate' | 'approve_extension' | 'refuse_extension';
export interface BulkResult { hazard_id: number; ok: boolean; code?: string; detail?: string }

export interface RiskFeature {
  type: 'Feature';
  geometry: { type: string; coordinates: unknown };
  properties: {
    kind: 'grid' | 'site';
    region_id?: number;
    site_id?: number;
    name: string;
    risk_level: RiskLevel | null;
    open_hazards?: number;
    major_open?: number;
    density?: number | null;
    /** 风险分级管控: why the site has its level (「红：液氨制冷车间 LEC D=360；未闭环重大隐患 1 项」). */
    risk_summary?: string;
    /** Why the grid has its colour: its highest site and its open hazards. */
    risk_reasons?: string[];
    /** 分行业 / 分区域: the site's category and the street and community of the grid (or site). */
    category?: string;
    category_label?: string;
    street_id?: number | null;
    street_name?: string | null;
    community_id?: number | null;
    community_name?: string | null;
    /** The site's level is a supervisor's 人工调整, not the computed one. */
    override?: boolean;
    /** The 风险点 layer: the site's risk points (highest first) with the basis of each level. */
    risk_points?: { id: number; name: string; level: RiskLevel | null; basis: string }[];
  };
}
export type RiskLevel = 'red' | 'orange' | 'yellow' | 'blue';
export interface TileConfig { url_template: string; attribution?: string | null; crs: string }
export interface RiskMap { type: 'FeatureCollection'; features: RiskFeature[]; tiles: TileConfig | null }

export interface SupervisedRow {
  hazard_id: number;
  number: string;
  title: string;
  level: string;
  site: Named;
  supervising_authority: string | null;
  supervised_at: string | null;
  plan_status: string;
  deadline_at: string | null;
  days_overdue: number;
  status: string;
}

export interface CircularSummary {
  id: number;
  title: string;
  status: 'draft' | 'published' | 'archived';
  scope: { kind: string; region_id: number | null; department_id: number | null; name: string };
  period: { kind: string; start: string; end: string; title?: string | null };
  created_at: string;
  published_at: string | null;
  /** Each figure's value by key (circulars/figures.py); older circulars lack the newer ones. */
  totals: { found: number; rectified: number; overdue: number; on_time_rate: Rate; due?: number | null; on_time?: number | null };
  /** The Chinese download names of the PDF and XLSX. */
  file_names?: { pdf?: string; xlsx?: string };
}

/** One 通报 figure as printed: its value, what it is counted out of, and its definition. */
export interface CircularFigure {
  key: string;
  label: string;
  value: number | null;
  text: string;
  is_rate: boolean;
  numerator: number | null;
  denominator: number | null;
  denominator_label: string | null;
  definition: string;
}

export type CircularDetail = CircularSummary & Record<string, unknown> & {
  commentary: string | null;
  hazard_ids: number[];
  version: number;
  /** edit / publish / archive (absent from older servers: then a draft may be edited and published). */
  allowed_actions?: string[];
};

export interface BlacklistEntry {
  id: number;
  site: Named;
  enterprise_name: string;
  status: string;
  reason: string;
  created_at: string;
  updated_at: string;
  published_at: string | null;
  removable_after: string | null;
}
export interface BlacklistStep { step: string; actor: { id: number; name: string } | null; at: string; note: string | null }
export interface BlacklistCase extends BlacklistEntry { steps: BlacklistStep[]; allowed_steps: string[] }

/** `?a=1&b=x` from the set values only (empty strings and nulls are left out). */
export function queryString(params: Record<string, string | number | boolean | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === '' || v === false) continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

async function get<T>(path: string): Promise<T> {
  return (await request<T>('GET', apiPath(path))).data as T;
}

async function send<T>(method: string, path: string, json?: unknown): Promise<T> {
  return (await request<T>(method, apiPath(path), { json: json ?? {} })).data as T;
}

export interface ScopeParams { region_id?: string | null; department_id?: string | null }

export const consoleApi = {
  overview: (scope: ScopeParams) => get<Overview>(`/console/overview${queryString({ ...scope })}`),
  overdue: (params: Record<string, string | null>) => get<CursorPage<OverdueRow>>(`/console/overdue${queryString(params)}`),
  bulk: (action: BulkAction, hazardIds: number[], note?: string) =>
    send<{ results: BulkResult[] }>('POST', '/console/bulk', { action, hazard_ids: hazardIds, ...(note ? { note } : {}) }),
  riskMap: (params: { region_id?: string | null; crs: 'wgs84' | 'gcj02' }) =>
    get<RiskMap>(`/console/riskmap${queryString(params)}`),
  supervised: (scope: ScopeParams) => get<{ items: SupervisedRow[]; total: number }>(`/console/supervised${queryString({ ...scope })}`),
  circulars: (status: string, cursor?: string | null) =>
    get<CursorPage<CircularSummary>>(`/circulars${queryString({ status, cursor })}`),
  circular: (id: number) => get<CircularDetail>(`/circulars/${id}`),
  createDraft: (body: Record<string, unknown>) => send<CircularDetail>('POST', '/circulars/drafts', body),
  saveCircular: (id: number, body: { title?: string; commentary?: string; version: number }) =>
    send<CircularDetail>('PATCH', `/circulars/${id}`, body),
  publishCircular: (id: number, version: number) => send<CircularDetail>('POST', `/circulars/${id}/publish`, { version }),
  archiveCircular: (id: number) => send<CircularDetail>('POST', `/circulars/${id}/archive`),
  blacklist: (status: string | null, cursor?: string | null) =>
    get<CursorPage<BlacklistEntry>>(`/blacklist${queryString({ status, cursor })}`),
  blacklistCase: (id: number) => get<BlacklistCase>(`/blacklist/${id}`),
  blacklistStep: (id: number, step: string, note: string) =>
    send<BlacklistCase>('POST', `/blacklist/${id}/steps`, { step, note, client_event_id: crypto.randomUUID() }),
};

/** Where a table's XLSX export is downloaded (a plain link: the session cookie goes with it). */
export function exportUrl(path: string, params: Record<string, string | number | boolean | null | undefined> = {}): string {
  return apiPath(`${path}${queryString(params)}`);
}
