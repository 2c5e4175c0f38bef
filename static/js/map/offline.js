// The service worker keeps the app shell (this page, its scripts, styles, pictograms and
// the last list of places) so that the map opens again without network.
import { keepForOffline, forgetOnLogout } from '../shared/offline.js';
import { config, placesUrl } from './config.js';
import { recordingUrls } from '../shared/speak.js';

export function registerServiceWorker() {
  const pictograms = [...config.categories.map((item) => item.pictogram), config.preschool.pictogram];
  const sounds = [config.speech.icon, ...recordingUrls()]; // what the speaker buttons play
  return keepForOffline(config.api.sw, [...pictograms, ...sounds, placesUrl()]); // the places, for offline
}

forgetOnLogout();
