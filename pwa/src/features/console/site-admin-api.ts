/** 场所管理 in the console: the 新增场所审核 and 企业注册审核 queues, merge, 歇业/注销 and 一企一档 (online only). */
import { apiPath, request } from '../../api/http';
import type { Site } from '../../api/types';

export interface Licence { name: string; number: string; valid_from: string | null; valid_until: string | null }
export interface ResponsiblePerson { duty: string; name: string; mobile: string | null }

export interface AdminSite extends Site {
  provisional?: boolean;
  merged_into_id?: number | null;
  closure?: 'suspended' | 'deregistered' | null;
  closed_on?: string | null;
  closure_reason?: string | null;
  major_hazard_source?: boolean;
  hazardous_chemicals?: boolean;
  registered_by_name?: string | null;
  licences?: Licence[];
  responsible_persons?: ResponsiblePerson[];
  created_at?: string;
  updated_at?: string;
}

export interface Suggestion { site: AdminSite; distance_m: number | null; same_name: boolean; reason: string }
export interface PendingSite extends AdminSite { duplicates: Suggestion[]; photo_ids: string[] }

export interface Application {
  id: number;
  kind: 'claim' | 'apply';
  status: 'pending' | 'approved' | 'refused';
  site_id: number | null;
  site_name: string | null;
  region_id: number;
  region_name: string;
  name: string;
  credit_code: string | null;
  address: string | null;
  category: string | null;
  contact_name: string;
  mobile: string;
  mobile_verified: boolean;
  licence_photo_id: string | null;
  refusal_reason: string | null;
  decided_at: string | null;
  created_at: string;
  allowed_actions: string[];
}

export interface Region { id: number; name: string; level: string; parent_id: number | null }

async function get<T>(path: string): Promise<T> {
  return (await request<T>('GET', apiPath(path))).data as T;
}

async function send<T>(method: string, path: string, json: unknown): Promise<T> {
  return (await request<T>(method, apiPath(path), { json })).data as T;
}

export const CLOSURE_LABELS: Record<string, string> = { suspended: '歇业', deregistered: '注销' };

export const siteAdminApi = {
  pending: () => get<PendingSite[]>('/sites/pending'),
  approve: (id: number) => send<AdminSite>('POST', `/sites/${id}/approve`, {}),
  merge: (id: number, targetId: number, reason: string | null) =>
    send<AdminSite>('POST', `/sites/${id}/merge`, { target_id: targetId, reason }),
  site: (id: number) => get<AdminSite>(`/sites/${id}`),
  search: (q: string) => get<{ items: AdminSite[] }>(`/sites?include_inactive=true&per_page=20&q=${encodeURIComponent(q)}`),
  create: (body: Record<string, unknown>) => send<AdminSite>('POST', '/sites', body),
  update: (id: number, body: Record<string, unknown>) => send<AdminSite>('PATCH', `/sites/${id}`, body),
  close: (id: number, body: { closure: string; closed_on: string; reason: string }) =>
    send<AdminSite>('POST', `/sites/${id}/close`, body),
  reopen: (id: number, reason: string) => send<AdminSite>('POST', `/sites/${id}/reopen`, { reason }),
  dossier: (id: number, body: Record<string, unknown>) => send<AdminSite>('PUT', `/sites/${id}/dossier`, body),
  applications: (status: string) => get<Application[]>(`/enterprise-applications?status=${status}`),
  approveApplication: (id: number, body: { grid_id?: number | null; site_id?: number | null }) =>
    send<Application>('POST', `/enterprise-applications/${id}/approve`, body),
  refuseApplication: (id: number, reason: string) =>
    send<Application>('POST', `/enterprise-applications/${id}/refuse`, { reason }),
};

export const photoThumb = (id: string): string => apiPath(`/photos/${id}/thumbnail`);
export const licencePhoto = (applicationId: number): string => apiPath(`/enterprise-applications/${applicationId}/licence-photo`);
