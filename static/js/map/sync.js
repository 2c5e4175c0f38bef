// Sends the outbox to the server, oldest first. A network failure stops the round (and
// everything stays queued); a retry of a create is harmless (same UUID, same content ->
// the server answers 200 with the stored place), so nothing is ever saved twice.
import { config, csrfToken, t } from './config.js';
import * as store from './store.js';

const JSON_TYPE = 'application/json';

function send(op) {
  const headers = { 'Content-Type': JSON_TYPE, Accept: JSON_TYPE, 'X-CSRFToken': csrfToken() };
  const collection = config.api.places;
  const options = { headers, credentials: 'same-origin' };
  if (op.kind === 'create') {
    return fetch(collection, { ...options, method: 'POST', body: JSON.stringify(op.feature) });
  }
  const url = `${collection}/${op.id}`;
  if (op.base) headers['If-Match'] = `"${op.base}"`;
  if (op.kind === 'update') {
    const { category, feeling, season, comment } = op.feature.properties;
    const body = {
      geometry: op.feature.geometry,
      properties: { category, feeling, children_count: op.feature.properties.children_count, season, comment },
    };
    return fetch(url, { ...options, method: 'PATCH', body: JSON.stringify(body) });
  }
  return fetch(url, { ...options, method: 'DELETE' });
}

// The CSRF token changes when the user logs in again (in another tab): fetch a fresh one.
export async function refreshToken() {
  try {
    const response = await fetch(window.location.href, { credentials: 'same-origin', cache: 'no-store' });
    if (!response.ok || response.redirected) return;
    const page = new DOMParser().parseFromString(await response.text(), 'text/html');
    const fresh = page.querySelector('meta[name="csrf-token"]');
    if (fresh) document.querySelector('meta[name="csrf-token"]').content = fresh.content;
  } catch {
    // offline: the next round tries again
  }
}

function reasonOf(body, status) {
  const fields = body.detail && body.detail.fields ? Object.values(body.detail.fields) : [];
  return [body.error, ...fields].filter(Boolean).join(' ') || String(status);
}

export class Sync {
  // ``afterPlaces``: sends what waits behind the places (their photos); returns why it
  // stopped ('offline', 'login', 'server') or null.
  constructor({ onSaved, onGone, onConflict, onChange, onStop, afterPlaces }) {
    Object.assign(this, { onSaved, onGone, onConflict, onChange, onStop, afterPlaces });
    this.running = null;
    this.again = false;
  }

  // Sends what waits; the promise settles when no round is pending any more, so a caller
  // knows what became of the change it has just queued.
  flush() {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.round();
      } while (this.again);
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  // Settles when the rounds already under way are done (without starting one).
  settled() {
    return this.running || Promise.resolve();
  }

  async round() {
    for (const op of await store.all()) {
      if (op.error) continue; // a refused place waits for the user to fix it
      let response;
      try {
        response = await send(op);
        if (response.status === 400) {
          await refreshToken();
          response = await send(op);
        }
      } catch {
        this.onStop('offline');
        return;
      }
      const outcome = await this.settle(op, response);
      await this.onChange();
      if (outcome === 'stop') return;
    }
    const stopped = this.afterPlaces ? await this.afterPlaces() : null;
    this.onStop(stopped);
  }

  // After an answer: drop or mark the op. If the user changed the place while it was on
  // its way, the newer op stays (as an edit of the version the server now has).
  async settle(op, response) {
    const { status } = response;
    if (status === 401) {
      this.onStop('login');
      return 'stop';
    }
    if (status >= 500) {
      this.onStop('server');
      return 'stop';
    }
    if (response.ok) {
      const saved = status === 204 ? null : await response.json();
      await this.replace(op, saved);
      if (saved) this.onSaved(saved); else this.onGone(op.id);
      return 'next';
    }
    if (op.kind !== 'create' && status === 404) {
      await this.replace(op, null);
      this.onGone(op.id);
      return 'next';
    }
    const body = await response.json().catch(() => ({}));
    if (op.kind === 'create' && status === 409 && await this.alreadyStored(op)) return 'next';
    const stale = status === 412 || (status === 409 && body.detail && body.detail.version);
    if (op.kind !== 'create' && stale) {
      await this.replace(op, null);
      this.onConflict(op.id);
      return 'next';
    }
    const current = await store.get(op.id);
    if (current && current.rev === op.rev) {
      current.error = t('failed', { reason: reasonOf(body, status) });
      current.reason = body.error || String(status);
      current.fields = (body.detail && body.detail.fields) || {};
      await store.put(current);
    }
    return 'next';
  }

  // A create whose answer was lost, then changed on the tablet, meets itself on the
  // server (409): if the stored place is ours, send the change as an edit of it.
  async alreadyStored(op) {
    try {
      const response = await fetch(`${config.api.places}/${op.id}`, { credentials: 'same-origin' });
      if (!response.ok) return false;
      const stored = await response.json();
      const current = await store.get(op.id);
      if (!current || current.kind !== 'create') return false;
      this.onSaved(stored);
      current.kind = 'update';
      current.base = stored.properties.version;
      await store.put(current);
      this.again = true;
      return true;
    } catch {
      return false;
    }
  }

  async replace(op, saved) {
    const current = await store.get(op.id);
    if (!current) return;
    if (current.rev === op.rev) {
      await store.remove(op.id);
      return;
    }
    if (saved) {
      if (current.kind === 'create') current.kind = 'update';
      current.base = saved.properties.version;
      await store.put(current);
    }
  }
}
