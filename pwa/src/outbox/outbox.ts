/**
 * The outbox: one record per user action, keyed by its client UUID, moved only by `transition`.
 *
 *   draft → queued → sending → sent → acknowledged
 *                      │  ↑
 *                      │  └─ retry (network, 5xx, 429) / pause (401): back to queued, never dropped
 *                      └──→ needs_attention (409, 422, other 4xx) → queued (resend) | draft (edit)
 *                                                               | superseded (a revision replaces it)
 *                                                               | discarded (given up; kept for export)
 *
 * Once a photo or the item request may have reached the server the item is frozen: its content
 * never changes again, and an edit becomes a new item (new UUID) that names the one it replaces.
 */
import { withDB } from '../db/schema';
import type { Draft, OutboxItem, OutboxKind, OutboxState, ProblemInfo } from '../db/types';

export type OutboxEvent =
  | 'submit' | 'start' | 'accepted' | 'retry' | 'pause' | 'reject'
  | 'resend' | 'edit' | 'acknowledge' | 'supersede' | 'recover' | 'discard';

const TRANSITIONS: Record<OutboxState, Partial<Record<OutboxEvent, OutboxState>>> = {
  draft: { submit: 'queued' },
  queued: { start: 'sending', edit: 'draft' },
  sending: { accepted: 'sent', retry: 'queued', pause: 'queued', reject: 'needs_attention', recover: 'queued' },
  sent: { acknowledge: 'acknowledged' },
  acknowledged: {},
  needs_attention: { resend: 'queued', edit: 'draft', supersede: 'superseded', discard: 'discarded' },
  superseded: {},
  discarded: {},
};

export const UNSENT_STATES: readonly OutboxState[] = ['draft', 'queued', 'sending', 'needs_attention'];

export class IllegalTransition extends Error {
  constructor(item: OutboxItem, event: OutboxEvent, reason = '') {
    super(`outbox ${item.id}: cannot ${event} from ${item.state}${reason ? ` (${reason})` : ''}`);
    this.name = 'IllegalTransition';
  }
}

/** The one place an item's state changes; pure. Guards: a frozen item cannot be edited. */
export function transition(item: OutboxItem, event: OutboxEvent, patch: Partial<OutboxItem> = {}): OutboxItem {
  const next = TRANSITIONS[item.state][event];
  if (!next) throw new IllegalTransition(item, event);
  if (event === 'edit' && item.frozen) throw new IllegalTransition(item, event, 'frozen: revise instead');
  return { ...item, ...patch, state: next, updatedAt: new Date().toISOString() };
}

export function allowedEvents(item: OutboxItem): OutboxEvent[] {
  return (Object.keys(TRANSITIONS[item.state]) as OutboxEvent[])
    .filter((e) => !(e === 'edit' && item.frozen));
}

/**
 * Delay before the next attempt: exponential from 2 s, the delay (not the number of attempts)
 * capped at 10 minutes, with full jitter so a street of phones does not retry in step.
 */
export function backoffMs(attempts: number, random: () => number = Math.random): number {
  const base = 2000 * 2 ** Math.min(Math.max(attempts - 1, 0), 20);
  const capped = Math.min(base, 10 * 60 * 1000);
  return Math.round(capped / 2 + (random() * capped) / 2);
}

// --- storage --------------------------------------------------------------------------------

async function put(item: OutboxItem): Promise<OutboxItem> {
  await withDB((db) => db.put('outbox', item));
  return item;
}

export function getItem(id: string): Promise<OutboxItem | undefined> {
  return withDB((db) => db.get('outbox', id));
}

async function mustGet(id: string): Promise<OutboxItem> {
  const item = await getItem(id);
  if (!item) throw new Error(`outbox item ${id} not found`);
  return item;
}

/** Read, apply one event, write: one short transaction, no network inside. */
async function apply(id: string, event: OutboxEvent, patch: (item: OutboxItem) => Partial<OutboxItem> = () => ({}))
  : Promise<OutboxItem> {
  return withDB(async (db) => {
    const tx = db.transaction('outbox', 'readwrite');
    const item = await tx.store.get(id);
    if (!item) throw new Error(`outbox item ${id} not found`);
    const next = transition(item, event, patch(item));
    await tx.store.put(next);
    await tx.done;
    return next;
  });
}

export async function listItems(): Promise<OutboxItem[]> {
  const items = await withDB((db) => db.getAllFromIndex('outbox', 'by_created'));
  return items.reverse();
}

export async function listUnsent(): Promise<OutboxItem[]> {
  return (await listItems()).filter((i) => UNSENT_STATES.includes(i.state));
}

/** What the backup export carries: everything unsent, and what the user gave up (their data is not lost). */
export async function listExportable(): Promise<OutboxItem[]> {
  return (await listItems()).filter((i) => UNSENT_STATES.includes(i.state) || i.state === 'discarded');
}

/** A refusal for a business reason (no right, a conflict, invalid content): sending it again unchanged cannot help. */
export function refusedForContent(item: OutboxItem): boolean {
  return item.state === 'needs_attention' && [403, 409, 422].includes(item.lastError?.status ?? 0);
}

export interface EnqueueInput {
  id: string;
  kind: OutboxKind;
  label: string;
  siteId: number | null;
  payload: Record<string, unknown>;
  photoIds: string[];
  source?: Draft | null;
  replaces?: string | null;
  /** The outbox item this one must follow (see OutboxItem.after). */
  after?: string | null;
}

/**
 * Put a new action in the outbox as queued (draft → queued in one write) and remove the draft form
 * of the same id. An unfrozen item being edited (state draft) is replaced by the new content; a
 * revision of a frozen item (`replaces`) supersedes that item in the same transaction.
 */
export async function enqueue(input: EnqueueInput, now = Date.now()): Promise<OutboxItem> {
  const stamp = new Date(now).toISOString();
  return withDB(async (db) => {
    const tx = db.transaction(['outbox', 'drafts'], 'readwrite');
    const store = tx.objectStore('outbox');
    const existing = await store.get(input.id);
    if (existing && existing.state !== 'draft') {
      throw new IllegalTransition(existing, 'submit', 'already in the outbox');
    }
    const draft: OutboxItem = {
      id: input.id,
      kind: input.kind,
      state: 'draft',
      label: input.label,
      siteId: input.siteId,
      payload: input.payload,
      photoIds: [...new Set(input.photoIds)],
      uploadedPhotoIds: [],
      frozen: false,
      attempts: 0,
      nextAttemptAt: now,
      lastError: null,
      replaces: input.replaces ?? null,
      after: input.after ?? null,
      supersededBy: null,
      source: input.source ?? null,
      response: null,
      createdAt: existing?.createdAt ?? stamp,
      updatedAt: stamp,
      sentAt: null,
    };
    const queued = transition(draft, 'submit');
    if (queued.replaces) {
      const old = await store.get(queued.replaces);
      if (old && old.state === 'needs_attention') {
        await store.put(transition(old, 'supersede', { supersededBy: queued.id }));
      }
    }
    await store.put(queued);
    // The form becomes the outbox item in the same transaction: never both, never neither.
    await tx.objectStore('drafts').delete(input.id);
    await tx.done;
    return queued;
  });
}

/** Queued items whose backoff has passed, oldest first. */
export async function peekDue(now = Date.now()): Promise<OutboxItem[]> {
  const queued = await withDB((db) => db.getAllFromIndex('outbox', 'by_state', 'queued'));
  return queued.filter((i) => i.nextAttemptAt <= now).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** When the earliest queued item becomes due (null when nothing is queued). */
export async function nextDueAt(): Promise<number | null> {
  const queued = await withDB((db) => db.getAllFromIndex('outbox', 'by_state', 'queued'));
  return queued.length ? Math.min(...queued.map((i) => i.nextAttemptAt)) : null;
}

export const markSending = (id: string): Promise<OutboxItem> => apply(id, 'start');

/** A photo of this item is on the server: the item is frozen from now on. */
export async function markPhotoUploaded(id: string, sha256: string): Promise<OutboxItem> {
  return withDB(async (db) => {
    const tx = db.transaction('outbox', 'readwrite');
    const item = await tx.store.get(id);
    if (!item) throw new Error(`outbox item ${id} not found`);
    const uploaded = item.uploadedPhotoIds.includes(sha256) ? item.uploadedPhotoIds : [...item.uploadedPhotoIds, sha256];
    const next = { ...item, uploadedPhotoIds: uploaded, frozen: true, updatedAt: new Date().toISOString() };
    await tx.store.put(next);
    await tx.done;
    return next;
  });
}

/** Recorded just before the item request leaves: from here it may have reached the server. */
export async function markAttempted(id: string): Promise<OutboxItem> {
  const item = await mustGet(id);
  return put({ ...item, frozen: true, updatedAt: new Date().toISOString() });
}

/** ack: the server stored it (201, or 200 for a replay of the same UUID). */
export const ack = (id: string, response: Record<string, unknown>): Promise<OutboxItem> =>
  apply(id, 'accepted', () => ({ response, lastError: null, sentAt: new Date().toISOString() }));

/** A transient failure: back to queued with a jittered delay; the attempt count has no cap. */
export const retryLater = (id: string, error: ProblemInfo, now = Date.now(), random = Math.random)
  : Promise<OutboxItem> =>
  apply(id, 'retry', (item) => ({
    attempts: item.attempts + 1,
    nextAttemptAt: now + backoffMs(item.attempts + 1, random),
    lastError: error,
  }));

/** 401: wait for a new login; no attempt is counted and the item is due as soon as sync resumes. */
export const pauseForAuth = (id: string, error: ProblemInfo): Promise<OutboxItem> =>
  apply(id, 'pause', () => ({ lastError: error }));

/** fail: the server refused the content (409, 422, …); keep it with the server's message. */
export const fail = (id: string, error: ProblemInfo): Promise<OutboxItem> =>
  apply(id, 'reject', (item) => ({ lastError: error, attempts: item.attempts + 1 }));

/** Send a needs-attention item again unchanged (same UUID, so the server cannot duplicate it). */
export const resend = (id: string, now = Date.now()): Promise<OutboxItem> =>
  apply(id, 'resend', () => ({ attempts: 0, nextAttemptAt: now }));

/** Give up a refused item: it is never sent; it stays on the phone (and in the export) but leaves the count. */
export const discard = (id: string): Promise<OutboxItem> => apply(id, 'discard');

/** Reopen an unfrozen item for editing; its UUID is kept, since nothing reached the server. */
export const reopenForEdit = (id: string): Promise<OutboxItem> => apply(id, 'edit');

export const acknowledge = (id: string): Promise<OutboxItem> => apply(id, 'acknowledge');

/** After a crash or a killed tab, items left "sending" go back to the queue (their UUID makes that safe). */
export async function recoverInterrupted(): Promise<number> {
  const stuck = await withDB((db) => db.getAllFromIndex('outbox', 'by_state', 'sending'));
  for (const item of stuck) await apply(item.id, 'recover');
  return stuck.length;
}

/**
 * A queued item that must wait for another (see `after`) is looked at again later, not at once: no state change,
 * no attempt counted, so the loop does not spin while the item it follows is offline or needs attention.
 */
export async function postpone(id: string, until: number): Promise<void> {
  await withDB(async (db) => {
    const tx = db.transaction('outbox', 'readwrite');
    const item = await tx.store.get(id);
    if (item && item.state === 'queued') await tx.store.put({ ...item, nextAttemptAt: until });
    await tx.done;
  });
}

/** The "sync now" button: everything queued becomes due immediately. */
export async function makeAllDue(now = Date.now()): Promise<void> {
  await withDB(async (db) => {
    const tx = db.transaction('outbox', 'readwrite');
    const queued = await tx.store.index('by_state').getAll('queued');
    for (const item of queued) await tx.store.put({ ...item, nextAttemptAt: now });
    await tx.done;
  });
}

/** Import items exported from another device; existing UUIDs are kept as they are. */
export async function importItems(items: OutboxItem[]): Promise<number> {
  let added = 0;
  await withDB(async (db) => {
    const tx = db.transaction('outbox', 'readwrite');
    for (const item of items) {
      if (await tx.store.get(item.id)) continue;
      const state = item.state === 'sending' ? 'queued' : item.state;
      await tx.store.put({ ...item, state, nextAttemptAt: 0 });
      added++;
    }
    await tx.done;
  });
  return added;
}
