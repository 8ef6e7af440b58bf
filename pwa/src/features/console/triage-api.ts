/** The console's 群众举报 triage and 挂牌督办建议 calls (GET lists, POST decisions), with their shapes. */
import { apiPath, HttpError, request } from '../../api/http';
import { queryString } from './api';
import type { Region } from './admin/api';

export interface TriageReport {
  id: number;
  status: 'received' | 'accepted' | 'rejected' | 'merged';
  status_label: string;
  public_status: string;
  public_status_label: string;
  description: string;
  category: string;
  phone: string | null;
  site_id: number | null;
  site_name: string | null;
  region_id: number;
  region_name: string;
  lat: number | null;
  lng: number | null;
  address: string | null;
  photo_ids: string[];
  received_at: string;
  triage_due_at: string;
  triage_overdue: boolean;
  triaged_at: string | null;
  rejection_reason: string | null;
  /** The reporter's answers to 「问题解决了吗？」 (a 'no' reopened triage). */
  feedback?: { solved: boolean; note: string | null; answered_at: string }[];
  sms_consent?: boolean;
  hazard_id: number | null;
  hazard_number: string | null;
  duplicate_of_report_id: number | null;
  duplicate_of_hazard_id: number | null;
  duplicate_of_hazard_number: string | null;
  reward_amount: string | null;
  reward_status: 'pending' | 'approved' | 'paid' | null;
}

export interface Page<T> { items: T[]; total: number; page: number; per_page: number }

export interface Candidates {
  reports: { id: number; status: string; status_label: string; description: string; received_at: string }[];
  hazards: { id: number; number: string; description: string; status: string; status_label: string; found_at: string }[];
}

export interface Figures {
  received: number; triaged: number; untriaged: number; accepted: number; rejected: number; merged: number;
  triaged_on_time: number; on_time_share: number | null; median_triage_hours: number | null;
  accepted_share: number | null; closed: number; closed_share: number | null;
}

export interface Proposal {
  id: number;
  status: 'proposed' | 'accepted' | 'dismissed';
  status_label: string;
  created_at: string;
  overdue_working_days: number | null;
  hazard: { id: number; number: string; description: string; level: string; level_label: string; status: string;
    status_label: string; site_name: string; deadline_at: string | null; supervised: boolean };
  decided_at: string | null;
  decided_by: string | null;
  decision_note: string | null;
  can_accept: boolean;
  accept_blocked_reason: string | null;
}

export interface Option { id: number; name: string; level?: string }

async function get<T>(path: string): Promise<T> {
  return (await request<T>('GET', apiPath(path))).data as T;
}

async function post<T>(path: string, json: unknown): Promise<T> {
  return (await request<T>('POST', apiPath(path), { json })).data as T;
}

export const triageApi = {
  reports: (params: Record<string, string | number | null>) => get<Page<TriageReport>>(`/reports${queryString(params)}`),
  count: () => get<{ untriaged: number }>('/reports/count'),
  report: (id: number) => get<TriageReport>(`/reports/${id}`),
  candidates: (id: number) => get<Candidates>(`/reports/${id}/duplicates`),
  accept: (id: number, body: Record<string, unknown>) => post<TriageReport>(`/reports/${id}/accept`, body),
  reject: (id: number, reason: string) => post<TriageReport>(`/reports/${id}/reject`, { reason }),
  merge: (id: number, into: { report_id?: number; hazard_id?: number }) => post<TriageReport>(`/reports/${id}/merge`, into),
  reward: (id: number, amount: string, status: string) => post<TriageReport>(`/reports/${id}/reward`, { amount, status }),
  stats: () => get<{ total: Figures }>('/reports/stats'),
  regions: () => get<Region[]>('/regions'),
  departments: () => get<Option[]>('/departments'),
  domains: async () => (await get<{ domains: { code: string; label: string }[] }>('/taxonomy')).domains,
  sites: (q: string) => get<Page<Option>>(`/sites${queryString({ q, per_page: 20 })}`),
  proposals: (status: string | null) => get<Page<Proposal>>(`/supervision-proposals${queryString({ status, per_page: 100 })}`),
  acceptProposal: (id: number, body: { authority: string; deadline: string; requirements: string }) =>
    post<Proposal>(`/supervision-proposals/${id}/accept`, body),
  dismissProposal: (id: number, reason: string) => post<Proposal>(`/supervision-proposals/${id}/dismiss`, { reason }),
};

export const photoUrl = (reportId: number, photoId: string, thumbnail = false): string =>
  apiPath(`/reports/${reportId}/photos/${photoId}${thumbnail ? '?kind=thumbnail' : ''}`);

/** The server's per-field messages (Chinese), keyed by field; the rest of the problem goes in `_`. */
export function fieldMessages(e: unknown): Record<string, string> {
  if (!(e instanceof HttpError)) return { _: (e as Error)?.message || '出错了，请重试。' };
  const out: Record<string, string> = {};
  for (const item of e.problem.errors ?? []) {
    const key = item.field || '_';
    if (!out[key]) out[key] = item.message;
  }
  if (!Object.keys(out).length || e.status !== 422) out._ = e.problem.detail;
  return out;
}

/** "3 / 4（75.0%）", or 「—」 when there is nothing to divide by. */
export function share(part: number, whole: number): string {
  return whole ? `${part} / ${whole}（${((part / whole) * 100).toFixed(1)}%）` : '—';
}
