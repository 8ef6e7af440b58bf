/**
 * Start-up. Two apps share this page:
 * - the public pages (QR poster, 我要举报, progress, 曝光台) for anyone: no login, and none of the field
 *   app's requirements (IndexedDB, service worker, a real browser rather than WeChat's), so they boot
 *   straight into their own small chunk;
 * - the field app for officials: check the browser can keep data, open storage, register the worker,
 *   render, start syncing.
 * This entry stays tiny; each app is loaded as its own chunk.
 */
import { render } from 'preact';
import { isPublicOnlyPath, isQrPath } from './features/public/paths';
import { interceptLinks } from './router';
import { blockingProblem, requestPersistence, startupWarnings } from './support';
import { registerServiceWorker, requestBackgroundSync } from './sw-bridge';
import './ui/styles.css';
import { applyTextSize } from './ui/textsize';

applyTextSize(); // the device's 大字模式 before the first paint, public pages included

function Unsupported(props: { message: string }) {
  return (
    <div class="app">
      <header class="topbar"><h1>无法在此打开</h1></header>
      <main>
        <div class="banner error" role="alert">{props.message}</div>
        <p>群众举报安全隐患无需登录，在此浏览器中即可使用：<a href="/report">我要举报</a> · <a href="/exposure">曝光台</a></p>
      </main>
    </div>
  );
}

function Failed() {
  return (
    <div class="app">
      <main><div class="banner error" role="alert">网络连接失败，页面未能加载。请检查网络后刷新。</div></main>
    </div>
  );
}

function within<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  return Promise.race([promise, new Promise<T>((resolve) => setTimeout(() => resolve(fallback), ms))]);
}

/**
 * Whether an official is logged in on this browser. Never throws and never blocks for long: any
 * trouble with storage (private mode, no IndexedDB) means "no", and the visitor gets the public page.
 */
async function hasFieldSession(): Promise<boolean> {
  try {
    if (typeof indexedDB === 'undefined') return false;
    // Without the field app's database there is no session; don't create one in a visitor's browser.
    const names = typeof indexedDB.databases === 'function' ? await within(indexedDB.databases(), 1500, null) : null;
    if (names && names.length === 0) return false; // the usual visitor: nothing stored here, nothing more to load
    const { DB_NAME } = await import('./db/schema');
    if (names && !names.some((d) => d.name === DB_NAME)) return false;
    const { getMeta } = await import('./db/meta');
    return Boolean(await within(getMeta('session'), 2500, undefined));
  } catch {
    return false;
  }
}

async function bootPublic(root: HTMLElement): Promise<void> {
  let PublicApp;
  try {
    ({ PublicApp } = await import('./features/public/PublicApp'));
  } catch {
    return render(<Failed />, root);
  }
  interceptLinks(root);
  root.textContent = '';
  render(<PublicApp />, root);
}

async function bootField(root: HTMLElement): Promise<void> {
  const problem = blockingProblem();
  if (problem) return render(<Unsupported message={problem} />, root);
  // 监管台 opened directly: fetch its chunk and the overview's figures beside the field app's chunks rather
  // than after them (ConsoleRoute and the overview take them).
  if (location.pathname === '/console' || location.pathname.startsWith('/console/')) {
    import('./features/console/ConsoleApp').catch(() => undefined);
    import('./features/console/early')
      .then((m) => m.startOverview(location.pathname, new URLSearchParams(location.search))).catch(() => undefined);
  }
  let modules;
  try {
    modules = await Promise.all([
      import('./App'), import('./app-state'), import('./db/schema'), import('./api/auth'), import('./features/sites/data'),
    ]);
  } catch {
    return render(<Failed />, root);
  }
  const [{ App }, state, { getDB }, { fetchSession }, { prefetchForOffline }] = modules;
  try {
    await getDB();
  } catch (error) {
    return render(<Unsupported message={(error as Error).message} />, root);
  }
  registerServiceWorker(() => void state.syncLoop.request({ force: true }));
  void requestPersistence();
  const session = await state.loadStoredSession();
  interceptLinks(root);
  root.textContent = '';
  render(<App warnings={startupWarnings()} />, root);
  state.refreshOutbox();
  state.syncLoop.start();
  state.syncLoop.subscribe((s) => {
    if (s.lastResult?.stoppedBy === 'network') void requestBackgroundSync();
  });
  if (session) {
    // Confirm the session with the server when reachable; offline, the remembered one keeps the app usable.
    fetchSession().then(state.rememberSession).then(() => prefetchForOffline()).catch(() => undefined);
  }
}

async function boot(): Promise<void> {
  const root = document.getElementById('app')!;
  const path = location.pathname;
  if (isPublicOnlyPath(path)) return bootPublic(root);
  if (isQrPath(path)) {
    // The QR poster's URL: an official goes on to inspect the site, anyone else sees its public page.
    // Fetch the public chunk while looking for a session, so the visitor waits for one round trip only.
    const publicChunk = import('./features/public/PublicApp').catch(() => null);
    if (!(await hasFieldSession())) {
      await publicChunk;
      return bootPublic(root);
    }
  }
  return bootField(root);
}

void boot();
