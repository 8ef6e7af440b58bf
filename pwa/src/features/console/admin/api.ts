/** 系统管理 API calls and shapes: /api/v1/admin (users, sessions, regions, boundaries, departments), /api/v1/webhooks. */
import { UPLOAD_TIMEOUT_MS, apiPath, request } from '../../../api/http';

export interface Grant {
  id?: number; role: string; region_id: number | null; department_id: number | null; site_id: number | null;
  region_name?: string | null; department_name?: string | null; site_name?: string | null;
}
export interface AdminUser {
  id: number; mobile: string; display_name: string; active: boolean; created_at: string; grants: Grant[];
  must_change_password: boolean; can_manage: boolean;
}
export interface LoginSession { id: number; created_at: string; last_seen_at: string; expires_at: string;
  user_agent: string | null; ip_address: string | null }
export interface UserDetail extends AdminUser { sessions: LoginSession[] }
export interface Capabilities {
  manage_users: boolean; create_grid_workers: boolean; manage_regions: boolean; manage_grids: boolean;
  manage_departments: boolean; roles: string[];
}
export interface Region { id: number; parent_id: number | null; level: string; name: string; code: string | null;
  path: string; boundary?: unknown }
export interface Department { id: number; region_id: number; code: string; name: string; domains: string[] }
export interface Label { code: string; label: string }
export interface Taxonomy { domains: Label[]; roles: Label[]; region_levels: Label[]; site_categories: Label[] }
export interface BoundaryCheck { ok: boolean; saved: boolean; errors: string[]; warnings: string[] }
/** 对接系统 (/api/v1/webhooks): a subscriber as listed, never its secret; `event_kinds` empty means every event. */
export interface Webhook { id: number; name: string; url: string; event_kinds: string[]; active: boolean;
  created_at: string; disabled_at: string | null; secret_rotated_at: string | null }
/** Answered once, on creating and on rotating: the signing secret to hand over. */
export interface WebhookSecret extends Webhook { secret: string; previous_secret_valid: boolean }

async function get<T>(path: string): Promise<T> {
  return (await request<T>('GET', apiPath(path))).data as T;
}
async function send<T>(method: string, path: string, json: unknown): Promise<T> {
  return (await request<T>(method, apiPath(path), { json })).data as T;
}

export const adminApi = {
  capabilities: () => get<Capabilities>('/admin/capabilities'),
  taxonomy: () => get<Taxonomy>('/taxonomy'),
  users: (q: string) => get<{ items: AdminUser[]; total: number }>(`/admin/users?per_page=100&q=${encodeURIComponent(q)}`),
  user: (id: number) => get<UserDetail>(`/admin/users/${id}`),
  createUser: (body: { mobile: string; display_name: string; grants: Partial<Grant>[] }) =>
    send<{ user: AdminUser; temporary_password: string }>('POST', '/admin/users', body),
  editUser: (id: number, body: { display_name?: string; grants?: Partial<Grant>[]; active?: boolean }) =>
    send<AdminUser>('PATCH', `/admin/users/${id}`, body),
  resetPassword: (id: number) => send<{ temporary_password: string }>('POST', `/admin/users/${id}/reset-password`, {}),
  endSessions: (id: number, sessionId: number | null) =>
    send<{ ended: number }>('POST', `/admin/users/${id}/end-sessions`, { session_id: sessionId }),
  regions: () => get<Region[]>('/regions'),
  region: (id: number) => get<Region>(`/regions/${id}`),
  createRegion: (body: { parent_id: number; level: string; name: string }) => send<Region>('POST', '/admin/regions', body),
  editRegion: (id: number, body: { name?: string; parent_id?: number }) => send<Region>('PATCH', `/admin/regions/${id}`, body),
  async boundary(id: number, file: File, save: boolean): Promise<BoundaryCheck> {
    const form = new FormData();
    form.append('file', file, file.name);
    form.append('save', save ? 'true' : 'false');
    return (await request<BoundaryCheck>('POST', apiPath(`/admin/regions/${id}/boundary`),
      { body: form, timeoutMs: UPLOAD_TIMEOUT_MS })).data as BoundaryCheck;
  },
  departments: () => get<Department[]>('/departments'),
  createDepartment: (body: { region_id: number; code: string; name: string; domains: string[] }) =>
    send<Department>('POST', '/admin/departments', body),
  editDepartment: (id: number, body: { name?: string; domains?: string[] }) =>
    send<Department>('PATCH', `/admin/departments/${id}`, body),
  webhooks: () => get<Webhook[]>('/webhooks'),
  webhookEventKinds: () => get<Label[]>('/webhooks/event-kinds'),
  createWebhook: (body: { name: string; url: string; event_kinds: string[] }) =>
    send<WebhookSecret>('POST', '/webhooks', body),
  editWebhook: (id: number, body: { active?: boolean }) => send<Webhook>('PATCH', `/webhooks/${id}`, body),
  rotateWebhookSecret: (id: number) => send<WebhookSecret>('POST', `/webhooks/${id}/rotate-secret`, {}),
  pingWebhook: (id: number) => send<{ message_id: number }>('POST', `/webhooks/${id}/ping`, {}),
};

export const LEVEL_LABELS: Record<string, string> = { district: '区', street: '街道', park: '园区', community: '社区', grid: '网格' };
export const CHILD_LEVELS: Record<string, string[]> = {
  district: ['street', 'park'], street: ['community'], park: ['community', 'grid'], community: ['grid'], grid: [],
};
/** Roles an administrator may give, with the level of region each needs (none: no region). */
export const ROLE_SCOPE: Record<string, string[] | null> = {
  grid_worker: ['grid'], supervisor: ['district', 'street', 'park'], inspector: ['district', 'street', 'park'], admin: null,
};

/** 「A街道 / A社区 / A1网格」: a region's place in the tree, from the loaded list (the district left out, unless it
 * is the region itself; ancestors outside the user's scope are not in the list). */
export function regionPath(region: Region, byId: Map<number, Region>): string {
  const chain = region.path.split('/').filter(Boolean).map((id) => byId.get(Number(id)))
    .filter((r): r is Region => Boolean(r));
  return chain.filter((r) => r.level !== 'district' || r.id === region.id).map((r) => r.name).join(' / ');
}

export function grantText(g: Grant, roleLabels: Map<string, string>): string {
  const scope = g.region_name ?? g.site_name ?? '';
  const dept = g.department_name ? ` · ${g.department_name}` : '';
  return `${roleLabels.get(g.role) ?? g.role}${scope ? `（${scope}${dept}）` : ''}`;
}
