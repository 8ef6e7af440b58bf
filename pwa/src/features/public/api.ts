/**
 * The public API (/api/v1/public, no login, no CSRF): its own small fetch so the public pages load
 * nothing of the field app (no session, no outbox, no IndexedDB).
 */

const BASE = '/api/v1';
const JSON_TIMEOUT_MS = 20_000;
const UPLOAD_TIMEOUT_MS = 120_000;

export interface PublicHazard {
  code: string | null;
  site_name: string;
  description: string;
  level: string;
  level_label: string;
  domain: string;
  domain_label: string;
  status: string;
  status_label: string;
  deadline_at: string | null;
  closed_at: string | null;
  published_at: string | null;
  photos: string[];
  before_after: { before: string; after: string }[];
}

export interface PublicSite {
  name: string;
  category: string;
  category_label: string;
  hazards: PublicHazard[];
}

export interface Receipt {
  tracking_code: string;
  status: string;
  status_label: string;
  received_at: string;
}

export interface ReportProgress extends Receipt {
  description: string;
  category: string;
  category_label: string;
  rejection_reason: string | null;
  merged?: boolean;
  merged_note?: string | null;
  triaged_at: string | null;
  deadline_at: string | null;
  closed_at: string | null;
  /** Closed, and the reporter has not yet said whether the problem is solved. */
  feedback_asked?: boolean;
  /** The reporter said 'not solved': triage began again. */
  reopened?: boolean;
}

export interface ExposurePage {
  items: PublicHazard[];
  total: number;
  page: number;
  per_page: number;
}

export interface Category {
  code: string;
  label: string;
}

export interface Geometry {
  type: string;
  coordinates: unknown;
}

export interface MapArea {
  name: string;
  boundary: Geometry;
}

export interface DistrictMap {
  district: MapArea | null;
  grids: MapArea[];
}

/** The API answered with an error: `detail` is its Chinese message, `fields` the per-field ones. */
export class PublicApiError extends Error {
  readonly status: number;
  readonly code: string | null;
  readonly fields: Record<string, string>;
  readonly retryAfter: number | null;

  constructor(status: number, body: Record<string, unknown> | null) {
    const detail = typeof body?.detail === 'string' && body.detail ? body.detail : `服务器暂时无法处理（${status}），请稍后再试。`;
    super(detail);
    this.name = 'PublicApiError';
    this.status = status;
    this.code = typeof body?.code === 'string' ? body.code : null;
    this.retryAfter = typeof body?.retry_after === 'number' ? body.retry_after : null;
    this.fields = {};
    const errors = Array.isArray(body?.errors) ? body.errors as { field?: unknown; message?: unknown }[] : [];
    for (const e of errors) {
      if (typeof e?.field === 'string' && typeof e.message === 'string' && !this.fields[e.field]) {
        this.fields[e.field] = e.message;
      }
    }
  }
}

/** No answer from our API (offline, timeout, or a Wi-Fi login page answering instead). */
export class PublicNetworkError extends Error {
  constructor() {
    super('网络连接失败，请检查网络后重试。');
    this.name = 'PublicNetworkError';
  }
}

/** What to show for a failed request: the server's Chinese detail, made friendlier where it helps. */
export function errorMessage(error: unknown): string {
  if (error instanceof PublicNetworkError) return '网络连接失败，请检查网络后重试。您填写的内容仍保留在本页。';
  if (error instanceof PublicApiError) {
    if (error.status === 429) {
      const wait = error.retryAfter ?? 60;
      const when = wait < 60 ? `${wait} 秒` : wait < 3600 ? `${Math.ceil(wait / 60)} 分钟` : `${Math.ceil(wait / 3600)} 小时`;
      return `提交得有些频繁了，请 ${when}后再试。感谢您的热心举报！`;
    }
    if (error.status === 413) return `${error.message}请少选几张照片，或换成较小的照片后重试。`;
    return error.message;
  }
  return '出现意外错误，请刷新页面后重试。';
}

let deviceId: string | null = null;

/**
 * A random id for this browser, sent as X-Device-Id so the per-device limit applies to a phone, not
 * to everyone behind the same mobile-network address. Kept in localStorage where it may be; in a
 * private tab it lasts for the page only.
 */
export function device(): string {
  if (deviceId) return deviceId;
  try {
    deviceId = localStorage.getItem('hazardloop-device');
  } catch {
    deviceId = null;
  }
  if (!deviceId) {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    deviceId = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    try {
      localStorage.setItem('hazardloop-device', deviceId);
    } catch {
      // Private mode: the id lives as long as the page.
    }
  }
  return deviceId;
}

export async function call<T>(method: string, path: string, body?: BodyInit, timeoutMs = JSON_TIMEOUT_MS): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let response: Response;
  try {
    response = await fetch(BASE + path, {
      method,
      body,
      headers: { Accept: 'application/json', 'X-Device-Id': device() },
      credentials: 'omit', // the public pages never send an official's session cookie
      signal: controller.signal,
    });
  } catch {
    throw new PublicNetworkError();
  } finally {
    clearTimeout(timer);
  }
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('json')) {
    if (response.ok || type.includes('html')) throw new PublicNetworkError();
    throw new PublicApiError(response.status, null);
  }
  let data: unknown = null;
  try {
    data = await response.json();
  } catch {
    throw new PublicNetworkError();
  }
  if (!response.ok) throw new PublicApiError(response.status, data as Record<string, unknown>);
  return data as T;
}

export function siteByToken(token: string): Promise<PublicSite> {
  return call('GET', `/public/sites/${encodeURIComponent(token)}`);
}

export function reportProgress(code: string): Promise<ReportProgress> {
  return call('GET', `/public/reports/${encodeURIComponent(code)}`);
}

/** 「问题解决了吗？」: 'no' sends the report back to triage with the note. */
export function answerFeedback(code: string, solved: boolean, note: string): Promise<unknown> {
  const body = new Blob([JSON.stringify({ solved, note: note.trim() || null })], { type: 'application/json' });
  return call('POST', `/public/reports/${encodeURIComponent(code)}/feedback`, body);
}

export function exposureBoard(page: number, perPage = 10): Promise<ExposurePage> {
  return call('GET', `/public/exposure?page=${page}&per_page=${perPage}`);
}

export function districtMap(): Promise<DistrictMap> {
  return call('GET', '/public/map');
}

/** The 监管领域 a report may name, from the Open311 service list. */
export async function categories(): Promise<Category[]> {
  const services = await call<{ service_code: string; service_name: string }[]>('GET', '/open311/services.json');
  return services.map((s) => ({ code: s.service_code, label: s.service_name }));
}

export interface ReportFields {
  description: string;
  category: string;
  phone?: string;
  /** SMS updates (accepted / rejected / closed) to ``phone``, with the tracking link. */
  sms_consent?: boolean;
  site_token?: string | null;
  lat?: number | null;
  lng?: number | null;
  address?: string;
  /** The honeypot: people never see it, so it stays empty. */
  website?: string;
}

/** 群众举报: multipart fields plus up to three resized JPEGs as `photos`. */
export function submitReport(fields: ReportFields, photos: Blob[]): Promise<Receipt> {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined && value !== null && String(value).trim() !== '') form.append(key, String(value));
  }
  photos.forEach((blob, i) => form.append('photos', blob, `photo-${i + 1}.jpg`));
  return call('POST', '/public/reports', form, UPLOAD_TIMEOUT_MS);
}
