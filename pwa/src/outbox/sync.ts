/**
 * The flush loop: sends due outbox items one at a time — photos first (skipping those the server
 * has), then the item. Runs on app open, the `online` event, the page becoming visible, a timer and
 * the "sync now" button; one flush at a time (across tabs too, where Web Locks exist).
 */
import { getPhoto } from '../db/photos';
import type { OutboxItem, ProblemInfo } from '../db/types';
import { HttpError, NetworkError } from '../api/http';
import type { SubmissionApi } from '../api/submissions';
import { resolveAfter } from './after';
import * as outbox from './outbox';

/** How long an item waiting for the one it follows is left before it is looked at again. */
const WAIT_MS = 15_000;

export type Outcome = 'sent' | 'retry' | 'paused' | 'needs_attention' | 'skipped' | 'waiting';

/** How an error from the server is handled: transient ones retry forever, 401 waits, the rest ask the user. */
export function classify(error: unknown): { outcome: 'retry' | 'paused' | 'needs_attention'; problem: ProblemInfo } {
  if (error instanceof HttpError) {
    const problem = error.problem;
    if (error.status === 401) return { outcome: 'paused', problem };
    if (error.status >= 500 || error.status === 429 || error.status === 408) return { outcome: 'retry', problem };
    return { outcome: 'needs_attention', problem };
  }
  if (error instanceof NetworkError) return { outcome: 'retry', problem: { status: null, detail: error.message } };
  // Anything unexpected (a bug, a storage hiccup) must not lose the item: retry later.
  return { outcome: 'retry', problem: { status: null, detail: `发送出错：${String((error as Error)?.message ?? error)}` } };
}

export interface SyncDeps {
  api: SubmissionApi;
  now?: () => number;
  random?: () => number;
  onProgress?: (item: OutboxItem) => void;
}

function notify(deps: SyncDeps, item: OutboxItem): void {
  deps.onProgress?.(item);
}

/** Send one item through; returns what happened. Never throws for a server or network error. */
export async function sendItem(item: OutboxItem, deps: SyncDeps): Promise<Outcome> {
  const now = deps.now ?? Date.now;
  // An item naming a site registered on this phone waits (still queued) until that site is on the server.
  let before = item.after ? await outbox.getItem(item.after) : undefined;
  // A refused site corrected as a new item: follow the correction.
  while (before?.state === 'superseded' && before.supersededBy) before = await outbox.getItem(before.supersededBy);
  const resolved = resolveAfter(item, before);
  if (!resolved.ready) {
    await outbox.postpone(item.id, now() + WAIT_MS);
    return 'waiting';
  }
  let current: OutboxItem;
  try {
    current = await outbox.markSending(item.id);
  } catch (error) {
    // Another tab (without Web Locks) took it first, or the user just changed it: leave it be.
    if (error instanceof outbox.IllegalTransition) return 'skipped';
    throw error;
  }
  deps.onProgress?.(current);
  try {
    for (const sha of current.photoIds) {
      if (current.uploadedPhotoIds.includes(sha)) continue;
      if (!(await deps.api.photoExists(sha))) {
        const photo = await getPhoto(sha);
        if (!photo) {
          await outbox.fail(item.id, { status: null, detail: '本机找不到该条记录引用的照片，请修改后重新提交。' });
          return 'needs_attention';
        }
        await deps.api.uploadPhoto(sha, photo.blob);
      }
      current = await outbox.markPhotoUploaded(item.id, sha);
      deps.onProgress?.(current);
    }
    await outbox.markAttempted(item.id);
    const response = await deps.api.submit(current.kind, resolved.payload);
    notify(deps, await outbox.ack(item.id, response));
    return 'sent';
  } catch (error) {
    // Record first, then notify: `onProgress?.(await …)` would skip the write when nobody listens.
    const { outcome, problem } = classify(error);
    let after: OutboxItem;
    if (outcome === 'paused') after = await outbox.pauseForAuth(item.id, problem);
    else if (outcome === 'needs_attention') after = await outbox.fail(item.id, problem);
    else after = await outbox.retryLater(item.id, problem, now(), deps.random);
    notify(deps, after);
    return outcome;
  }
}

export interface FlushResult {
  sent: number;
  failed: number;
  stoppedBy: 'done' | 'network' | 'auth';
}

/**
 * Send every due item. A network failure stops the round (the API is unreachable, the rest would
 * fail too); a 401 stops it until the user logs in again.
 */
export async function flushOnce(deps: SyncDeps): Promise<FlushResult> {
  const result: FlushResult = { sent: 0, failed: 0, stoppedBy: 'done' };
  const now = deps.now ?? Date.now;
  let due = await outbox.peekDue(now());
  // Items waiting for one sent later in the same round (a corrected site) get a second turn at once.
  for (let round = 0; round < 2 && due.length; round++) {
    const waiting: string[] = [];
    const sentBefore = result.sent;
    for (const item of due) {
      const outcome = await sendItem(item, deps);
      if (outcome === 'sent') result.sent++;
      else if (outcome === 'needs_attention') result.failed++;
      else if (outcome === 'paused') return { ...result, stoppedBy: 'auth' };
      else if (outcome === 'waiting') waiting.push(item.id);
      else if (outcome === 'skipped') continue;
      else return { ...result, stoppedBy: 'network' };
    }
    if (result.sent === sentBefore) break;
    due = (await Promise.all(waiting.map((id) => outbox.getItem(id))))
      .filter((i): i is OutboxItem => i?.state === 'queued');
  }
  return result;
}

// --- the loop ---------------------------------------------------------------------------------

const TIMER_MS = 15_000;

export interface SyncStatus {
  running: boolean;
  authPaused: boolean;
  lastResult: FlushResult | null;
  lastRunAt: string | null;
}

type Listener = (status: SyncStatus) => void;

export class SyncLoop {
  private status: SyncStatus = { running: false, authPaused: false, lastResult: null, lastRunAt: null };
  private listeners = new Set<Listener>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private pending: Promise<FlushResult | null> | null = null;
  private again = false;
  private wake: ReturnType<typeof setTimeout> | null = null;

  constructor(private deps: SyncDeps) {}

  get state(): SyncStatus {
    return this.status;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    listener(this.status);
    return () => this.listeners.delete(listener);
  }

  private set(patch: Partial<SyncStatus>): void {
    this.status = { ...this.status, ...patch };
    this.listeners.forEach((l) => l(this.status));
  }

  /** Wire the triggers: app open, online, visible, timer. */
  start(): void {
    void outbox.recoverInterrupted().then(() => this.request());
    window.addEventListener('online', () => void this.request({ force: true }));
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') void this.request();
    });
    this.timer = setInterval(() => void this.request(), TIMER_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The user logged in again: a paused outbox resumes at once. */
  resumeAfterLogin(): Promise<FlushResult | null> {
    this.set({ authPaused: false });
    return this.request({ force: true });
  }

  /** Ask for a flush; `force` (the button, the online event) ignores the backoff delays. */
  async request(options: { force?: boolean } = {}): Promise<FlushResult | null> {
    if (this.status.authPaused) return null;
    if (options.force) await outbox.makeAllDue();
    if (this.pending) {
      this.again = true;
      return this.pending;
    }
    this.pending = this.run().finally(() => {
      this.pending = null;
    });
    const result = await this.pending;
    if (this.again) {
      this.again = false;
      return this.request();
    }
    return result;
  }

  /** Wake up when the earliest backoff ends, rather than at the next timer tick. */
  private async scheduleNextDue(): Promise<void> {
    if (this.wake) clearTimeout(this.wake);
    this.wake = null;
    if (this.status.authPaused) return;
    const next = await outbox.nextDueAt();
    if (next == null) return;
    const delay = Math.max(0, next - Date.now());
    if (delay < TIMER_MS) this.wake = setTimeout(() => void this.request(), delay + 50);
  }

  private async run(): Promise<FlushResult | null> {
    this.set({ running: true });
    try {
      const flush = () => flushOnce({ ...this.deps, onProgress: (item) => {
        this.deps.onProgress?.(item);
        this.set({});
      } });
      const locks = (navigator as Navigator & { locks?: LockManager }).locks;
      const result = locks
        ? await locks.request('hazardloop-outbox', flush)
        : await flush();
      this.set({ lastResult: result, lastRunAt: new Date().toISOString(), authPaused: result.stoppedBy === 'auth' });
      await this.scheduleNextDue();
      return result;
    } finally {
      this.set({ running: false });
    }
  }
}
