// The staff map's outbox (static/js/map/sync.js) under Node's test runner, against a real
// HTTP server on 127.0.0.1 that answers as the places API does (or fails as it may):
// what is sent, what is kept, and what the page is told, for every kind of answer.
//   node --test tests/js/        (make test runs it)
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { after, before, beforeEach, describe, test } from 'node:test';

import { Sync } from '../../static/js/map/sync.js';

// -- the page around the outbox ----------------------------------------------------------

// The CSRF token as the page holds it (shared/http.js reads the <meta>).
const meta = { content: 'token-1' };
globalThis.document = { querySelector: (selector) => (selector === 'meta[name="csrf-token"]' ? meta : null) };

// The outbox as store.js keeps it in IndexedDB, in memory.
class MemoryStore {
  constructor(ops = []) {
    this.ops = new Map(ops.map((op) => [op.id, structuredClone(op)]));
  }

  async all() {
    return [...this.ops.values()].map((op) => structuredClone(op)).sort((a, b) => a.queuedAt - b.queuedAt);
  }

  async get(id) {
    const op = this.ops.get(id);
    return op && structuredClone(op);
  }

  async put(op) {
    this.ops.set(op.id, structuredClone(op));
  }

  async remove(id) {
    this.ops.delete(id);
  }
}

const t = (key, params = {}) => `${key}: ${Object.values(params).join(' ')}`;

// -- the server ----------------------------------------------------------------------------

// Each request is answered by the next scripted answer for its "METHOD path" (or 404);
// an answer is {status, body, headers} or 'drop' (the connection is cut: no answer).
const script = new Map();
const requests = [];
let server;
let base;

function answer(key, ...answers) {
  script.set(key, [...(script.get(key) || []), ...answers]);
}

before(async () => {
  server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk) => {
      text += chunk;
    });
    request.on('end', () => {
      const key = `${request.method} ${request.url}`;
      requests.push({ key, headers: request.headers, body: text ? JSON.parse(text) : null });
      const next = (script.get(key) || []).shift() ?? { status: 404, body: { error: 'Not found' } };
      if (next === 'drop') {
        request.socket.destroy();
        return;
      }
      const body = next.body === undefined ? '' : JSON.stringify(next.body);
      response.writeHead(next.status, { 'Content-Type': 'application/json', ...(next.headers || {}) });
      response.end(body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => server.close());

beforeEach(() => {
  script.clear();
  requests.length = 0;
  meta.content = 'token-1';
});

// -- helpers --------------------------------------------------------------------------------

const ID = '0b4d6a4e-8a34-4e43-9d43-1b2b7c1f7a01';
const OTHER = '5f1e1b7c-3a51-4c6c-8a2e-9a9d2f0c4b02';

function feature(id, props = {}) {
  return {
    type: 'Feature',
    id,
    geometry: { type: 'Point', coordinates: [20.2253, 67.8558] },
    properties: { category: 'play', feeling: 'favourite', children_count: 2, season: 'summer', comment: null, ...props },
  };
}

function stored(id, version = 1, props = {}) {
  const saved = feature(id, props);
  saved.properties.version = version;
  return saved;
}

function create(id = ID, queuedAt = 1) {
  return { id, kind: 'create', rev: 1, queuedAt, feature: feature(id) };
}

// A Sync on ``store`` that records what it tells the page.
function outbox(store, options = {}) {
  const told = { saved: [], gone: [], conflicts: [], stops: [], changes: 0, refreshed: 0 };
  const sync = new Sync({
    collection: `${base}/api/v1/places`,
    store,
    t,
    refreshToken: async () => {
      told.refreshed += 1;
      meta.content = 'token-2';
      return true;
    },
    onSaved: (saved) => told.saved.push(saved.id),
    onGone: (id) => told.gone.push(id),
    onConflict: (id) => told.conflicts.push(id),
    onChange: async () => {
      told.changes += 1;
    },
    onStop: (reason) => told.stops.push(reason),
    ...options,
  });
  return { sync, told };
}

// -- the tests --------------------------------------------------------------------------------

describe('sending the outbox', () => {
  test('a create is posted once with the CSRF token, then leaves the outbox', async () => {
    answer('POST /api/v1/places', { status: 201, body: stored(ID) });
    const store = new MemoryStore([create()]);
    const { sync, told } = outbox(store);
    await sync.flush();
    assert.deepEqual(requests.map((r) => r.key), ['POST /api/v1/places']);
    assert.equal(requests[0].headers['x-csrftoken'], 'token-1');
    assert.equal(requests[0].headers['content-type'], 'application/json');
    assert.deepEqual(requests[0].body, feature(ID));
    assert.deepEqual(await store.all(), []);
    assert.deepEqual(told.saved, [ID]);
    assert.deepEqual(told.stops, [null]);
  });

  test('oldest first, and a refused place is skipped until the user fixes it', async () => {
    answer('POST /api/v1/places', { status: 201, body: stored(OTHER) });
    const refused = { ...create(ID, 1), error: 'not saved' };
    const store = new MemoryStore([create(OTHER, 2), refused]);
    const { sync } = outbox(store);
    await sync.flush();
    assert.deepEqual(requests.map((r) => r.body.id), [OTHER]);
    assert.deepEqual((await store.all()).map((op) => op.id), [ID]);
  });

  test('no answer (offline) stops the round and keeps everything', async () => {
    answer('POST /api/v1/places', 'drop');
    const store = new MemoryStore([create(ID, 1), create(OTHER, 2)]);
    const { sync, told } = outbox(store);
    await sync.flush();
    assert.equal(requests.length, 1); // the second was not tried
    assert.equal((await store.all()).length, 2);
    assert.deepEqual(told.stops, ['offline']);
    assert.ok((await store.all()).every((op) => !op.error));
  });

  test('a server that is not listening is offline too', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const { port } = closed.address();
    closed.close();
    await once(closed, 'close');
    const store = new MemoryStore([create()]);
    const { sync, told } = outbox(store, { collection: `http://127.0.0.1:${port}/api/v1/places` });
    await sync.flush();
    assert.deepEqual(told.stops, ['offline']);
    assert.equal((await store.all()).length, 1);
  });

  test('a server error (5xx) is told as such, not as offline, and the place waits', async () => {
    answer('POST /api/v1/places', { status: 503, body: { error: 'The database cannot be reached' } });
    const store = new MemoryStore([create()]);
    const { sync, told } = outbox(store);
    await sync.flush();
    assert.deepEqual(told.stops, ['server']);
    const [op] = await store.all();
    assert.equal(op.error, undefined); // not refused: sent again later
  });

  test('a 401 stops the round: log in again, nothing is lost', async () => {
    answer('POST /api/v1/places', { status: 401, body: { error: 'Log in' } });
    const store = new MemoryStore([create(ID, 1), create(OTHER, 2)]);
    const { sync, told } = outbox(store);
    await sync.flush();
    assert.deepEqual(told.stops, ['login']);
    assert.equal(requests.length, 1);
    assert.equal((await store.all()).length, 2);
  });

  test('a 400 (a stale CSRF token) is sent once more with a fresh token', async () => {
    answer('POST /api/v1/places', { status: 400, body: { error: 'The CSRF token is invalid' } },
      { status: 201, body: stored(ID) });
    const store = new MemoryStore([create()]);
    const { sync, told } = outbox(store);
    await sync.flush();
    assert.equal(told.refreshed, 1);
    assert.deepEqual(requests.map((r) => r.headers['x-csrftoken']), ['token-1', 'token-2']);
    assert.deepEqual(await store.all(), []);
  });

  test('a refusal (422) is kept with the reason and the fields, and the round goes on', async () => {
    answer('POST /api/v1/places',
      { status: 422, body: { error: 'Not valid', detail: { fields: { comment: 'Looks like a personal identity number' } } } },
      { status: 201, body: stored(OTHER) });
    const store = new MemoryStore([create(ID, 1), create(OTHER, 2)]);
    const { sync, told } = outbox(store);
    await sync.flush();
    const [op] = await store.all();
    assert.equal(op.id, ID);
    assert.equal(op.error, 'failed: Not valid Looks like a personal identity number');
    assert.equal(op.reason, 'Not valid');
    assert.deepEqual(op.fields, { comment: 'Looks like a personal identity number' });
    assert.deepEqual(told.saved, [OTHER]);
  });
});

describe('edits and deletes', () => {
  test('an update is a PATCH of the form fields with If-Match', async () => {
    answer(`PATCH /api/v1/places/${ID}`, { status: 200, body: stored(ID, 3, { children_count: 4 }) });
    const op = { id: ID, kind: 'update', base: 2, rev: 1, queuedAt: 1, feature: stored(ID, 2, { children_count: 4 }) };
    const store = new MemoryStore([op]);
    const { sync } = outbox(store);
    await sync.flush();
    const [sent] = requests;
    assert.equal(sent.headers['if-match'], '"2"');
    assert.deepEqual(Object.keys(sent.body.properties).sort(),
      ['category', 'children_count', 'comment', 'feeling', 'season']);
    assert.equal(sent.body.properties.children_count, 4);
    assert.deepEqual(await store.all(), []);
  });

  test('a stale edit (412) gives way to the server\'s version', async () => {
    answer(`PATCH /api/v1/places/${ID}`, { status: 412, body: { error: 'Changed meanwhile' } });
    const store = new MemoryStore([{ id: ID, kind: 'update', base: 1, rev: 1, queuedAt: 1, feature: stored(ID) }]);
    const { sync, told } = outbox(store);
    await sync.flush();
    assert.deepEqual(told.conflicts, [ID]);
    assert.deepEqual(await store.all(), []);
  });

  test('a delete answered 204, and one of a place already gone (404), both leave', async () => {
    answer(`DELETE /api/v1/places/${ID}`, { status: 204 });
    answer(`DELETE /api/v1/places/${OTHER}`, { status: 404, body: { error: 'Gone' } });
    const store = new MemoryStore([
      { id: ID, kind: 'delete', base: 1, rev: 1, queuedAt: 1, feature: null },
      { id: OTHER, kind: 'delete', base: 1, rev: 1, queuedAt: 2, feature: null },
    ]);
    const { sync, told } = outbox(store);
    await sync.flush();
    assert.deepEqual(told.gone, [ID, OTHER]);
    assert.deepEqual(await store.all(), []);
  });
});

describe('lost answers and changes on the way', () => {
  test('a create met by itself (409) becomes an edit of the stored place', async () => {
    answer('POST /api/v1/places', { status: 409, body: { error: 'Exists with other content' } });
    answer(`GET /api/v1/places/${ID}`, { status: 200, body: stored(ID, 1) });
    answer(`PATCH /api/v1/places/${ID}`, { status: 200, body: stored(ID, 2) });
    const store = new MemoryStore([create()]);
    const { sync, told } = outbox(store);
    await sync.flush();
    assert.deepEqual(requests.map((r) => r.key),
      ['POST /api/v1/places', `GET /api/v1/places/${ID}`, `PATCH /api/v1/places/${ID}`]);
    assert.equal(requests[2].headers['if-match'], '"1"');
    assert.deepEqual(await store.all(), []);
    assert.deepEqual(told.saved, [ID, ID]);
  });

  test('a change made while the create was on its way stays, as an edit of what was stored', async () => {
    const store = new MemoryStore([create()]);
    answer('POST /api/v1/places', { status: 201, body: stored(ID, 1) });
    const { sync } = outbox(store);
    // The user changes the place before the answer is handled.
    const original = store.get.bind(store);
    let changed = false;
    store.get = async (id) => {
      if (!changed) {
        changed = true;
        await store.put({ ...create(), rev: 2, feature: feature(ID, { children_count: 5 }) });
      }
      return original(id);
    };
    await sync.flush();
    const [op] = await store.all();
    assert.equal(op.kind, 'update');
    assert.equal(op.base, 1);
    assert.equal(op.feature.properties.children_count, 5);
  });

  test('flush() while a round runs asks for one more round, not a second at once', async () => {
    answer('POST /api/v1/places', { status: 201, body: stored(ID) }, { status: 201, body: stored(OTHER) });
    const store = new MemoryStore([create(ID, 1)]);
    const { sync } = outbox(store);
    const first = sync.flush();
    await store.put(create(OTHER, 2));
    const second = sync.flush();
    assert.equal(first, second);
    await first;
    assert.deepEqual(requests.map((r) => r.body.id), [ID, OTHER]);
    assert.deepEqual(await store.all(), []);
  });
});

describe('trying again', () => {
  test('retryEvery(seconds) flushes while something waits; 0 never', async () => {
    answer('POST /api/v1/places', 'drop', { status: 201, body: stored(ID) });
    const store = new MemoryStore([create()]);
    const { sync, told } = outbox(store);
    await sync.flush();
    assert.deepEqual(told.stops, ['offline']);
    sync.retryEvery(0, () => true);
    assert.equal(sync.timer, null);
    sync.retryEvery(0.05, () => store.ops.size > 0);
    try {
      // until the timer's round has told the page that all is sent
      for (let i = 0; i < 100 && told.stops.length < 2; i += 1) await new Promise((r) => setTimeout(r, 20));
      await sync.settled();
    } finally {
      sync.stopRetrying();
    }
    assert.deepEqual(await store.all(), []);
    assert.deepEqual(told.stops, ['offline', null]);
  });
});
