/**
 * Offline copies of server photos: which URLs the service worker keeps (and how many), shared by the worker
 * and the page that asks for the photos of my open hazards ahead of time.
 */
import type { Hazard, HazardDetail } from '../../api/types';

export type PhotoKind = 'thumbnail' | 'evidence';

const DAY_S = 86_400;

/** Thumbnails (~320 px, tens of KB) for every open hazard; evidence copies (≤ 1600 px) for comparisons. */
export const PHOTO_CACHES: Record<PhotoKind, { name: string; maxEntries: number; maxAgeSeconds: number }> = {
  thumbnail: { name: 'hazard-photos-thumbnail', maxEntries: 500, maxAgeSeconds: 30 * DAY_S },
  evidence: { name: 'hazard-photos-evidence', maxEntries: 80, maxAgeSeconds: 30 * DAY_S },
};

const PHOTO_PATH = /^\/api\/v1\/photos\/([0-9a-f]{64})\/(thumbnail|evidence)$/;

/** 'thumbnail' / 'evidence' for a photo file URL the worker keeps, else null. */
export function photoKind(url: URL): PhotoKind | null {
  const m = PHOTO_PATH.exec(url.pathname);
  return m ? (m[2] as PhotoKind) : null;
}

/** One cache entry per photo and kind: the ?v= query only tells the server the copy may be cached for good. */
export function photoCacheKey(url: URL): string {
  return url.origin + url.pathname;
}

export const photoPath = (id: string, kind: PhotoKind): string => `/api/v1/photos/${id}/${kind}`;

/**
 * The photos to hold for offline work, most urgent hazard first: thumbnails of every photo of my open hazards,
 * and the evidence copies (before and after) of those awaiting my 复查, where they are compared side by side.
 */
export function photosToKeep(hazards: Hazard[], details: Map<number, HazardDetail>,
  limits = { thumbnail: PHOTO_CACHES.thumbnail.maxEntries, evidence: PHOTO_CACHES.evidence.maxEntries })
  : { thumbnail: string[]; evidence: string[] } {
  const thumbnail: string[] = [];
  const evidence: string[] = [];
  const add = (list: string[], ids: string[], limit: number) => {
    for (const id of ids) if (list.length < limit && /^[0-9a-f]{64}$/.test(id) && !list.includes(id)) list.push(id);
  };
  for (const hazard of hazards) {
    if (hazard.status === 'closed') continue;
    const detail = details.get(hazard.id);
    const ids = [...(detail ?? hazard).photo_ids, ...(detail?.rectification?.photo_ids ?? [])];
    add(thumbnail, ids, limits.thumbnail);
    if (hazard.status === 'awaiting_verification') add(evidence, ids, limits.evidence);
  }
  return { thumbnail, evidence };
}
