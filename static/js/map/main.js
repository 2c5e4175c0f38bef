// The mapping page: places from the server plus the outbox, shown on the map and in the
// list; new places and changes go to the outbox first, then to the server.
/* global L */
import {
  category, config, newId, placesUrl, t,
} from './config.js';
import {
  allInside, fromLayer, kindOf, pointAt,
} from './geometry.js';
import { renderList } from './list.js';
import {
  clearDraft, keepDraftInView, layerOf, map, onPreschool, openPopup, render, setUpMap, showDraft,
} from './mapview.js';
import { closePanel, initPanel, isOpen, openPanel } from './panel.js';
import { initPhotos, photoChanges, showPhotos } from './photo-panel.js';
import {
  describeWaiting, queuePhoto, queueRemoval, sendPhotos, waiting as waitingPhotos,
} from './photos.js';
import * as store from './store.js';
import { Sync } from './sync.js';
import { registerServiceWorker } from './offline.js';
import { HttpError, Offline, getJson, refreshCsrfToken } from '../shared/http.js';

const server = new Map(); // id -> feature as the server last sent it
let outbox = new Map(); // id -> op
let photoOps = []; // the photos waiting to be sent (or refused), oldest first
const statusLine = document.getElementById('sync-status');
const syncButton = document.getElementById('sync-now');
const notice = document.getElementById('notice');
let stopReason = null;

let noticeTimer = null;

// A short message over the map; information goes away by itself, errors stay.
function say(text, isError = false) {
  notice.textContent = text;
  notice.classList.toggle('error', isError);
  notice.hidden = !text;
  clearTimeout(noticeTimer);
  if (text && !isError) noticeTimer = setTimeout(() => { notice.hidden = true; }, 5000);
}

// -- the places shown: the server's, overlaid with what waits in the outbox ------------

function entries() {
  const result = new Map();
  for (const [id, feature] of server) {
    if (!feature.properties.deleted_at) result.set(id, { feature, state: 'saved' });
  }
  for (const [id, op] of outbox) {
    if (op.kind === 'delete') result.delete(id);
    else if (op.feature.properties.preschool === config.preschool.id || op.feature.properties.session === config.session.id) {
      result.set(id, {
        feature: op.feature, state: op.error ? 'refused' : 'waiting', error: op.error, fields: op.fields, queuedAt: op.queuedAt,
      });
    }
  }
  const list = [...result.values()];
  for (const entry of list) entry.mine = entry.feature.properties.session === config.session.id;
  return list;
}

// The bar above the map: what waits to be sent, and (apart) what the server refused — a
// refused place is not "waiting", it waits for the staff member.
function showStatus() {
  const ops = [...outbox.values()];
  const refused = ops.filter((op) => op.error).length;
  const waiting = ops.length - refused;
  const photos = describeWaiting(photoOps);
  document.body.dataset.waiting = String(waiting);
  document.body.dataset.refused = String(refused);
  document.body.dataset.waitingPhotos = String(photos.pending);
  document.body.dataset.refusedPhotos = String(photos.refused);
  const anything = waiting + refused + photos.pending + photos.refused > 0;
  statusLine.classList.toggle('waiting', anything);
  const parts = [];
  if (waiting) parts.push(waiting === 1 ? t('waiting_one') : t('waiting_many', { n: waiting }));
  parts.push(...photos.parts);
  if ((waiting || photos.count) && stopReason === 'offline') parts.push(t('offline'));
  if ((waiting || photos.count) && stopReason === 'server') parts.push(t('server_error'));
  if (refused) parts.push(refused === 1 ? t('refused_one') : t('refused_many', { n: refused }));
  statusLine.textContent = parts.length ? parts.join(' ') : t('all_saved');
  syncButton.hidden = waiting === 0 && photos.pending === 0;
  if (stopReason === 'login') say(t('login_again'), true);
}

let confirming = null; // the place whose Delete asks "Yes, delete" (until something else is done)
let shown = []; // the entries drawn last

// Any other action takes back a Delete that asked "Yes, delete?".
const settling = (handler) => (entry, button) => {
  confirming = null;
  return handler(entry, button);
};

// What can be done with a place: places of closed campaigns are only looked at; a change
// the server refused can be corrected or thrown away.
function actions(entry) {
  if (!config.open_campaigns.includes(entry.feature.properties.campaign)) return [];
  const remove = confirming === entry.feature.id ? 'yes_delete' : 'delete';
  const list = [['edit', settling(editPlace)], ['move', settling(movePlace)], [remove, deletePlace]];
  if (entry.error) list.push(['discard', settling(discardChange)]);
  return list;
}

function listActions(entry) {
  return [['show_on_map', settling(showOnMap)], ...actions(entry)];
}

// The list keeps the order the places were made in (the server's created_at, or when a
// new one was queued), whatever changes: rows never jump under a finger.
function made(entry) {
  return Date.parse(entry.feature.properties.created_at || '') || entry.queuedAt || Number.MAX_VALUE;
}

function showList() {
  const mine = shown.filter((entry) => entry.mine);
  mine.sort((a, b) => made(a) - made(b) || (a.feature.id < b.feature.id ? -1 : 1));
  renderList(mine, listActions);
}

async function discardChange(entry) {
  await store.remove(entry.feature.id);
  await refresh();
}

// The place's popup, with the keyboard focus in it; closing it (Escape) brings the focus
// back to the button in the list.
function showOnMap(entry, button) {
  map.getContainer().scrollIntoView({ block: 'nearest' });
  openPopup(entry.feature.id, (popup) => {
    popup.getElement().querySelector('.place-popup').focus();
    map.once('popupclose', () => {
      const row = document.querySelector(`#places-table tr[data-place-id="${entry.feature.id}"]`);
      const lost = document.activeElement === document.body || popup.getElement()?.contains(document.activeElement);
      if (lost) (row?.querySelector('button[data-action="show_on_map"]') || button).focus();
    });
  });
}

async function refresh() {
  outbox = new Map((await store.all()).map((op) => [op.id, op]));
  photoOps = await waitingPhotos();
  shown = entries();
  render(shown, actions);
  showList();
  showStatus();
}

// -- the outbox -------------------------------------------------------------------------

async function queue(id, change) {
  const previous = await store.get(id);
  const op = change(previous);
  op.id = id;
  op.rev = (previous?.rev || 0) + 1;
  op.queuedAt = previous?.queuedAt || Date.now();
  delete op.error;
  delete op.reason;
  delete op.fields;
  await store.put(op);
  await refresh();
  sync.flush();
}

function currentFeature(id) {
  return outbox.get(id)?.feature || server.get(id);
}

// -- photos -----------------------------------------------------------------------------

// A place's photos as the tablet knows them: the server's, less those waiting to be
// removed, then those waiting to be sent (or refused, with the reason).
function photosOf(placeId) {
  const ops = photoOps.filter((op) => op.place === placeId);
  const removed = new Set(ops.filter((op) => op.kind === 'delete').map((op) => op.id));
  const queued = new Set(ops.map((op) => op.id));
  const saved = (server.get(placeId)?.properties.photos || [])
    .filter((id) => !removed.has(id) && !queued.has(id))
    .map((id) => ({ id, saved: true }));
  const waiting = ops.filter((op) => op.kind === 'put')
    .map((op) => ({ id: op.id, src: URL.createObjectURL(op.blob), saved: false, error: op.error }));
  return [...saved, ...waiting];
}

// Save in the panel: its photo changes go to the outbox before the place (which starts
// sending), so they follow the place in the same round.
async function queuePhotos(placeId) {
  const { added, removed } = photoChanges();
  for (const photo of added) await queuePhoto(placeId, photo);
  for (const id of removed) await queueRemoval(placeId, id);
}

function withPhoto(placeId, change) {
  const feature = server.get(placeId);
  if (!feature) return;
  feature.properties.photos = change(feature.properties.photos || []);
}

// What still waits to be sent (refused changes wait for the staff member, not the network).
function waitingCount() {
  const places = [...outbox.values()].filter((op) => !op.error).length;
  return places + photoOps.filter((op) => !op.error).length;
}

// What the server refused that the staff member can correct in the panel.
const FORM_FIELDS = ['category', 'feeling', 'children_count', 'season', 'comment'];

function correctable(op) {
  return Object.keys(op.fields || {}).some((name) => FORM_FIELDS.includes(name));
}

// A refused place back in the panel, with what was typed and why it was refused.
function reopen(op) {
  if (op.kind === 'create') startPlace(op.feature.geometry, op);
  else openEdit(currentFeature(op.id), op, t('failed', { reason: op.reason }));
}

// After Save: what became of the change, once the server has answered or could not be
// reached. "Saved." only when the server has it; without an answer it waits on the
// tablet. A refusal that can be corrected comes back at once in the panel, with the
// reason; the refused text is not kept on the tablet. Returns the outcome.
async function afterSave(id, savedText = t('saved')) {
  await sync.settled(); // queue() has started sending
  const op = await store.get(id);
  if (!op) {
    say(savedText);
    return 'saved';
  }
  if (!op.error) {
    say(t('saved_offline'));
    return 'waiting';
  }
  if (correctable(op) && !isOpen()) {
    await store.remove(id);
    await refresh();
    say('');
    reopen(op);
    return 'reopened';
  }
  say(op.error, true);
  return 'refused';
}

async function saveNew(geometry, props, id = newId()) {
  await queuePhotos(id);
  const feature = {
    type: 'Feature',
    id,
    geometry,
    properties: {
      ...props, session: config.session.id, preschool: config.preschool.id, campaign: config.session.campaign,
    },
  };
  await queue(feature.id, () => ({ kind: 'create', feature }));
  await afterSave(feature.id);
}

async function saveChange(id, changes, savedText = t('saved')) {
  const before = currentFeature(id);
  const feature = { ...before, ...changes, properties: { ...before.properties, ...(changes.properties || {}) } };
  await queue(id, (previous) => {
    if (previous && previous.kind !== 'delete') return { ...previous, feature };
    return { kind: 'update', base: server.get(id)?.properties.version, feature };
  });
  return afterSave(id, savedText);
}

function isOutside(geometry) {
  return !allInside(geometry, config.preschool.neighbourhood);
}

// The panel for a new place; ``refused``: the outbox entry the server refused, shown
// again with its values and the reason.
function startPlace(geometry, refused = null) {
  if (isOpen()) closePanel();
  const id = refused?.feature.id || newId();
  showDraft(geometry);
  const kind = geometry.type === 'Point' ? 'new_place' : (geometry.type === 'Polygon' ? 'new_area' : 'new_route');
  openPanel({
    title: t(kind),
    outside: isOutside(geometry),
    atPreschool: geometry.type === 'Point' && onPreschool(L.latLng(geometry.coordinates[1], geometry.coordinates[0])),
    properties: refused?.feature.properties,
    errors: refused?.fields,
    alert: refused && t('failed', { reason: refused.reason }),
    onSave: async (props) => {
      clearDraft();
      document.getElementById('place-here').focus();
      await saveNew(geometry, props, id);
    },
    onCancel: () => {
      clearDraft();
      document.getElementById('place-here').focus();
    },
  });
  showPhotos(id, photosOf(id));
  requestAnimationFrame(keepDraftInView);
}

// The panel for a change of ``feature``; ``shown``: what to show in it (the place, or a
// refused change with its messages per field), ``alert``: why it was refused.
function openEdit(feature, shown, alert) {
  map.closePopup();
  openPanel({
    title: t('edit_place'),
    properties: shown.feature.properties,
    outside: false,
    errors: shown.fields,
    alert,
    onSave: async (props) => {
      await queuePhotos(feature.id);
      return saveChange(feature.id, { properties: props });
    },
  });
  showPhotos(feature.id, photosOf(feature.id));
}

function editPlace(entry) {
  openEdit(entry.feature, entry, entry.error);
}

// Delete asks once more ("Yes, delete" in the same place); the question outlives a
// redraw of the list, so the second press deletes the place the first was pressed on.
async function deletePlace(entry, button) {
  const { id } = entry.feature;
  if (confirming !== id) {
    confirming = id;
    button.textContent = t('yes_delete');
    button.setAttribute('aria-label', `${t('yes_delete')}: ${category(entry.feature.properties.category).label}`);
    button.dataset.action = 'yes_delete';
    button.focus();
    showList(); // another row's question is taken back
    return;
  }
  confirming = null;
  map.closePopup();
  await queue(id, (previous) => ({
    kind: 'delete',
    base: previous?.kind === 'create' ? null : (previous?.base ?? server.get(id)?.properties.version),
    feature: null,
  }));
  say(t('deleted'));
}

// -- moving -----------------------------------------------------------------------------

let moving = null;

// Moving: a point is dragged or moved to the cross ("Move here"); an area's corners or a
// route's points are dragged. One instruction, saying what the buttons shown do.
function movePlace(entry) {
  map.closePopup();
  const layer = layerOf(entry.feature.id);
  if (!layer) return;
  moving = { entry, layer };
  if (layer.dragging) layer.dragging.enable();
  else if (layer.pm) layer.pm.enable({ snappable: false, allowSelfIntersection: false });
  const kind = kindOf(entry.feature.geometry);
  document.getElementById('move-here').hidden = kind !== 'point';
  document.getElementById('move-help').textContent = t(kind === 'point' ? 'moving' : `moving_${kind}`);
  map.getContainer().scrollIntoView({ block: 'nearest' });
  if (entry.feature.geometry.type === 'Point') {
    const [lon, lat] = entry.feature.geometry.coordinates;
    map.panTo([lat, lon], { animate: false });
  } else {
    map.fitBounds(layer.getBounds(), { padding: [80, 80], maxZoom: map.getZoom(), animate: false });
  }
  showActions('move-actions');
  say('');
}

async function endMove(save) {
  if (!moving) return;
  const { entry, layer } = moving;
  moving = null;
  if (layer.dragging) layer.dragging.disable();
  if (layer.pm) layer.pm.disable();
  showActions('map-actions');
  say('');
  if (save) {
    await saveChange(entry.feature.id, { geometry: fromLayer(layer) }, t('moved'));
  } else {
    await refresh();
  }
}

// -- drawing areas and routes (leaflet-geoman; the buttons work from the keyboard) ------

let drawing = null;

function showActions(id) {
  for (const name of ['map-actions', 'draw-actions', 'move-actions']) {
    document.getElementById(name).hidden = name !== id;
  }
  const first = document.querySelector(`#${id} button:not([hidden])`);
  if (first) first.focus();
}

function startDrawing(shape) {
  if (isOpen()) closePanel();
  drawing = shape;
  map.pm.enableDraw(shape, {
    snappable: false,
    allowSelfIntersection: false,
    finishOn: null,
    templineStyle: { color: '#1a56c4', weight: 4 },
    hintlineStyle: { color: '#1a56c4', dashArray: [5, 5] },
  });
  document.getElementById('draw-help').textContent = shape === 'Polygon' ? t('drawing_area') : t('drawing_route');
  showActions('draw-actions');
}

function stopDrawing() {
  drawing = null;
  map.pm.disableDraw();
  showActions('map-actions');
}

function finishDrawing() {
  const handler = map.pm.Draw[drawing === 'Polygon' ? 'Polygon' : 'Line'];
  const points = handler._layer ? handler._layer.getLatLngs().length : 0;
  if (points < (drawing === 'Polygon' ? 3 : 2)) {
    say(t('too_few_points'), true);
    return;
  }
  handler._finishShape();
}

function drawn({ layer }) {
  const geometry = fromLayer(layer);
  layer.remove();
  drawing = null;
  map.pm.disableDraw();
  showActions('map-actions');
  say('');
  startPlace(geometry);
}

// -- wiring -----------------------------------------------------------------------------

function placeHere() {
  if (drawing) map.fire('click', { latlng: map.getCenter() });
  else startPlace(pointAt(map.getCenter()));
}

function noteCenter() {
  const { lat, lng } = map.getCenter();
  document.body.dataset.mapCenter = `${lat.toFixed(6)},${lng.toFixed(6)}`;
}

// The map and the panel fill the screen below the header and the toolbar, however tall
// they are (the status line grows offline): map.css reads --map-top.
function fitToScreen() {
  const top = document.querySelector('.map-layout').getBoundingClientRect().top + window.scrollY;
  document.documentElement.style.setProperty('--map-top', `${Math.round(top)}px`);
}

function wire() {
  const fit = new ResizeObserver(fitToScreen);
  fit.observe(document.querySelector('.site-header'));
  fit.observe(document.querySelector('.map-toolbar'));
  map.on('moveend', noteCenter);
  map.on('pm:create', drawn);
  // The panel beside the map makes it narrower: Leaflet must know its new size.
  new ResizeObserver(() => map.invalidateSize({ pan: false })).observe(map.getContainer());
  map.on('click', (event) => {
    if (drawing || moving || map.pm.globalDrawModeEnabled()) return;
    startPlace(pointAt(event.latlng));
  });
  map.getContainer().addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && event.target === map.getContainer()) {
      event.preventDefault();
      placeHere();
    }
  });
  document.getElementById('place-here').addEventListener('click', placeHere);
  document.getElementById('draw-area').addEventListener('click', () => startDrawing('Polygon'));
  document.getElementById('draw-route').addEventListener('click', () => startDrawing('Line'));
  document.getElementById('add-corner').addEventListener('click', () => map.fire('click', { latlng: map.getCenter() }));
  document.getElementById('finish-drawing').addEventListener('click', finishDrawing);
  document.getElementById('cancel-drawing').addEventListener('click', stopDrawing);
  document.getElementById('move-here').addEventListener('click', () => {
    if (moving?.layer.setLatLng) moving.layer.setLatLng(map.getCenter());
  });
  document.getElementById('finish-move').addEventListener('click', () => endMove(true));
  document.getElementById('cancel-move').addEventListener('click', () => endMove(false));
  document.getElementById('locate').addEventListener('click', () => {
    map.locate({ setView: true, maxZoom: 17, timeout: 15000, enableHighAccuracy: true });
  });
  map.on('locationerror', () => say(t('no_position'), true));
  syncButton.addEventListener('click', () => sync.flush());
  window.addEventListener('online', () => sync.flush());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') sync.flush();
  });
  sync.retryEvery(config.retry_seconds, () => outbox.size > 0 || waitingCount() > 0);
  document.getElementById('finish-form').addEventListener('submit', async (event) => {
    if (!outbox.size && !photoOps.length) return;
    event.preventDefault();
    await sync.flush();
    if (!outbox.size && !photoOps.length) event.target.submit();
    else if (!waitingCount()) say(t('finish_refused'), true);
    else say(t('finish_blocked'), true);
  });
}

// Someone else changed the place meanwhile: show their version (or none, if it is gone).
async function showTheirs(id) {
  say(t('conflict'), true);
  try {
    server.set(id, await getJson(`${config.api.places}/${id}`));
  } catch (error) {
    if (error instanceof HttpError) server.delete(id);
    else if (!(error instanceof Offline)) throw error; // offline: shown after the next load
  }
}

const sync = new Sync({
  collection: config.api.places,
  store,
  t,
  onSaved: (feature) => server.set(feature.id, feature),
  onGone: (id) => server.delete(id),
  onConflict: showTheirs,
  onChange: refresh,
  onStop: (reason) => {
    stopReason = reason;
    showStatus();
  },
  afterPlaces: async () => {
    const stopped = await sendPhotos({
      placeWaiting: (id) => outbox.get(id)?.kind === 'create',
      refreshToken: refreshCsrfToken,
      onPhotoSaved: (place, id) => withPhoto(place, (ids) => (ids.includes(id) ? ids : [...ids, id])),
      onPhotoGone: (place, id) => withPhoto(place, (ids) => ids.filter((other) => other !== id)),
    });
    await refresh();
    return stopped;
  },
});

// The preschool's places, page by page. Without network (and no copy kept) the map shows
// what the outbox holds; a refusal or a server error is said as such, not as "offline".
async function loadPlaces() {
  let url = placesUrl();
  try {
    while (url) {
      const page = await getJson(url, { accept: 'application/geo+json' });
      for (const feature of page.features) server.set(feature.id, feature);
      url = page.next;
    }
  } catch (error) {
    if (error instanceof Offline) stopReason = 'offline';
    else if (error instanceof HttpError && error.status === 401) stopReason = 'login';
    else if (error instanceof HttpError) {
      stopReason = 'server';
      say(t('load_failed'), true);
    } else throw error;
  }
}

// Keep the tablet's screen on while the group is mapping (where the browser allows it).
async function keepScreenOn() {
  try {
    if ('wakeLock' in navigator && document.visibilityState === 'visible') {
      await navigator.wakeLock.request('screen');
    }
  } catch (error) {
    // not allowed (battery saver, a hidden tab): the screen may dim as usual
    console.warn('The screen may dim while mapping:', error.message);
  }
}

async function start() {
  setUpMap(document.getElementById('map'));
  initPanel();
  initPhotos();
  wire();
  await loadPlaces();
  await refresh();
  noteCenter();
  document.body.dataset.mapReady = 'yes';
  registerServiceWorker();
  keepScreenOn();
  document.addEventListener('visibilitychange', keepScreenOn);
  sync.flush();
}

start();
