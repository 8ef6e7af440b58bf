/** The one IndexedDB database: typed schema, numbered upgrade steps, and a self-healing connection. */
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import type { CacheEntry, Draft, OutboxItem, PhotoRecord } from './types';

export const DB_NAME = 'hazardloop';

export interface HazardloopDB extends DBSchema {
  drafts: { key: string; value: Draft; indexes: { by_updated: string } };
  outbox: { key: string; value: OutboxItem; indexes: { by_state: string; by_created: string } };
  photos: { key: string; value: PhotoRecord };
  cache: { key: string; value: CacheEntry };
  meta: { key: string; value: unknown };
}

type Db = IDBPDatabase<HazardloopDB>;
type UpgradeTx = IDBPTransaction<HazardloopDB, StoreNames<HazardloopDB>[], 'versionchange'>;

/** Step N upgrades a database at version N to N + 1. Never edit a released step: append one. */
const UPGRADES: ((db: Db, tx: UpgradeTx) => void)[] = [
  // 0 → 1: drafts, the outbox, photo blobs and cached API data.
  (db) => {
    db.createObjectStore('drafts', { keyPath: 'id' }).createIndex('by_updated', 'updatedAt');
    const outbox = db.createObjectStore('outbox', { keyPath: 'id' });
    outbox.createIndex('by_state', 'state');
    outbox.createIndex('by_created', 'createdAt');
    db.createObjectStore('photos', { keyPath: 'id' });
    db.createObjectStore('cache', { keyPath: 'key' });
  },
  // 1 → 2: small app settings (session, CSRF token, last sync).
  (db) => {
    db.createObjectStore('meta');
  },
];

export const DB_VERSION = UPGRADES.length;

export class StorageUnavailableError extends Error {
  constructor(cause?: unknown) {
    super('本机存储不可用（可能处于无痕/隐私模式）。请用普通模式的浏览器打开本应用。');
    this.name = 'StorageUnavailableError';
    this.cause = cause;
  }
}

export class StorageFullError extends Error {
  constructor(cause?: unknown) {
    super('手机存储空间不足，无法保存。请先同步或导出未发送的数据，再清理手机空间。');
    this.name = 'StorageFullError';
    this.cause = cause;
  }
}

let connection: Promise<Db> | null = null;

export function getDB(): Promise<Db> {
  if (!connection) {
    const opening = openDB<HazardloopDB>(DB_NAME, DB_VERSION, {
      upgrade(db, oldVersion, _newVersion, tx) {
        for (let step = oldVersion; step < DB_VERSION; step++) UPGRADES[step](db, tx);
      },
      // Another tab wants a newer version: let it, we reopen on next use.
      blocking() {
        void opening.then((db) => db.close());
        connection = null;
      },
      // iOS closes IndexedDB under memory pressure: forget the connection so the next call reopens.
      terminated() {
        connection = null;
      },
    });
    connection = opening.catch((error) => {
      connection = null;
      throw new StorageUnavailableError(error);
    });
  }
  return connection;
}

function isClosedError(error: unknown): boolean {
  const e = error as { name?: string; message?: string } | null;
  return e?.name === 'InvalidStateError' || /clos(ed|ing)/i.test(e?.message ?? '');
}

function isQuotaError(error: unknown): boolean {
  const e = error as { name?: string } | null;
  return e?.name === 'QuotaExceededError';
}

/**
 * Run `fn` against the database. A connection the browser closed under us is reopened and the
 * call retried once; a full disk becomes StorageFullError so the UI can say so.
 * `fn` must not await the network: a transaction commits as soon as it is left idle.
 */
export async function withDB<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  try {
    return await fn(await getDB());
  } catch (error) {
    if (isQuotaError(error)) throw new StorageFullError(error);
    if (!isClosedError(error)) throw error;
    connection = null;
    try {
      return await fn(await getDB());
    } catch (again) {
      if (isQuotaError(again)) throw new StorageFullError(again);
      throw again;
    }
  }
}

/** Tests only: drop the cached connection (after deleting the database). */
export async function closeDBForTests(): Promise<void> {
  if (connection) (await connection.catch(() => null))?.close();
  connection = null;
}
