/// <reference lib="webworker" />
/**
 * The service worker: serves the precached app shell and assets; API data lives in IndexedDB. The one
 * exception is hazard photos (thumbnail and watermarked evidence copy), kept in capped caches so a 复查's
 * before/after comparison works without signal.
 */
import { clientsClaim } from 'workbox-core';
import { CacheExpiration } from 'workbox-expiration';
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { PHOTO_CACHES, photoCacheKey, photoKind } from './features/hazards/photo-cache';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: { url: string; revision: string | null }[] };

self.skipWaiting();
clientsClaim();
cleanupOutdatedCaches();
precacheAndRoute(self.__WB_MANIFEST);

// Every app route (/, /sites/3, /s/<token>, …) opens the cached shell; the API is never touched here.
registerRoute(new NavigationRoute(createHandlerBoundToURL('/index.html'), { denylist: [/^\/api\//] }));

// Least recently used photos go first once a cache holds its maximum (workbox-expiration keeps the
// access times in its own IndexedDB database).
const expirations = Object.fromEntries(Object.entries(PHOTO_CACHES).map(([kind, c]) =>
  [kind, new CacheExpiration(c.name, { maxEntries: c.maxEntries, maxAgeSeconds: c.maxAgeSeconds })]));

async function keepPhoto(cacheName: string, key: string, response: Response, expiration: CacheExpiration): Promise<void> {
  try {
    await (await caches.open(cacheName)).put(key, response);
    await expiration.updateTimestamp(key);
    await expiration.expireEntries();
  } catch (error) {
    // The photo copies share the quota with the drafts and outbox (the user's unsent work): give the room back.
    if ((error as Error).name === 'QuotaExceededError') await caches.delete(cacheName);
  }
}

/**
 * Stale-while-revalidate: the cached copy at once (offline: the only answer), refreshed from the server in the
 * background; a photo the server no longer shows me (403/404) leaves the cache. Without a copy, the network.
 */
registerRoute(({ url, request, sameOrigin }) => sameOrigin && request.method === 'GET' && photoKind(url) !== null,
  async ({ url, request, event }) => {
    const kind = photoKind(url)!;
    const { name } = PHOTO_CACHES[kind];
    const expiration = expirations[kind];
    const key = photoCacheKey(url);
    const cache = await caches.open(name);
    const cached = await cache.match(key, { ignoreVary: true });
    const network = fetch(request).then(async (response) => {
      if (response.status === 200) await keepPhoto(name, key, response.clone(), expiration);
      else if (response.status === 403 || response.status === 404) await cache.delete(key);
      return response;
    });
    if (!cached) return network;
    (event as ExtendableEvent).waitUntil(Promise.all([
      network.catch(() => undefined), expiration.updateTimestamp(key),
    ]));
    return cached;
  });

// Background Sync (where the browser has it): wake an open page to flush its outbox.
self.addEventListener('sync', (event: Event) => {
  const e = event as ExtendableEvent & { tag?: string };
  if (e.tag !== 'outbox') return;
  e.waitUntil(self.clients.matchAll({ type: 'window' }).then((clients) => {
    clients.forEach((c) => c.postMessage({ type: 'flush-outbox' }));
  }));
});

// Web Push: show the notice; a tap focuses an open window on its page, or opens one.
interface PushNotice { title: string; body?: string; url?: string; tag?: string }

self.addEventListener('push', (event: PushEvent) => {
  let notice: PushNotice = { title: '您有一条新消息', url: '/inbox' };
  try {
    notice = { ...notice, ...(event.data?.json() as PushNotice) };
  } catch {
    // Not JSON: show the generic line and let the inbox tell the rest.
  }
  event.waitUntil(self.registration.showNotification(notice.title, {
    body: notice.body, tag: notice.tag, data: { url: notice.url ?? '/inbox' }, icon: '/icons/icon-192.png',
  }));
});

self.addEventListener('notificationclick', (event: NotificationEvent) => {
  event.notification.close();
  const path = (event.notification.data as { url?: string } | null)?.url ?? '/inbox';
  event.waitUntil(self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then(async (clients) => {
    const open = clients.find((c) => new URL(c.url).origin === self.location.origin) as WindowClient | undefined;
    if (!open) return self.clients.openWindow(new URL(path, self.location.origin).href);
    // The app routes in place (sw-bridge): no reload, its offline data stays.
    open.postMessage({ type: 'open-url', url: path });
    return open.focus();
  }));
});
