/**
 * 合并重复场所 seen from the phone: a site may be merged into a registered one after this phone synced it and
 * before a record made offline there (检查、随手拍、自查自报) synced. The server records it on the surviving site and
 * says so in its answer; the phone then replaces its copy of the merged site with the surviving one.
 */
import { refreshSite, refreshSites, siteKey, SITES_KEY } from '../../api/data';
import type { Site } from '../../api/types';
import { deleteCached, getCached, putCached } from '../../db/cache';
import type { Landing } from './field';

export { mergedLanding, type Landing } from './field';

export const mergedKey = (id: number): string => `merged-site:${id}`;

/** The surviving site a merged one was replaced by on this phone, if any. */
export async function mergedInto(id: number): Promise<{ id: number; name: string } | null> {
  return (await getCached<{ id: number; name: string }>(mergedKey(id)))?.data ?? null;
}

/**
 * Replace the merged site's offline copy with the surviving one: remember the replacement (the field site's
 * page and the site page follow it), drop the merged copy, and fetch the survivor and my list again (without
 * signal, the list just loses the merged site).
 */
export async function replaceMergedSite(landing: Landing): Promise<void> {
  await putCached(mergedKey(landing.from), { id: landing.to, name: landing.toName }, null);
  await deleteCached(siteKey(landing.from));
  try {
    await refreshSite(landing.to);
    await refreshSites();
  } catch {
    const list = await getCached<Site[]>(SITES_KEY);
    if (list) await putCached(SITES_KEY, list.data.filter((s) => s.id !== landing.from), list.etag);
  }
}
