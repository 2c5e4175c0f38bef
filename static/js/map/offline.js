// The service worker keeps the app shell (this page, its scripts, styles, pictograms and
// the last list of places) so that the map opens again without network.
import { config, placesUrl } from './config.js';

function shellUrls() {
  const own = (url) => new URL(url, window.location.href).origin === window.location.origin;
  const urls = new Set([window.location.href]);
  for (const entry of performance.getEntriesByType('resource')) {
    if (own(entry.name) && !entry.name.includes('/api/')) urls.add(entry.name);
  }
  for (const item of config.categories) urls.add(new URL(item.pictogram, window.location.href).href);
  urls.add(new URL(config.preschool.pictogram, window.location.href).href);
  urls.add(new URL(placesUrl(), window.location.href).href); // the places, for offline
  return [...urls];
}

function precache(worker) {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    worker.postMessage({ type: 'precache', urls: shellUrls() }, [channel.port2]);
  });
}

export async function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  try {
    await navigator.serviceWorker.register(config.api.sw, { scope: '/' });
    const registration = await navigator.serviceWorker.ready;
    await precache(registration.active);
    document.body.dataset.offlineReady = 'yes';
  } catch (error) {
    // no offline copy (private mode, an old browser): the map works online
    console.warn('The map is not kept for offline use:', error.message);
  }
}

const logout = document.querySelector('form[action$="/logout"]');
if (logout && 'caches' in window) {
  logout.addEventListener('submit', () => {
    caches.keys().then((keys) => Promise.all(keys.map((key) => caches.delete(key))));
  });
}
