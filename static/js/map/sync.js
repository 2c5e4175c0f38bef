// Sends the outbox to the server, oldest first. No answer (offline) stops the round and
// everything stays queued; a retry of a create is harmless (same UUID, same content -> the
// server answers 200 with the stored place), so nothing is ever saved twice.
//
// Everything it works with is handed to it (the places URL, the outbox store, the page's
// words), so that tests/js/sync.test.mjs runs it under Node against a real HTTP server.
import { HttpError, Offline, getJson, jsonBody, refreshCsrfToken, send } from '../shared/http.js';

// The request that carries ``op`` to the collection at ``collection``.
function request(collection, op) {
  if (op.kind === 'create') return send(collection, { method: 'POST', json: op.feature });
  const url = `${collection}/${op.id}`;
  const headers = op.base ? { 'If-Match': `"${op.base}"` } : {};
  if (op.kind === 'update') {
    const { category, feeling, children_count, season, comment } = op.feature.properties;
    const json = { geometry: op.feature.geometry, properties: { category, feeling, children_count, season, comment } };
    return send(url, { method: 'PATCH', json, headers });
  }
  return send(url, { method: 'DELETE', headers });
}

function reasonOf(body, status) {
  const fields = body.detail?.fields ? Object.values(body.detail.fields) : [];
  return [body.error, ...fields].filter(Boolean).join(' ') || String(status);
}

export class Sync {
  // ``collection``: the places API's URL; ``store``: the outbox (all, get, put, remove, as
  // store.js); ``t``: the page's words; ``refreshToken``: fetches a fresh CSRF token. The
  // callbacks: onSaved(feature), onGone(id), onConflict(id), onChange(), onStop(reason),
  // reason null (all sent), 'offline', 'server' (a 5xx) or 'login' (a 401). ``afterPlaces``:
  // sends what waits behind the places (their photos); returns why it stopped, or null.
  constructor({
    collection, store, t, refreshToken = refreshCsrfToken, onSaved, onGone, onConflict, onChange, onStop,
    afterPlaces = null,
  }) {
    Object.assign(this, {
      collection, store, t, refreshToken, onSaved, onGone, onConflict, onChange, onStop, afterPlaces,
    });
    this.running = null;
    this.again = false;
    this.timer = null;
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

  // Tries again every ``seconds`` while ``waiting()`` says something waits; 0 (or less):
  // only when asked (Send now, back online, the page shown again).
  retryEvery(seconds, waiting) {
    clearInterval(this.timer);
    this.timer = seconds > 0 ? setInterval(() => {
      if (waiting()) this.flush();
    }, seconds * 1000) : null;
  }

  stopRetrying() {
    clearInterval(this.timer);
    this.timer = null;
  }

  // ``op`` sent, once more with a fresh CSRF token when the first was refused for it (400).
  async deliver(op) {
    const response = await request(this.collection, op);
    if (response.status !== 400) return response;
    await this.refreshToken();
    return request(this.collection, op);
  }

  async round() {
    for (const op of await this.store.all()) {
      if (op.error) continue; // a refused place waits for the user to fix it
      let response;
      try {
        response = await this.deliver(op);
      } catch (error) {
        if (!(error instanceof Offline)) throw error;
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
      if (saved) this.onSaved(saved);
      else this.onGone(op.id);
      return 'next';
    }
    if (op.kind !== 'create' && status === 404) {
      await this.replace(op, null);
      this.onGone(op.id);
      return 'next';
    }
    const body = await jsonBody(response);
    if (op.kind === 'create' && status === 409 && (await this.alreadyStored(op))) return 'next';
    const stale = status === 412 || (status === 409 && body.detail?.version);
    if (op.kind !== 'create' && stale) {
      await this.replace(op, null);
      this.onConflict(op.id);
      return 'next';
    }
    const current = await this.store.get(op.id);
    if (current && current.rev === op.rev) {
      current.error = this.t('failed', { reason: reasonOf(body, status) });
      current.reason = body.error || String(status);
      current.fields = body.detail?.fields || {};
      await this.store.put(current);
    }
    return 'next';
  }

  // A create whose answer was lost, then changed on the tablet, meets itself on the
  // server (409): if the stored place is ours, send the change as an edit of it.
  async alreadyStored(op) {
    let stored;
    try {
      stored = await getJson(`${this.collection}/${op.id}`);
    } catch (error) {
      if (error instanceof Offline || error instanceof HttpError) return false; // refused as it is
      throw error;
    }
    const current = await this.store.get(op.id);
    if (current?.kind !== 'create') return false;
    this.onSaved(stored);
    current.kind = 'update';
    current.base = stored.properties.version;
    await this.store.put(current);
    this.again = true;
    return true;
  }

  async replace(op, saved) {
    const current = await this.store.get(op.id);
    if (!current) return;
    if (current.rev === op.rev) {
      await this.store.remove(op.id);
      return;
    }
    if (saved) {
      if (current.kind === 'create') current.kind = 'update';
      current.base = saved.properties.version;
      await this.store.put(current);
    }
  }
}
