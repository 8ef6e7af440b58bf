/** The cache store: API data for offline use, each entry with its ETag and when it was fetched. */
import { withDB } from './schema';
import type { CacheEntry } from './types';

export function getCached<T>(key: string): Promise<CacheEntry<T> | undefined> {
  return withDB((db) => db.get('cache', key)) as Promise<CacheEntry<T> | undefined>;
}

export function putCached<T>(key: string, data: T, etag: string | null): Promise<CacheEntry<T>> {
  const entry: CacheEntry<T> = { key, data, etag, fetchedAt: new Date().toISOString() };
  return withDB((db) => db.put('cache', entry)).then(() => entry);
}

/** Mark an entry fresh again after a 304. */
export async function touchCached(key: string): Promise<void> {
  await withDB(async (db) => {
    const tx = db.transaction('cache', 'readwrite');
    const entry = await tx.store.get(key);
    if (entry) await tx.store.put({ ...entry, fetchedAt: new Date().toISOString() });
    await tx.done;
  });
}

export function listCached(prefix: string): Promise<CacheEntry[]> {
  return withDB((db) => db.getAll('cache', IDBKeyRange.bound(prefix, prefix + '\uffff')));
}

export function deleteCached(key: string): Promise<void> {
  return withDB((db) => db.delete('cache', key));
}
