// The service worker keeps the app shell (this page, its scripts, styles, pictograms and
// the last list of places) so that the map opens again without network.
import { keepForOffline, forgetOnLogout } from '../shared/offline.js';
import { config, placesUrl } from './config.js';

export function registerServiceWorker() {
  const pictograms = [...config.categories.map((item) => item.pictogram), config.preschool.pictogram];
  return keepForOffline(config.api.sw, [...pictograms, placesUrl()]); // the places, for offline
}

forgetOnLogout();
