// The dashboard's own calls to its JSON API. Changes carry X-Dropwork: 1, which a page on
// another site cannot add, and the cookie set from the token link.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export async function api(path, options = {}) {
  const method = options.method ?? 'GET';
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (method !== 'GET') {
    init.headers['Content-Type'] = 'application/json';
    init.headers['X-Dropwork'] = '1';
    init.body = JSON.stringify(options.body ?? {});
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'the dashboard cannot reach dropwork; is the daemon still running?');
  }
  const data = await res.json().catch(() => ({}));
  if (res.status === 401) {
    document.body.classList.add('locked');
    throw new ApiError(401, 'This page has lost its key. Open the dashboard again with `dropwork ui`.');
  }
  if (!res.ok) throw new ApiError(res.status, data.error ?? res.statusText);
  return data;
}

export const post = (path, body) => api(path, { method: 'POST', body });
