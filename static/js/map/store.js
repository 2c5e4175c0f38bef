// The outbox: places waiting to be sent, in IndexedDB under their client UUID, so that
// a reload, a closed tab or a flat battery never loses one. Photos wait beside them in a
// store of their own (the image itself as a Blob, under the photo's UUID).
const DB_NAME = 'smultron';
const STORE = 'outbox';
const PHOTOS = 'photos';
let opening = null;

function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 2);
      request.onupgradeneeded = () => {
        for (const name of [STORE, PHOTOS]) {
          if (!request.result.objectStoreNames.contains(name)) {
            request.result.createObjectStore(name, { keyPath: 'id' });
          }
        }
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return opening;
}

async function run(mode, action, name = STORE) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(name, mode);
    const request = action(tx.objectStore(name));
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

// The photos waiting: {id, place, kind: 'put' | 'delete', blob, type, rev, queuedAt, error}.
export const photos = {
  async all() {
    const ops = await run('readonly', (store) => store.getAll(), PHOTOS);
    return ops.sort((a, b) => a.queuedAt - b.queuedAt);
  },
  get: (id) => run('readonly', (store) => store.get(id), PHOTOS),
  put: (op) => run('readwrite', (store) => store.put(op), PHOTOS),
  remove: (id) => run('readwrite', (store) => store.delete(id), PHOTOS),
};
