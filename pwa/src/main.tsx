/** Start-up: check the browser can keep data, open storage, register the worker, render, start syncing. */
import { render } from 'preact';
import { fetchSession } from './api/auth';
import { App } from './App';
import { loadStoredSession, refreshOutbox, rememberSession, syncLoop } from './app-state';
import { prefetchForOffline } from './features/sites/data';
import { getDB } from './db/schema';
import { interceptLinks } from './router';
import { blockingProblem, requestPersistence, startupWarnings } from './support';
import { registerServiceWorker, requestBackgroundSync } from './sw-bridge';
import './ui/styles.css';

function Unsupported(props: { message: string }) {
  return (
    <div class="app">
      <header class="topbar"><h1>无法在此打开</h1></header>
      <main><div class="banner error" role="alert">{props.message}</div></main>
    </div>
  );
}

async function boot(): Promise<void> {
  const root = document.getElementById('app')!;
  const problem = blockingProblem();
  if (problem) return render(<Unsupported message={problem} />, root);
  try {
    await getDB();
  } catch (error) {
    return render(<Unsupported message={(error as Error).message} />, root);
  }
  registerServiceWorker(() => void syncLoop.request({ force: true }));
  void requestPersistence();
  const session = await loadStoredSession();
  interceptLinks(root);
  root.textContent = '';
  render(<App warnings={startupWarnings()} />, root);
  refreshOutbox();
  syncLoop.start();
  syncLoop.subscribe((s) => {
    if (s.lastResult?.stoppedBy === 'network') void requestBackgroundSync();
  });
  if (session) {
    // Confirm the session with the server when reachable; offline, the remembered one keeps the app usable.
    fetchSession().then(rememberSession).then(() => prefetchForOffline()).catch(() => undefined);
  }
}

void boot();
