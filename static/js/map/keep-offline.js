// "Keep the map for offline use" on the start page: asks the server which tiles of the
// preschool's neighbourhood to keep (zoom 13-17, bounded), and the service worker
// (sw.js) fetches them through /basemap/ into its tiles cache, telling the progress.
// The chosen background is remembered for every map (shared/background.js reads it).
// What it needs: ``keep_offline`` in the page's config (smultron/web/basemaps.py).
import { rememberBackground as remember, rememberedBackground as remembered } from '../shared/background.js';
import { format } from '../shared/format.js';
import { HttpError, Offline, getJson } from '../shared/http.js';
import { pageConfig } from '../shared/page-config.js';

const section = document.getElementById('keep-offline');

function setUp(config) {
  const { strings } = config;
  const button = document.getElementById('keep-offline-button');
  const status = document.getElementById('keep-offline-status');
  const bar = document.getElementById('keep-offline-progress');
  const radios = [...section.querySelectorAll('input[name="keep-basemap"]')];
  const said = (text, kind = '') => {
    status.textContent = text;
    status.className = `keep-status ${kind}`.trim();
  };
  const chosen = () => radios.find((radio) => radio.checked)?.value ?? config.choices[0]?.name;
  const start = remembered();
  const preselect = radios.find((radio) => radio.value === start);
  if (preselect) preselect.checked = true;
  for (const radio of radios) radio.addEventListener('change', () => remember(radio.value));

  async function worker() {
    await navigator.serviceWorker.register(config.sw, { scope: '/' });
    return (await navigator.serviceWorker.ready).active;
  }

  function keep(active, urls) {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = ({ data }) => {
        bar.max = data.total || 1;
        bar.value = data.done;
        if (data.finished) resolve(data);
        else said(format(strings.progress, data));
      };
      active.postMessage({ type: 'keep-tiles', urls }, [channel.port2]);
    });
  }

  async function run() {
    if (!('serviceWorker' in navigator) || !('caches' in window)) {
      said(strings.unsupported, 'status-failed');
      return;
    }
    const name = chosen();
    remember(name);
    button.disabled = true;
    said(strings.asking);
    try {
      const body = await getJson(`${config.tiles}?basemap=${encodeURIComponent(name)}`);
      const active = await worker();
      navigator.storage?.persist?.().catch((error) => {
        console.warn('The kept map may be cleared by the browser when space runs short:', error.message);
      });
      bar.hidden = false;
      said(format(strings.progress, { done: 0, total: body.tiles.length }));
      const result = await keep(active, body.tiles);
      if (result.failed) {
        said(format(strings.partial, result), 'status-failed');
      } else {
        said([format(strings.done, { total: result.total, name: body.label }), body.note]
          .filter(Boolean).join(' '), 'status-ok');
        document.body.dataset.tilesKept = String(result.total);
      }
    } catch (error) {
      if (error instanceof HttpError && error.body.error) {
        said(error.body.error, 'status-failed'); // refused: the terms, the limit
      } else {
        // no answer, or the service worker could not start
        if (!(error instanceof Offline || error instanceof HttpError)) console.warn('The map was not kept:', error);
        said(strings.no_network, 'status-failed');
      }
    } finally {
      button.disabled = false;
    }
  }

  button.addEventListener('click', run);
  section.hidden = false;
}

const config = pageConfig().keep_offline;
if (config && section) setUp(config);
