/** Hazards for the screens: the offline copy at once, refreshed when the API is reachable; steps go to the outbox. */
import { getCached } from '../../db/cache';
import type { CacheEntry } from '../../db/types';
import { HAZARDS_KEY, hazardKey, refreshHazard, refreshHazards } from '../../api/data';
import type { Hazard, HazardDetail } from '../../api/types';
import { refreshOutbox, syncLoop } from '../../app-state';
import { enqueue } from '../../outbox/outbox';
import { isoWithOffset } from '../inspection/form';
import { byUrgency, transitionPayload, type ActionSpec, type FormValues } from './logic';

export { refreshHazard, refreshHazards };

export function cachedHazards(): Promise<CacheEntry<Hazard[]> | undefined> {
  return getCached<Hazard[]>(HAZARDS_KEY);
}

export function cachedHazard(id: number): Promise<CacheEntry<HazardDetail> | undefined> {
  return getCached<HazardDetail>(hazardKey(id));
}

/** The list for offline use, plus the detail of the most urgent open hazards (for 复查 and 整改 without signal). */
export async function prefetchHazards(details = 60): Promise<void> {
  const list = await refreshHazards();
  for (const hazard of byUrgency(list.data).slice(0, details)) {
    const cached = await cachedHazard(hazard.id);
    if (!cached || cached.data.status !== hazard.status) await refreshHazard(hazard.id);
  }
}

/** Queue one workflow step (its id is the client_event_id, so a resend is a no-op on the server). */
export async function enqueueStep(hazard: HazardDetail, spec: ActionSpec, values: FormValues): Promise<string> {
  const id = crypto.randomUUID();
  const payload = transitionPayload(hazard.id, spec, values, id, isoWithOffset(new Date()));
  const photos = Object.values(values).filter(Array.isArray).flat() as string[];
  await enqueue({
    id, kind: 'transition', label: `${hazard.number} · ${spec.label}`, siteId: hazard.site_id,
    photoIds: photos, payload,
  });
  refreshOutbox();
  void syncLoop.request();
  return id;
}
