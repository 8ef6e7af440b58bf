/** The only place that talks HTTP: JSON, the CSRF header, problem+json errors, and API reachability. */
import type { ProblemInfo } from '../db/types';

export const API_BASE = '/api/v1';
const JSON_TIMEOUT_MS = 20_000;
const UPLOAD_TIMEOUT_MS = 120_000;

/** The API could not be reached (offline, timeout, DNS, a captive portal answering instead). */
export class NetworkError extends Error {
  constructor(message = '无法连接服务器') {
    super(message);
    this.name = 'NetworkError';
  }
}

/** The API answered with an error status; `problem.detail` is the server's Chinese message. */
export class HttpError extends Error {
  readonly status: number;
  readonly problem: ProblemInfo;
  readonly body: Record<string, unknown> | null;

  constructor(status: number, problem: ProblemInfo, body: Record<string, unknown> | null = null) {
    super(problem.detail);
    this.name = 'HttpError';
    this.status = status;
    this.problem = problem;
    this.body = body;
  }
}

let csrfToken: string | null = null;
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

type ReachabilityListener = (reachable: boolean) => void;
type AuthListener = () => void;
const reachabilityListeners = new Set<ReachabilityListener>();
const authListeners = new Set<AuthListener>();
let reachable: boolean | null = null;

/** Whether the last request reached the API (null before any request). */
export function isReachable(): boolean | null {
  return reachable;
}

export function onReachability(listener: ReachabilityListener): () => void {
  reachabilityListeners.add(listener);
  return () => reachabilityListeners.delete(listener);
}

/** Called when the server says the session is gone (401), so the app can ask for a new login. */
export function onAuthRequired(listener: AuthListener): () => void {
  authListeners.add(listener);
  return () => authListeners.delete(listener);
}

function noteReachable(value: boolean): void {
  if (reachable === value) return;
  reachable = value;
  reachabilityListeners.forEach((l) => l(value));
}

export interface RequestOptions {
  json?: unknown;
  body?: BodyInit;
  etag?: string | null;
  timeoutMs?: number;
  /** The caller expects JSON: an HTML answer means a captive portal, not our API. */
  expectJson?: boolean;
}

export interface ApiResponse<T> {
  status: number;
  data: T | null;
  etag: string | null;
  notModified: boolean;
}

async function problemOf(response: Response): Promise<{ problem: ProblemInfo; body: Record<string, unknown> | null }> {
  let body: Record<string, unknown> | null = null;
  try {
    if ((response.headers.get('content-type') ?? '').includes('json')) body = await response.json();
  } catch {
    body = null;
  }
  const detail = typeof body?.detail === 'string' && body.detail ? body.detail : `服务器返回错误（${response.status}）`;
  const errors = Array.isArray(body?.errors) ? (body.errors as ProblemInfo['errors']) : undefined;
  return { problem: { status: response.status, detail, errors }, body };
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  let body = options.body;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  if (options.etag) headers['If-None-Match'] = options.etag;
  const controller = new AbortController();
  const timeout = setTimeout(() => controller.abort(), options.timeoutMs ?? JSON_TIMEOUT_MS);
  let response: Response;
  try {
    response = await fetch(path.startsWith('/') ? path : `${API_BASE}/${path}`, {
      method,
      headers,
      body,
      credentials: 'same-origin',
      cache: 'no-store',
      signal: controller.signal,
    });
  } catch {
    noteReachable(false);
    throw new NetworkError();
  } finally {
    clearTimeout(timeout);
  }
  const type = response.headers.get('content-type') ?? '';
  if (options.expectJson !== false && method !== 'HEAD' && response.status !== 204 && response.status !== 304
      && type.includes('text/html')) {
    noteReachable(false);
    throw new NetworkError('网络被拦截（可能需要先登录公共 Wi-Fi）');
  }
  noteReachable(true);
  const etag = response.headers.get('etag');
  if (response.status === 304) return { status: 304, data: null, etag: etag ?? options.etag ?? null, notModified: true };
  if (!response.ok) {
    const { problem, body: errorBody } = await problemOf(response);
    // A wrong password is not an expired session.
    if (response.status === 401 && !path.endsWith('/auth/login')) authListeners.forEach((l) => l());
    throw new HttpError(response.status, problem, errorBody);
  }
  let data: T | null = null;
  if (method !== 'HEAD' && response.status !== 204 && type.includes('json')) {
    try {
      data = (await response.json()) as T;
    } catch {
      throw new NetworkError('服务器响应不完整');
    }
  }
  return { status: response.status, data, etag, notModified: false };
}

export const apiPath = (path: string): string => `${API_BASE}${path}`;
export { UPLOAD_TIMEOUT_MS };
