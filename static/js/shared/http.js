// Every request the pages make to the app goes through here: same-origin credentials, the
// CSRF token on every write, JSON in and out, and its failures told apart —
//   Offline    no answer at all (no network, the server unreachable, a request cut off);
//   HttpError  the server answered with a status other than 2xx (``serverFault``: 5xx).
// Nothing here touches the page when imported (the outbox's tests run it under Node).

export class Offline extends Error {
  constructor(url, cause) {
    super(`no answer from ${url}`, { cause });
    this.name = 'Offline';
  }
}

export class HttpError extends Error {
  constructor(response, body) {
    super(`HTTP ${response.status} from ${response.url}`);
    this.name = 'HttpError';
    this.status = response.status;
    this.body = body;
  }

  get serverFault() {
    return this.status >= 500;
  }
}

const SAFE = new Set(['GET', 'HEAD']);

function meta() {
  return globalThis.document?.querySelector('meta[name="csrf-token"]') ?? null;
}

// The page's CSRF token (templates/base.html puts it in a <meta>).
export function csrfToken() {
  return meta()?.content ?? '';
}

// Sends a request; resolves to the Response whatever its status, rejects with Offline when
// nothing came back (an AbortError stays an AbortError). ``json``: a body to send as JSON.
export async function send(url, { method = 'GET', json, headers = {}, accept = 'application/json', ...rest } = {}) {
  const all = { Accept: accept, ...headers };
  if (!SAFE.has(method)) all['X-CSRFToken'] = csrfToken();
  const options = { method, credentials: 'same-origin', ...rest, headers: all };
  if (json !== undefined) {
    all['Content-Type'] = 'application/json';
    options.body = JSON.stringify(json);
  }
  try {
    return await fetch(url, options);
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new Offline(url, error);
  }
}

// The answer's JSON body; {} when it has none or is not JSON (a login page, an empty 204).
export async function jsonBody(response) {
  const text = await response.text();
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    if (error instanceof SyntaxError) return {};
    throw error;
  }
}

// GET (or ``options.method``) ``url`` and return its JSON; a status other than 2xx is an
// HttpError carrying the parsed body.
export async function getJson(url, options = {}) {
  const response = await send(url, options);
  const body = await jsonBody(response);
  if (!response.ok) throw new HttpError(response, body);
  return body;
}

// The CSRF token changes when the user logs in again (in another tab): read the current
// page again and take its token. Returns whether a fresh token was found; Offline when the
// page could not be read.
export async function refreshCsrfToken(pageUrl = globalThis.location?.href) {
  const response = await send(pageUrl, { accept: 'text/html', cache: 'no-store' });
  if (!response.ok || response.redirected) return false;
  const found = /<meta name="csrf-token" content="([^"]+)"/.exec(await response.text());
  if (!found || !meta()) return false;
  meta().content = found[1];
  return true;
}
