// Smultron's service worker: the staff map works without network.
// Pages under /map and the places API: network first, the last copy when offline.
// Static files: the cached copy at once, refreshed in the background.
// Writes (POST/PATCH/DELETE) are never touched: the page's outbox (IndexedDB) owns them.
// The server puts a hash of the map's files here: a new release means a new cache.
const CACHE = 'smultron-map-__VERSION__';
// Background map tiles kept for an outing ("Keep the map for offline use" on the start
// page): their own cache, kept across releases, served before the network.
const TILES = 'smultron-tiles';
const MAX_TILES = 2000; // the server plans at most 1500 (smultron/basemaps/offline.py)
const PARALLEL = 4;

self.addEventListener('install', () => self.skipWaiting());

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith('smultron-') && key !== CACHE && key !== TILES) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data?.type !== 'precache') return;
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await Promise.all(event.data.urls.map(async (url) => {
      try {
        const response = await fetch(url, { credentials: 'same-origin' });
        if (response.ok && !response.redirected) await cache.put(url, response);
      } catch (error) {
        // skipped; cached the next time it is fetched
        console.warn('Not kept for offline use:', url, error.message);
      }
    }));
    if (event.ports[0]) event.ports[0].postMessage('done');
  })());
});

// Fetches ``urls`` into the tiles cache (what it held of other areas goes), PARALLEL at a
// time, telling ``port`` {done, failed, total} as it goes and {finished: true} at the end.
async function keepTiles(urls, port) {
  const cache = await caches.open(TILES);
  const wanted = [...new Set(urls.slice(0, MAX_TILES).map((url) => new URL(url, self.location.origin).href))]
    .filter((url) => new URL(url).origin === self.location.origin);
  const keep = new Set(wanted);
  for (const request of await cache.keys()) {
    if (!keep.has(request.url)) await cache.delete(request);
  }
  const progress = { done: 0, failed: 0, total: wanted.length };
  const queue = [...wanted];
  const tell = (extra = {}) => port?.postMessage({ ...progress, ...extra });
  async function worker() {
    while (queue.length) {
      const url = queue.shift();
      try {
        if (!(await cache.match(url, { ignoreVary: true }))) {
          const response = await fetch(url, { credentials: 'same-origin' });
          // 204: the map has no tile there; kept too, so that offline asks nobody
          if ((response.ok || response.status === 204) && !response.redirected) await cache.put(url, response);
          else progress.failed += 1;
        }
      } catch (error) {
        progress.failed += 1; // counted and said on the page ("… could not be fetched")
        console.warn('Not kept for offline use:', url, error.message);
      }
      progress.done += 1;
      if (progress.done % 10 === 0) tell();
    }
  }
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  tell({ finished: true });
}

self.addEventListener('message', (event) => {
  if (event.data?.type !== 'keep-tiles' || !Array.isArray(event.data.urls)) return;
  event.waitUntil(keepTiles(event.data.urls, event.ports[0]));
});

async function keptTileFirst(request) {
  const kept = await caches.match(request, { cacheName: TILES, ignoreVary: true });
  return kept || fetch(request);
}

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
    event.waitUntil(refresh.catch((error) => console.warn('Served the kept copy; not refreshed:', event.request.url, error.message)));
    return cached;
  }
  return refresh;
}

// A recording read aloud: its address never changes meaning (a new upload gets a new
// one), so the kept copy first, else the whole file (an audio element asks for ranges,
// which a cache cannot hold) kept for the next time.
async function keptRecording(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request.url);
  if (cached) return cached;
  const response = await fetch(request.url, { credentials: 'same-origin' });
  if (response.status === 200 && !response.redirected) await cache.put(request.url, response.clone());
  return response;
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/static/')) {
    event.respondWith(cacheFirst(event));
  } else if (url.pathname.startsWith('/basemap/')) {
    event.respondWith(keptTileFirst(request));
  } else if (url.pathname.startsWith('/map/') && url.pathname.includes('/recordings/')) {
    event.respondWith(keptRecording(request));
  } else if (url.pathname.startsWith('/map/') || url.pathname.startsWith('/api/v1/places')) {
    event.respondWith(networkFirst(request));
  }
});
