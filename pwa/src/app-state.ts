/** App-wide state: who is logged in, whether the API is reachable, the sync loop and outbox counts. */
import { probe } from './api/auth';
import { isReachable, onAuthRequired, onReachability, setCsrfToken } from './api/http';
import { storeHazard } from './api/data';
import { httpSubmissionApi } from './api/submissions';
import type { HazardDetail } from './api/types';
import { deleteMeta, getMeta, setMeta, type StoredSession } from './db/meta';
import { listItems } from './outbox/outbox';
import { SyncLoop, type SyncStatus } from './outbox/sync';
import { createStore } from './store';
import { mergedLanding, replaceMergedSite } from './features/sites/merged';
import type { OutboxItem } from './db/types';

export const sessionStore = createStore<StoredSession | null>(null);
export const reachableStore = createStore<boolean | null>(isReachable());
export const authExpiredStore = createStore(false);
export const outboxStore = createStore<OutboxItem[]>([]);
/** Bumped when a cached hazard changed (a workflow step was accepted), so open screens re-read it. */
export const hazardsChanged = createStore(0);
/** Bumped when the offline copy of my sites changed (a merged site replaced), so open screens re-read it. */
export const sitesChanged = createStore(0);

let refreshQueued = false;
/** Re-read the outbox for the screens (coalesced: many progress events, one read). */
export function refreshOutbox(): void {
  if (refreshQueued) return;
  refreshQueued = true;
  queueMicrotask(() => {
    refreshQueued = false;
    void listItems().then((items) => outboxStore.set(items));
  });
}

export const syncLoop = new SyncLoop({
  api: httpSubmissionApi,
  onProgress: (item) => {
    // The server's answer to a workflow step is the hazard as it now stands: keep it for offline reading.
    if (item.kind === 'transition' && item.state === 'sent' && item.response?.id) {
      void storeHazard(item.response as unknown as HazardDetail).then(() => hazardsChanged.set(Date.now()));
    }
    // Recorded on the surviving site of a merge (合并重复场所): the phone's copy of the merged site is replaced.
    const landing = item.state === 'sent' ? mergedLanding(item) : null;
    if (landing) void replaceMergedSite(landing).then(() => sitesChanged.set(Date.now()));
    refreshOutbox();
  },
});
export const syncStore = createStore<SyncStatus>(syncLoop.state);
syncLoop.subscribe((s) => {
  syncStore.set(s);
  if (!s.running) refreshOutbox();
});

onReachability((value) => {
  reachableStore.set(value);
  // Back in reach: flush at once rather than waiting for the timer.
  if (value) void syncLoop.request({ force: true });
});
onAuthRequired(() => authExpiredStore.set(true));

/** How often the badge re-checks the server while the page is visible: a change shows within seconds. */
export const REACHABILITY_PING_MS = 5_000;

/**
 * The connection badge follows real reachability: the browser's offline event at once, and a health ping every few
 * seconds (any request's outcome also counts, see http.ts). Returns a function that stops watching.
 */
export function watchReachability(intervalMs = REACHABILITY_PING_MS): () => void {
  let stopped = false;
  // Every change goes through the request layer (an offline fetch fails at once), so the store never disagrees with it.
  const ping = () => {
    if (!stopped && document.visibilityState !== 'hidden') void probe(4000);
  };
  const offline = () => void probe(4000);
  window.addEventListener('offline', offline);
  window.addEventListener('online', ping);
  document.addEventListener('visibilitychange', ping);
  const timer = setInterval(ping, intervalMs);
  ping();
  return () => {
    stopped = true;
    clearInterval(timer);
    window.removeEventListener('offline', offline);
    window.removeEventListener('online', ping);
    document.removeEventListener('visibilitychange', ping);
  };
}

export async function loadStoredSession(): Promise<StoredSession | null> {
  const session = (await getMeta<StoredSession>('session')) ?? null;
  if (session) setCsrfToken(session.csrf_token);
  sessionStore.set(session);
  return session;
}

export async function rememberSession(session: StoredSession): Promise<void> {
  await setMeta('session', session);
  setCsrfToken(session.csrf_token);
  sessionStore.set(session);
  authExpiredStore.set(false);
  void syncLoop.resumeAfterLogin();
}

/** Log out on this device: the outbox and drafts stay (they belong to the work, not the session). */
export async function forgetSession(): Promise<void> {
  await deleteMeta('session');
  setCsrfToken(null);
  sessionStore.set(null);
}
