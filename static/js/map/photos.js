// Photos of places on the tablet: queued in IndexedDB with their place (each under its
// own UUID, the image as a Blob), sent after the places when the network is there, with
// PUT under that UUID — a retry or a reload sends the same bytes under the same id, so
// the server stores the photo once. A photo is removed from the outbox only when the
// server has it (or has refused it for a reason shown to the staff member).
import { Offline, jsonBody, send as request } from '../shared/http.js';
import { config, t } from './config.js';
import * as store from './store.js';

export function photoUrl(placeId, photoId, size = null) {
  const url = `${config.api.places}/${placeId}/photos/${photoId}`;
  return size ? `${url}?size=${size}` : url;
}

async function queueOp(id, change) {
  const previous = await store.photos.get(id);
  const op = change(previous);
  op.id = id;
  op.rev = (previous?.rev || 0) + 1;
  op.queuedAt = previous?.queuedAt || Date.now();
  delete op.error;
  await store.photos.put(op);
}

// A chosen file, copied into the outbox (a File may point at the camera roll).
export async function queuePhoto(placeId, photo) {
  const blob = new Blob([await photo.file.arrayBuffer()], { type: photo.file.type });
  await queueOp(photo.id, () => ({ kind: 'put', place: placeId, blob }));
}

// Removing a photo: it may be on its way already, so the server is told in any case.
export async function queueRemoval(placeId, photoId) {
  await queueOp(photoId, () => ({ kind: 'delete', place: placeId }));
}

export async function waiting() {
  return store.photos.all();
}

function send(op) {
  const url = photoUrl(op.place, op.id);
  if (op.kind === 'delete') return request(url, { method: 'DELETE' });
  const headers = { 'Content-Type': op.blob.type || 'application/octet-stream' };
  return request(url, { method: 'PUT', body: op.blob, headers });
}

// The op is done with: dropped unless it was changed while on its way.
async function done(op) {
  const current = await store.photos.get(op.id);
  if (current && current.rev === op.rev) await store.photos.remove(op.id);
}

async function refuse(op, response) {
  const body = await jsonBody(response);
  const current = await store.photos.get(op.id);
  if (!current || current.rev !== op.rev) return;
  current.error = t('photo_failed', { reason: body.error || String(response.status) });
  await store.photos.put(current);
}

// One photo op against the server: 'next', or why sending stops ('login', 'server').
async function settle(op, response, hooks) {
  const { status } = response;
  if (status === 401) return 'login';
  if (status >= 500) return 'server';
  if (response.ok) {
    const saved = status === 204 ? null : await response.json();
    await done(op);
    if (saved) hooks.onPhotoSaved(op.place, saved.id);
    else hooks.onPhotoGone(op.place, op.id);
    return 'next';
  }
  if (status === 404) { // the place is gone (deleted meanwhile): its photos go with it
    await done(op);
    hooks.onPhotoGone(op.place, op.id);
    return 'next';
  }
  await refuse(op, response);
  return 'next';
}

// Sends the waiting photos whose place the server has; returns why it stopped, or null.
// ``hooks``: {placeWaiting(id), refreshToken(), onPhotoSaved(place, id), onPhotoGone(place, id)}.
export async function sendPhotos(hooks) {
  const tried = new Set(); // photos queued while this runs are sent in the same round
  for (;;) {
    const sendable = (await store.photos.all()).filter((op) => !op.error && !tried.has(`${op.id}:${op.rev}`)
      && !(op.kind === 'put' && hooks.placeWaiting(op.place)));
    // Removals first: they make room for the new photos of a place that has its three.
    const op = sendable.find((each) => each.kind === 'delete') || sendable[0];
    if (!op) return null;
    tried.add(`${op.id}:${op.rev}`);
    const outcome = await sendOne(op, hooks);
    if (outcome !== 'next') return outcome;
  }
}

async function sendOne(op, hooks) {
  let response;
  try {
    response = await send(op);
    if (response.status === 400 && op.kind === 'put') {
      await hooks.refreshToken();
      response = await send(op);
    }
  } catch (error) {
    if (!(error instanceof Offline)) throw error;
    return 'offline';
  }
  return settle(op, response, hooks);
}

export function describeWaiting(ops) {
  const refused = ops.filter((op) => op.error).length;
  const pending = ops.length - refused; // photos to send and removals to tell the server
  const count = ops.filter((op) => !op.error && op.kind === 'put').length;
  const parts = [];
  if (count) parts.push(count === 1 ? t('photos_waiting_one') : t('photos_waiting_many', { n: count }));
  if (refused) parts.push(refused === 1 ? t('photos_refused_one') : t('photos_refused_many', { n: refused }));
  return {
    parts, count, pending, refused,
  };
}
