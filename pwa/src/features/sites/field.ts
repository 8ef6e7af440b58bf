/**
 * 现场新增场所 on the phone: possible duplicates among the cached sites (the server's rule, for offline use),
 * the 统一社会信用代码 check character (GB 32100 / GB/T 17710), and the sites registered here not yet approved.
 */
import type { Site } from '../../api/types';
import type { OutboxItem } from '../../db/types';

/** Within this distance a site is the same place whatever its name (as sites/field.py). */
export const NEAR_M = 80;
export const WIDE_M = 1500;
export const SIMILAR_NAME_RATIO = 0.6;

const NOISE = /[\s()（）·\-—_.,，。]|有限责任公司|有限公司|公司|店铺|分店/g;

export function nameKey(name: string): string {
  return (name ?? '').replace(NOISE, '').toLowerCase();
}

/** Ratcliff/Obershelp similarity, as Python's difflib.SequenceMatcher.ratio() (without its junk heuristic). */
function ratio(a: string, b: string): number {
  const matches = (x: string, y: string): number => {
    if (!x || !y) return 0;
    let best = 0;
    let bi = 0;
    let bj = 0;
    for (let i = 0; i < x.length; i++) {
      for (let j = 0; j < y.length; j++) {
        let k = 0;
        while (i + k < x.length && j + k < y.length && x[i + k] === y[j + k]) k++;
        if (k > best) [best, bi, bj] = [k, i, j];
      }
    }
    if (!best) return 0;
    return best + matches(x.slice(0, bi), y.slice(0, bj)) + matches(x.slice(bi + best), y.slice(bj + best));
  };
  return (2 * matches(a, b)) / (a.length + b.length);
}

export function nameSimilarity(a: string, b: string): number {
  const ka = nameKey(a);
  const kb = nameKey(b);
  if (!ka || !kb) return 0;
  if (ka.includes(kb) || kb.includes(ka)) return 1;
  return ratio(ka, kb);
}

export function distanceM(lat1: number, lng1: number, lat2: number, lng2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLng = (lng2 - lng1) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(h));
}

export interface Suggestion {
  site: Site;
  distance_m: number | null;
  same_name: boolean;
  reason: string;
}

function reason(distance: number | null, similar: boolean): string {
  const parts: string[] = [];
  if (similar) parts.push('名称相同或相近');
  if (distance !== null) parts.push(`相距约 ${Math.round(distance)} 米`);
  return parts.join('，');
}

/** The cached sites that may be the one being registered: within NEAR_M, or a similar name within WIDE_M. */
export function possibleDuplicates(sites: Site[], name: string, position: { lat: number; lng: number } | null,
  limit = 8): Suggestion[] {
  const found: Suggestion[] = [];
  for (const site of sites) {
    if (site.active === false) continue;
    const distance = position && site.lat != null && site.lng != null
      ? distanceM(position.lat, position.lng, site.lat, site.lng) : null;
    const similar = name.trim() !== '' && nameSimilarity(name, site.name) >= SIMILAR_NAME_RATIO;
    const close = distance !== null && distance <= NEAR_M;
    if (close || (similar && (distance === null || distance <= WIDE_M))) {
      found.push({ site, distance_m: distance, same_name: similar, reason: reason(distance, similar) });
    }
  }
  found.sort((a, b) => Number(!a.same_name) - Number(!b.same_name) || (a.distance_m ?? 1e9) - (b.distance_m ?? 1e9));
  return found.slice(0, limit);
}

/** The server's suggestions first, then the cached ones it did not name (offline: only the cached ones). */
export function mergeSuggestions(server: Suggestion[] | null, local: Suggestion[]): Suggestion[] {
  if (!server) return local;
  const seen = new Set(server.map((s) => s.site.id));
  return [...server, ...local.filter((s) => !seen.has(s.site.id))];
}

const CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

/** The 18th character for the first 17 (GB/T 17710 MOD 31-3). */
export function checkCharacter(first17: string): string {
  let total = 0;
  let weight = 1;
  for (const c of first17) {
    total += CHARSET.indexOf(c) * weight;
    weight = (weight * 3) % 31;
  }
  return CHARSET[(31 - (total % 31)) % 31];
}

export type CreditCodeState = { ok: true; code: string } | { ok: false; message: string; checkFailed: boolean };

/** An optional code: empty is fine; a wrong length or character is refused; a failed check needs confirmation. */
export function checkCreditCode(raw: string): CreditCodeState {
  const code = raw.trim().toUpperCase();
  if (!code) return { ok: true, code: '' };
  if (code.length !== 18) return { ok: false, message: `统一社会信用代码应为 18 位，实际 ${code.length} 位。`, checkFailed: false };
  const bad = [...new Set([...code].filter((c) => !CHARSET.includes(c)))];
  if (bad.length) return { ok: false, message: `含有不允许的字符：${bad.join('')}（不使用 I、O、Z、S、V）。`, checkFailed: false };
  const expected = checkCharacter(code.slice(0, 17));
  if (code[17] !== expected) {
    return { ok: false, message: `校验位不符（按 GB 32100 应为 ${expected}），请核对营业执照。`, checkFailed: true };
  }
  return { ok: true, code };
}

export interface FieldSite {
  id: string;
  name: string;
  address: string;
  category: string;
  state: OutboxItem['state'];
  serverId: number | null;
  createdAt: string;
}

/** The sites registered on this phone (from the outbox), newest first, with their server id once sent. */
export function fieldSites(items: OutboxItem[]): FieldSite[] {
  return items.filter((i) => i.kind === 'site' && i.state !== 'superseded' && i.state !== 'discarded')
    .map((i) => ({
      id: i.id, name: String(i.payload.name ?? ''), address: String(i.payload.address ?? ''),
      category: String(i.payload.category ?? ''), state: i.state,
      serverId: Number(i.response?.id) > 0 ? Number(i.response?.id) : null, createdAt: i.createdAt,
    }))
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

// --- 合并重复场所: a record recorded on the surviving site -----------------------------------------------

export interface Landing {
  /** The site the record named (merged meanwhile). */
  from: number;
  /** The surviving site it was recorded on. */
  to: number;
  toName: string;
}

const NAMING_KINDS: OutboxItem['kind'][] = ['inspection', 'hazard', 'selfcheck'];

/** Where a sent record landed when that is not the site it named; null when nothing was merged. */
export function mergedLanding(item: OutboxItem): Landing | null {
  if (!NAMING_KINDS.includes(item.kind) || !item.response) return null;
  const to = Number(item.response.site_id);
  // An inspection says which site it named (its stored payload may still carry the placeholder of a site
  // registered on this phone); the other records name it in their payload.
  const from = Number(item.response.merged_from_site_id ?? item.payload.site_id);
  if (!(to > 0) || !(from > 0) || to === from) return null;
  return { from, to, toName: String(item.response.site_name ?? '') };
}
