/** The one seam between page and service worker: registration, Background Sync nudges to flush, push taps. */
import { navigate } from './router';

export function registerServiceWorker(onFlushRequested: () => void): void {
  if (!('serviceWorker' in navigator) || import.meta.env.DEV) return;
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {
    // Without a worker the app still works online; the startup banner explains the offline limits.
  });
  navigator.serviceWorker.addEventListener('message', (event) => {
    if (event.data?.type === 'flush-outbox') onFlushRequested();
    // A tapped push notice: open its page in this window.
    if (event.data?.type === 'open-url' && typeof event.data.url === 'string' && event.data.url.startsWith('/')) {
      navigate(event.data.url);
    }
  });
}

/** Where Background Sync exists (not iOS), ask the browser to wake us when the network returns. */
export async function requestBackgroundSync(): Promise<void> {
  try {
    const registration = await navigator.serviceWorker?.ready;
    const sync = (registration as ServiceWorkerRegistration & { sync?: { register(tag: string): Promise<void> } })?.sync;
    await sync?.register('outbox');
  } catch {
    // Optional: the online event, visibility and the timer flush the outbox anyway.
  }
}
