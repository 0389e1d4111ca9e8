// The one way the pages reach the gateway: its public HTTP API, with the
// signed-in key as a Bearer token. Errors become ApiError so every page can
// show the gateway's own message (and a clear one for a missing endpoint).

const KEY = "switchboard.key";

// The key lives in sessionStorage: it survives a reload but not the tab,
// and sign-out removes it.
export const session = {
  get key() { return sessionStorage.getItem(KEY); },
  set key(value) { sessionStorage.setItem(KEY, value); },
  clear() { sessionStorage.removeItem(KEY); },
};

export class ApiError extends Error {
  constructor(status, message, method, path) {
    super(message);
    this.status = status;
    this.method = method;
    this.path = path;
  }
  // The gateway answers "Unknown route" for endpoints it does not have
  // (yet); a 404 for a missing record is an ordinary error.
  get missingEndpoint() {
    return this.status === 404 && /^Unknown route/.test(this.message);
  }
}

// Listeners told when the key is refused, so the shell can sign out.
const refusedListeners = [];
export function onRefused(listener) { refusedListeners.push(listener); }

/** `?a=1&b=2` from an object, leaving out empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

/** The gateway's error message from a response body, whatever its shape. */
export function errorMessage(body, status) {
  if (body && typeof body === "object") {
    const error = body.error ?? body.detail;
    if (typeof error === "string") return error;
    if (error && typeof error.message === "string") return error.message;
    if (typeof body.message === "string") return body.message;
  }
  if (typeof body === "string" && body.trim()) return body.trim().slice(0, 300);
  return `HTTP ${status}`;
}

export function authHeaders(key = session.key) {
  return { authorization: `Bearer ${key}` };
}

/** A JSON request; resolves to the parsed body, rejects with ApiError. */
export async function api(method, path, body, { key, signal } = {}) {
  const headers = authHeaders(key ?? session.key);
  const init = { method, headers, signal };
  if (body !== undefined) {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, `The gateway did not answer: ${error.message}`, method, path);
  }
  const text = await response.text();
  let parsed = text;
  try { parsed = text ? JSON.parse(text) : null; } catch { /* not JSON: keep the text */ }
  if (!response.ok) {
    const error = new ApiError(response.status, errorMessage(parsed, response.status), method, path);
    // Only a refused key signs out; a 401 during sign-in is the caller's.
    if (response.status === 401 && !key) refusedListeners.forEach((l) => l(error));
    throw error;
  }
  return parsed;
}

export const get = (path, options) => api("GET", path, undefined, options);
export const post = (path, body, options) => api("POST", path, body ?? {}, options);
