/** The inbox's data: the notices and the unread count, cached in IndexedDB so the inbox opens offline. */
import { getCached, putCached } from '../../db/cache';
import { getMeta, setMeta } from '../../db/meta';
import { apiPath, request } from '../../api/http';
import type { Page } from '../../api/types';
import { createStore } from '../../store';
import { markedRead, type Notice } from './logic';

export const INBOX_KEY = 'inbox:mine';
const PENDING_KEY = 'inbox:pending-read';
const PER_PAGE = 100;

/** The badge: unread notices, null before the first answer. */
export const unreadStore = createStore<number | null>(null);

function countUnread(items: Notice[]): number {
  return items.filter((n) => n.read_at == null).length;
}

/** Marks made offline, sent before the next fetch ('all' or ids). */
async function pendingReads(): Promise<number[] | 'all'> {
  return (await getMeta<number[] | 'all'>(PENDING_KEY)) ?? [];
}

async function flushPendingReads(): Promise<void> {
  const pending = await pendingReads();
  if (pending !== 'all' && pending.length === 0) return;
  if (pending === 'all') await request('POST', apiPath('/notifications/read-all'));
  else for (const id of pending) await request('POST', apiPath(`/notifications/${id}/read`)).catch((e) => {
    if ((e as { status?: number }).status !== 404) throw e;
  });
  await setMeta(PENDING_KEY, []);
}

/** Ask the server for the unread count (after sending marks made offline); keeps the last count offline. */
export async function refreshUnread(): Promise<void> {
  try {
    await flushPendingReads();
    const res = await request<{ unread: number }>('GET', apiPath('/notifications/unread-count'));
    unreadStore.set(res.data!.unread);
  } catch {
    const cached = await getCached<Notice[]>(INBOX_KEY).catch(() => undefined);
    if (cached && unreadStore.get() == null) unreadStore.set(countUnread(cached.data));
  }
}

/** The latest notices: from the server when reachable (then cached), else the last fetched list. */
export async function loadInbox(): Promise<{ items: Notice[]; fetchedAt: string; offline: boolean }> {
  try {
    await flushPendingReads();
    const res = await request<Page<Notice>>('GET', apiPath(`/notifications?per_page=${PER_PAGE}`));
    const entry = await putCached(INBOX_KEY, res.data!.items, null);
    const res2 = await request<{ unread: number }>('GET', apiPath('/notifications/unread-count'));
    unreadStore.set(res2.data!.unread);
    return { items: entry.data, fetchedAt: entry.fetchedAt, offline: false };
  } catch (error) {
    const cached = await getCached<Notice[]>(INBOX_KEY);
    if (!cached) throw error;
    return { items: cached.data, fetchedAt: cached.fetchedAt, offline: true };
  }
}

async function saveLocally(items: Notice[]): Promise<void> {
  await putCached(INBOX_KEY, items, null);
}

/** Mark one notice read: at once in the cached list and the badge; sent now or with the next fetch. */
export async function markRead(items: Notice[], id: number): Promise<Notice[]> {
  if (items.find((n) => n.id === id)?.read_at != null) return items;
  const next = markedRead(items, new Set([id]), new Date().toISOString());
  await saveLocally(next);
  const before = unreadStore.get();
  if (before != null) unreadStore.set(Math.max(0, before - 1));
  try {
    await request('POST', apiPath(`/notifications/${id}/read`));
  } catch {
    const pending = await pendingReads();
    if (pending !== 'all') await setMeta(PENDING_KEY, [...pending, id]);
  }
  return next;
}

export async function markAllRead(items: Notice[]): Promise<Notice[]> {
  const next = markedRead(items, 'all', new Date().toISOString());
  await saveLocally(next);
  unreadStore.set(0);
  try {
    await request('POST', apiPath('/notifications/read-all'));
  } catch {
    await setMeta(PENDING_KEY, 'all');
  }
  return next;
}

export interface Preference {
  id?: number;
  channel: string;
  address: string;
  event_kind: string;
  enabled: boolean;
}

export async function loadPreferences(): Promise<Preference[]> {
  return (await request<Preference[]>('GET', apiPath('/notifications/preferences'))).data ?? [];
}

export async function savePreference(p: Preference): Promise<Preference> {
  return (await request<Preference>('PUT', apiPath('/notifications/preferences'), {
    json: { channel: p.channel, address: p.address, event_kind: p.event_kind, enabled: p.enabled },
  })).data!;
}
