// The outbox: places waiting to be sent, in IndexedDB under their client UUID, so that
// a reload, a closed tab or a flat battery never loses one.
const DB_NAME = 'smultron';
const STORE = 'outbox';
let opening = null;

function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => {
        request.result.createObjectStore(STORE, { keyPath: 'id' });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return opening;
}

async function run(mode, action) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const request = action(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(request ? request.result : undefined);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export async function all() {
  const ops = await run('readonly', (store) => store.getAll());
  return ops.sort((a, b) => a.queuedAt - b.queuedAt);
}

export function get(id) {
  return run('readonly', (store) => store.get(id));
}

export function put(op) {
  return run('readwrite', (store) => store.put(op));
}

export function remove(id) {
  return run('readwrite', (store) => store.delete(id));
}
