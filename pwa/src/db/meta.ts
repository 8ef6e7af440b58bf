/** The meta store: the remembered session (user and CSRF token) and small app settings. */
import { withDB } from './schema';

export interface StoredSession {
  user: { id: number; display_name: string; mobile: string; grants?: unknown[] } & Record<string, unknown>;
  csrf_token: string;
  expires_at?: string;
}

export function getMeta<T>(key: string): Promise<T | undefined> {
  return withDB((db) => db.get('meta', key)) as Promise<T | undefined>;
}

export function setMeta<T>(key: string, value: T): Promise<void> {
  return withDB(async (db) => {
    await db.put('meta', value, key);
  });
}

export function deleteMeta(key: string): Promise<void> {
  return withDB((db) => db.delete('meta', key));
}
