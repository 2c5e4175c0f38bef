// Smultron's service worker: the staff map works without network.
// Pages under /map and the places API: network first, the last copy when offline.
// Static files: the cached copy at once, refreshed in the background.
// Writes (POST/PATCH/DELETE) are never touched: the page's outbox (IndexedDB) owns them.
// The server puts a hash of the map's files here: a new release means a new cache.
const CACHE = 'smultron-map-__VERSION__';

self.addEventListener('install', () => self.skipWaiting());

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith('smultron-') && key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (!event.data || event.data.type !== 'precache') return;
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await Promise.all(event.data.urls.map(async (url) => {
      try {
        const response = await fetch(url, { credentials: 'same-origin' });
        if (response.ok && !response.redirected) await cache.put(url, response);
      } catch {
        // skipped; cached the next time it is fetched
      }
    }));
    if (event.ports[0]) event.ports[0].postMessage('done');
  })());
});

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(request);
    if (cached) return cached;
    throw error;
  }
}

async function cacheFirst(event) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(event.request);
  const refresh = fetch(event.request).then(async (response) => {
    if (response.ok) await cache.put(event.request, response.clone());
    return response;
  });
  if (cached) {
    event.waitUntil(refresh.catch(() => undefined));
    return cached;
  }
  return refresh;
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/static/')) {
    event.respondWith(cacheFirst(event));
  } else if (url.pathname.startsWith('/map/') || url.pathname.startsWith('/api/v1/places')) {
    event.respondWith(networkFirst(request));
  }
});
