/** Sites and checklists for the screens: the cached copy at once, revalidated in the background. */
import { listCached, getCached } from '../../db/cache';
import type { CacheEntry } from '../../db/types';
import {
  checklistsKey, loadChecklistVersion, loadTaxonomy, refreshChecklists, refreshPatrols, refreshSite, refreshSites, siteKey, SITES_KEY,
} from '../../api/data';
import type { ChecklistSummary, Site } from '../../api/types';
import { createStore } from '../../store';
import { prefetchHazards } from '../hazards/data';

/** Whether the offline copy is being refreshed, and when it last completed. */
export const offlineDataStore = createStore<{ running: boolean; completedAt: string | null }>({
  running: false, completedAt: null,
});

export async function cachedSites(): Promise<CacheEntry<Site[]> | undefined> {
  return getCached<Site[]>(SITES_KEY);
}

/** Case-insensitive search over name, address, credit code and grid. */
export function searchSites(sites: Site[], q: string): Site[] {
  const needle = q.trim().toLowerCase();
  if (!needle) return sites;
  return sites.filter((s) => [s.name, s.address, s.credit_code ?? '', s.grid_name ?? '']
    .some((field) => field.toLowerCase().includes(needle)));
}

/** One site: the cached detail, else the entry from the cached list. */
export async function cachedSite(id: number): Promise<Site | null> {
  const detail = await getCached<Site>(siteKey(id));
  if (detail) return detail.data;
  const list = await cachedSites();
  return list?.data.find((s) => s.id === id) ?? null;
}

export { refreshSite, refreshSites };

/** A site found offline by the token of its printed QR code (from cached site details). */
export async function siteByQrTokenOffline(token: string): Promise<Site | null> {
  const details = await listCached('site:');
  return (details.map((e) => e.data as Site).find((s) => s.qr_token === token)) ?? null;
}

/** The server's rule, for offline use: the site's category is listed, or any of its domains is. */
export function applicable(summaries: ChecklistSummary[], site: Site): ChecklistSummary[] {
  return summaries.filter((c) => c.categories.includes(site.category) || c.domains.some((d) => site.domains.includes(d)));
}

/** Checklists for a site: the server's answer when reachable, else the cached one, else the local rule. */
export async function checklistsForSite(site: Site): Promise<{ items: ChecklistSummary[]; fetchedAt: string | null }> {
  try {
    const entry = await refreshChecklists(site.id);
    return { items: entry.data, fetchedAt: entry.fetchedAt };
  } catch {
    const forSite = await getCached<ChecklistSummary[]>(checklistsKey(site.id));
    if (forSite) return { items: forSite.data, fetchedAt: forSite.fetchedAt };
    const all = await getCached<ChecklistSummary[]>(checklistsKey(null));
    return { items: all ? applicable(all.data, site) : [], fetchedAt: all?.fetchedAt ?? null };
  }
}

let prefetching: Promise<void> | null = null;

/**
 * After login and on app open (when reachable): fetch my sites, every current checklist in full,
 * site details (for QR codes offline), the patrol plan and my open hazards, so the field work needs no signal.
 */
export function prefetchForOffline(): Promise<void> {
  prefetching ??= (async () => {
    offlineDataStore.set({ ...offlineDataStore.get(), running: true });
    try {
      const [sites, checklists] = await Promise.all([refreshSites(), refreshChecklists(null)]);
      for (const c of checklists.data) await loadChecklistVersion(c.id, c.version);
      for (const site of sites.data.slice(0, 300)) {
        if (!(await getCached(siteKey(site.id)))) await refreshSite(site.id);
      }
      // The patrol plan and hazards are a bonus for offline reading: their failure must not hold back the rest.
      await refreshPatrols().catch(() => undefined);
      // The site categories, for registering a new site in the field without signal.
      await loadTaxonomy().catch(() => undefined);
      await prefetchHazards().catch(() => undefined);
      offlineDataStore.set({ running: false, completedAt: new Date().toISOString() });
    } catch {
      // Offline or logged out: the cached data stays; the next app open tries again.
    } finally {
      prefetching = null;
      if (offlineDataStore.get().running) offlineDataStore.set({ ...offlineDataStore.get(), running: false });
    }
  })();
  return prefetching;
}
