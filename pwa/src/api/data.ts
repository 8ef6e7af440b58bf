/** Read calls with offline caching: each answer is stored with its ETag and revalidated next time. */
import { getCached, putCached, touchCached } from '../db/cache';
import type { CacheEntry } from '../db/types';
import { apiPath, request } from './http';
import type { ChecklistSummary, ChecklistVersion, Page, Site } from './types';

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
