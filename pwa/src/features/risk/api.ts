/** 风险分级管控 API calls and shapes (backend: hazardloop.risk.routes). Online only: levels are computed on the server. */
import { apiPath, request } from '../../api/http';
import type { Site } from '../../api/types';

export type RiskLevel = 'red' | 'orange' | 'yellow' | 'blue';
export type Method = 'lec' | 'matrix';

export interface Assessment {
  id: number;
  method: Method;
  inputs: Record<string, number>;
  score: number;
  level: RiskLevel;
  basis: string;
  major_condition: string | null;
  reason: string;
  state: 'submitted' | 'accepted' | 'returned';
  state_label: string;
  assessed_by: string | null;
  assessed_at: string;
  reviewed_by: string | null;
  reviewed_at: string | null;
  review_note: string | null;
}

export interface MeasureStatus {
  last_checked_at: string | null; due_at: string; overdue: boolean; checked_this_period: boolean;
  period_label: string; checker: 'enterprise' | 'government'; checker_label: string;
}

export interface Measure {
  kind: string; tier: string; text: string; check_items: string[];
  /** Open hazards on the measure's checklist items: the check found the measure not in place. */
  open_hazards?: { id: number; number: string; level: string }[];
  /** Its check period and last check (null: no checklist items to check it by). */
  check?: MeasureStatus | null;
}

/** One control measure due for a check (GET /risk/measures/due). */
export interface MeasureCheck {
  site: Site;
  risk_point_id: number;
  risk_point_name: string;
  level: RiskLevel | null;
  index: number;
  text: string;
  tier: string;
  checker: 'enterprise' | 'government';
  checker_label: string;
  check_items: string[];
  checklist_id: string | null;
  period: string;
  period_label: string;
  last_checked_at: string | null;
  due_at: string;
  overdue: boolean;
  checked_this_period: boolean;
  open_hazards: { id: number; number: string; level: string }[];
}

export interface RiskPoint {
  id: number;
  template_code: string | null;
  own: boolean;
  name: string;
  kind: string;
  hazard_source: string;
  accident_types: string[];
  measures: Measure[];
  responsible: string | null;
  level: RiskLevel | null;
  basis: string | null;
  reassess_due_at: string | null;
  latest: Assessment | null;
}

export interface SiteRisk {
  site_id: number;
  site_name: string;
  level: RiskLevel;
  computed_level: RiskLevel | null;
  reasons: string[];
  summary: string;
  override: { level: RiskLevel; reason: string; at: string; by: string | null } | null;
  can_assess: boolean;
  can_review: boolean;
  can_override: boolean;
  points: RiskPoint[];
}

/** A grid's, community's or street's level by the rule of config/risk.yaml (GET /risk/regions/{id}). */
export interface RegionRisk {
  region_id: number;
  name: string;
  level: RiskLevel;
  reasons: string[];
  summary: string;
}

export interface ScaleEntry { value: number; label: string }
export interface Band { level: RiskLevel; min?: number; above?: number; label: string }
export interface RiskRules {
  lec: Record<'l' | 'e' | 'c', ScaleEntry[]>;
  matrix: Record<'l' | 's', ScaleEntry[]>;
  bands: Record<Method, Band[]>;
  major_conditions: { code: string; label: string }[];
}

export interface ReviewItem extends Assessment {
  risk_point_id: number;
  risk_point_name: string;
  hazard_source: string;
  site_id: number;
  site_name: string;
  current_level: RiskLevel | null;
  current_basis: string | null;
}

export interface AssessInput {
  method: Method;
  l: number; e?: number; c?: number; s?: number;
  major_condition?: string | null;
  reason: string;
}

async function get<T>(path: string): Promise<T> {
  return (await request<T>('GET', apiPath(path), { expectJson: true })).data as T;
}
async function send<T>(method: string, path: string, json: unknown): Promise<T> {
  return (await request<T>(method, apiPath(path), { json })).data as T;
}

export const riskApi = {
  rules: () => get<RiskRules>('/risk/rules'),
  region: (regionId: string | number) => get<RegionRisk>(`/risk/regions/${regionId}`),
  /** 风险分级管控清单 of every site of the region I may see (a download, not a fetch). */
  regionInventoryUrl: (regionId: string | number) => apiPath(`/risk/regions/${regionId}/inventory.xlsx`),
  site: (siteId: number) => get<SiteRisk>(`/risk/sites/${siteId}`),
  assess: (pointId: number, input: AssessInput) => send<SiteRisk>('POST', `/risk/points/${pointId}/assessments`, input),
  addPoint: (siteId: number, body: { name: string; kind: string; hazard_source: string; accident_types: string[];
    measures: { text: string; kind?: string; tier?: string }[] }) => send<SiteRisk>('POST', `/risk/sites/${siteId}/points`, body),
  measuresDue: () => get<{ items: MeasureCheck[]; total: number; overdue: number }>('/risk/measures/due'),
  override: (siteId: number, level: RiskLevel | null, reason: string | null) =>
    send<SiteRisk>('PUT', `/risk/sites/${siteId}/override`, { level, reason }),
  reviews: (regionId?: string | null) => get<{ items: ReviewItem[] }>(`/risk/reviews${regionId ? `?region_id=${regionId}` : ''}`),
  review: (assessmentId: number, decision: 'accept' | 'return', note: string | null) =>
    send<SiteRisk>('POST', `/risk/assessments/${assessmentId}/review`, { decision, note }),
};
