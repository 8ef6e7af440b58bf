/**
 * 总览首屏数据 (the overview's first data): its requests started together with the console's chunks, not after
 * them (issue 22). Part of the field app's bundle (the start-up and ConsoleRoute start them) and free of imports,
 * so starting them costs no further download. A plain fetch with no side effects: anything but a JSON 200
 * (logged out, offline, out of scope) is dropped, and the page then asks through the app's request() as usual.
 */

// A request older than this is not handed out: the page asks afresh.
const FRESH_MS = 15_000;
const API = '/api/v1'; // as API_BASE in api/http.ts
const started = new Map<string, { at: number; data: Promise<unknown> }>();

/** The overview's API path for a /console address (its region/department scope): the key the page takes it by. */
export function overviewPath(query: URLSearchParams): string {
  const scope = new URLSearchParams();
  for (const key of ['region_id', 'department_id']) {
    const value = query.get(key);
    if (value) scope.set(key, value);
  }
  const qs = scope.toString();
  return `/console/overview${qs ? `?${qs}` : ''}`;
}

/** The 群众举报 figures beside the overview: only supervisors and administrators triage reports. */
export const REPORT_STATS_PATH = '/reports/stats';

export function triagesReports(grants: unknown[] | undefined): boolean {
  return ((grants ?? []) as { role?: string }[]).some((g) => g.role === 'supervisor' || g.role === 'admin');
}

/** Start a GET now; the page that needs it takes it with `takeEarly` (at most once). */
export function startEarly(path: string): void {
  const entry = started.get(path);
  if (entry && Date.now() - entry.at < FRESH_MS) return;
  const data = fetch(`${API}${path}`, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
    .then((r) => (r.ok && (r.headers.get('content-type') ?? '').includes('json') ? r.json() : null))
    .catch(() => null);
  started.set(path, { at: Date.now(), data });
}

/**
 * On /console (the overview): its figures and the 群众举报 figures — the latter unless the session is known
 * and does not triage (at start-up it is not known yet).
 */
export function startOverview(path: string, query: URLSearchParams, grants?: unknown[]): void {
  if (path !== '/console') return;
  startEarly(overviewPath(query));
  if (grants === undefined || triagesReports(grants)) startEarly(REPORT_STATS_PATH);
}

/** The answer `startEarly` began for this path if it is recent and usable, else `load()` asks now. */
export async function takeEarly<T>(path: string, load: () => Promise<T>): Promise<T> {
  const entry = started.get(path);
  started.delete(path);
  const data = entry && Date.now() - entry.at < FRESH_MS ? await entry.data : null;
  return data === null || data === undefined ? load() : (data as T);
}
