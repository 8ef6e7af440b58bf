/** Hazards for the screens: the offline copy at once, refreshed when the API is reachable; steps go to the outbox. */
import { getCached } from '../../db/cache';
import type { CacheEntry, Position } from '../../db/types';
import { HAZARDS_KEY, hazardKey, refreshHazard, refreshHazards, warmPhotoFiles } from '../../api/data';
import type { Hazard, HazardDetail } from '../../api/types';
import { hazardsChanged, refreshOutbox, syncLoop } from '../../app-state';
import { apiPath, request } from '../../api/http';
import type { PublicHazard } from '../public/api';
import { enqueue } from '../../outbox/outbox';
import { isoWithOffset } from '../inspection/form';
import { byUrgency, transitionPayload, type ActionSpec, type FormValues } from './logic';
import { PHOTO_CACHES, photoPath, photosToKeep, type PhotoKind } from './photo-cache';

export { refreshHazard, refreshHazards };

export function cachedHazards(): Promise<CacheEntry<Hazard[]> | undefined> {
  return getCached<Hazard[]>(HAZARDS_KEY);
}

export function cachedHazard(id: number): Promise<CacheEntry<HazardDetail> | undefined> {
  return getCached<HazardDetail>(hazardKey(id));
}

/**
 * The list for offline use, plus the detail of the most urgent open hazards (for 复查 and 整改 without signal)
 * and copies of their photos.
 */
export async function prefetchHazards(details = 60): Promise<void> {
  const list = await refreshHazards();
  // Those awaiting 复查 first: their before/after comparison is what the field needs offline.
  const awaiting = (h: Hazard) => h.status === 'awaiting_verification';
  const urgent = [...byUrgency(list.data.filter(awaiting)), ...byUrgency(list.data.filter((h) => !awaiting(h)))]
    .slice(0, details);
  const detailed = new Map<number, HazardDetail>();
  for (const hazard of urgent) {
    const cached = await cachedHazard(hazard.id);
    detailed.set(hazard.id, !cached || cached.data.status !== hazard.status
      ? (await refreshHazard(hazard.id)).data : cached.data);
  }
  await keepPhotosOffline(urgent, detailed);
}

/**
 * Have the service worker keep the photos of these hazards (thumbnails; evidence copies for 复查), asking
 * only for those it does not hold yet. Needs a controlling worker: without one nothing would be kept.
 */
export async function keepPhotosOffline(hazards: Hazard[], details: Map<number, HazardDetail>): Promise<number> {
  if (typeof caches === 'undefined' || !navigator.serviceWorker?.controller) return 0;
  const wanted = photosToKeep(hazards, details);
  const missing: string[] = [];
  for (const kind of ['evidence', 'thumbnail'] as PhotoKind[]) {
    const cache = await caches.open(PHOTO_CACHES[kind].name);
    for (const id of wanted[kind]) {
      const path = photoPath(id, kind);
      if (!(await cache.match(location.origin + path, { ignoreVary: true }))) missing.push(path);
    }
  }
  return warmPhotoFiles(missing);
}

/** Queue one workflow step (its id is the client_event_id, so a resend is a no-op on the server). */
export async function enqueueStep(hazard: HazardDetail, spec: ActionSpec, values: FormValues,
  position?: Position | null): Promise<string> {
  const id = crypto.randomUUID();
  const payload = transitionPayload(hazard.id, spec, values, id, isoWithOffset(new Date()), position);
  const photos = Object.values(values).filter(Array.isArray).flat() as string[];
  await enqueue({
    id, kind: 'transition', label: `${hazard.number} · ${spec.label}`, siteId: hazard.site_id,
    photoIds: photos, payload,
  });
  refreshOutbox();
  void syncLoop.request();
  return id;
}

export interface PublicationPreview {
  public: boolean;
  preview: PublicHazard;
}

/** 曝光台预览: exactly the card the public board would show for this hazard once published now (online only). */
export async function loadPublicationPreview(id: number): Promise<PublicationPreview> {
  return (await request<PublicationPreview>('GET', apiPath(`/hazards/${id}/publication`))).data!;
}

/** 发布到曝光台 / 撤下, then re-read the hazard so the page shows its new offer. */
export async function setPublication(id: number, show: boolean): Promise<void> {
  await request('POST', apiPath(`/hazards/${id}/publish`), { json: { public: show } });
  await refreshHazard(id);
  hazardsChanged.set(Date.now());
}
