/** Read calls with offline caching: each answer is stored with its ETag and revalidated next time. */
import { getCached, putCached, touchCached } from '../db/cache';
import type { CacheEntry } from '../db/types';
import { apiPath, request } from './http';
import type {
  ChecklistSummary, ChecklistVersion, Hazard, HazardDetail, HazardPage, Page, PatrolPlan, Site,
} from './types';

/** GET `path`, sending the cached ETag; a 304 keeps the cached data and marks it fresh. */
async function revalidate<T>(key: string, path: string): Promise<CacheEntry<T>> {
  const cached = await getCached<T>(key);
  const res = await request<T>('GET', path, { etag: cached?.etag ?? null });
  if (res.notModified && cached) {
    await touchCached(key);
    return { ...cached, fetchedAt: new Date().toISOString() };
  }
  return putCached(key, res.data as T, res.etag);
}

export const SITES_KEY = 'sites:mine';
const SITES_PAGE = 500;
const MAX_PAGES = 20;

/** All sites in my scope (paged through), cached as one list for offline search. */
export async function refreshSites(): Promise<CacheEntry<Site[]>> {
  const first = await request<Page<Site>>('GET', apiPath(`/sites?per_page=${SITES_PAGE}&page=1`));
  const sites = [...first.data!.items];
  const pages = Math.min(MAX_PAGES, Math.ceil(first.data!.total / SITES_PAGE));
  for (let page = 2; page <= pages; page++) {
    const more = await request<Page<Site>>('GET', apiPath(`/sites?per_page=${SITES_PAGE}&page=${page}`));
    sites.push(...more.data!.items);
  }
  return putCached(SITES_KEY, sites, first.etag);
}

export const siteKey = (id: number): string => `site:${id}`;

export function refreshSite(id: number): Promise<CacheEntry<Site>> {
  return revalidate<Site>(siteKey(id), apiPath(`/sites/${id}`));
}

export const checklistsKey = (siteId: number | null): string => `checklists:${siteId ?? 'all'}`;

export function refreshChecklists(siteId: number | null): Promise<CacheEntry<ChecklistSummary[]>> {
  const query = siteId == null ? '' : `?site=${siteId}`;
  return revalidate<ChecklistSummary[]>(checklistsKey(siteId), apiPath(`/checklists${query}`));
}

export const versionKey = (id: string, version: string): string => `checklist:${id}@${version}`;

/** A checklist version never changes: once cached, it is used without asking again. */
export async function loadChecklistVersion(id: string, version: string): Promise<ChecklistVersion> {
  const key = versionKey(id, version);
  const cached = await getCached<ChecklistVersion>(key);
  if (cached) return cached.data;
  const entry = await revalidate<ChecklistVersion>(
    key, apiPath(`/checklists/${encodeURIComponent(id)}/versions/${encodeURIComponent(version)}`));
  return entry.data;
}

export interface Taxonomy {
  domains: { code: string; label: string }[];
  site_categories: { code: string; label: string }[];
}

export const TAXONOMY_KEY = 'taxonomy';

/** The public dictionaries (domains, categories …), cached for offline forms. */
export async function loadTaxonomy(): Promise<Taxonomy | null> {
  try {
    return (await revalidate<Taxonomy>(TAXONOMY_KEY, apiPath('/taxonomy'))).data;
  } catch {
    return (await getCached<Taxonomy>(TAXONOMY_KEY))?.data ?? null;
  }
}

export const HAZARDS_KEY = 'hazards:mine';
const HAZARD_PAGES = 10;

/** The open hazards in my scope (every page of the cursor), cached as one list with its fetch time. */
export async function refreshHazards(): Promise<CacheEntry<Hazard[]>> {
  const status = 'found,exposed,assigned,rectifying,awaiting_verification';
  const items: Hazard[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < HAZARD_PAGES; i++) {
    const query = `status=${status}&sort=deadline_at&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page: HazardPage = (await request<HazardPage>('GET', apiPath(`/hazards?${query}`))).data!;
    items.push(...page.items);
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return putCached(HAZARDS_KEY, items, null);
}

export const hazardKey = (id: number): string => `hazard:${id}`;

export function refreshHazard(id: number): Promise<CacheEntry<HazardDetail>> {
  return revalidate<HazardDetail>(hazardKey(id), apiPath(`/hazards/${id}`));
}

/** Keep the server's answer to a transition as the freshest copy of that hazard. */
export function storeHazard(detail: HazardDetail): Promise<CacheEntry<HazardDetail>> {
  return putCached(hazardKey(detail.id), detail, null);
}

export const PATROLS_KEY = 'patrols:due';

/**
 * The patrol plan of my grids' sites, those already patrolled this period included (so an offline phone can
 * tell when they fall due again), ETag-revalidated.
 */
export function refreshPatrols(): Promise<CacheEntry<PatrolPlan>> {
  return revalidate<PatrolPlan>(PATROLS_KEY, apiPath('/patrols/due?include_done=true'));
}

/**
 * Ask for photo files (same-origin URLs) so the service worker keeps copies for offline use (see sw.ts);
 * returns how many came back. Stops at the first network failure: offline, the rest would fail too.
 */
export async function warmPhotoFiles(paths: string[]): Promise<number> {
  let fetched = 0;
  for (const path of paths) {
    try {
      const response = await fetch(path, { credentials: 'same-origin' });
      await response.arrayBuffer(); // read to the end, so the worker's copy is complete
      if (response.ok) fetched += 1;
    } catch {
      break;
    }
  }
  return fetched;
}
