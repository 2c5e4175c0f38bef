// Keeping a page for offline use: the service worker (/sw.js, static/js/map/sw.js) is
// registered and handed this page, the files it loaded and the ``extra`` URLs (its
// pictograms, its data) to keep; <body data-offline-ready="yes"> once they are kept.
function shellUrls(extra) {
  const here = (url) => new URL(url, window.location.href);
  const own = (url) => here(url).origin === window.location.origin;
  const urls = new Set([window.location.href]);
  for (const entry of performance.getEntriesByType('resource')) {
    if (own(entry.name) && !entry.name.includes('/api/')) urls.add(entry.name);
  }
  for (const url of extra) if (url && own(url)) urls.add(here(url).href);
  return [...urls];
}

function precache(worker, urls) {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    worker.postMessage({ type: 'precache', urls }, [channel.port2]);
  });
}

export async function keepForOffline(swUrl, extra = []) {
  if (!('serviceWorker' in navigator)) return;
  try {
    await navigator.serviceWorker.register(swUrl, { scope: '/' });
    const registration = await navigator.serviceWorker.ready;
    await precache(registration.active, shellUrls(extra));
    document.body.dataset.offlineReady = 'yes';
  } catch (error) {
    // no offline copy (private mode, an old browser): the page works online
    console.warn('The page is not kept for offline use:', error.message);
  }
}

// What was kept goes when the person logs out.
export function forgetOnLogout() {
  const logout = document.querySelector('form[action$="/logout"]');
  if (logout && 'caches' in window) {
    logout.addEventListener('submit', () => {
      caches.keys().then((keys) => Promise.all(keys.map((key) => caches.delete(key))));
    });
  }
}
