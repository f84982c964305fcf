// The pages' API client: same origin, a bearer credential from the page (the staff JWT or the operator's
// token), JSON in and out. Failures become ApiError with the HTTP status and the API's error code, so the
// pages can say the right thing; a 401 also calls onUnauthorized (the page goes back to its sign-in).
export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || (status ? 'http_' + status : 'network');
    this.body = body;
  }
}

export function apiClient({ token, onUnauthorized, tenant }) {
  async function call(method, path, body, { raw = false } = {}) {
    const headers = { Accept: raw ? '*/*' : 'application/json' };
    const tok = token();
    if (tok) headers.Authorization = `Bearer ${tok}`;
    const branch = tenant && tenant(); // organisation staff acting on one of its branches (docs/organisations.md)
    if (branch) headers['X-Tenant-Id'] = branch;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await fetch(path, { method, headers, body: body !== undefined ? JSON.stringify(body) : undefined, cache: 'no-store', credentials: 'omit' });
    } catch {
      throw new ApiError(0, 'network', 'network');
    }
    if (raw && res.ok) return res;
    let json = null;
    if (res.status !== 204) {
      try {
        json = await res.json();
      } catch {
        /* not JSON */
      }
    }
    if (!res.ok) {
      const e = (json && json.error) || {};
      const err = new ApiError(res.status, e.code, e.message, json);
      if (res.status === 401 && onUnauthorized) onUnauthorized(err);
      throw err;
    }
    return json;
  }
  const q = (params) => {
    const s = new URLSearchParams();
    for (const k in params || {}) if (params[k] != null && params[k] !== '') s.set(k, params[k]);
    const str = s.toString();
    return str ? '?' + str : '';
  };
  return {
    call,
    q,
    get: (p, params) => call('GET', p + q(params)),
    post: (p, b = {}) => call('POST', p, b),
    put: (p, b) => call('PUT', p, b),
    patch: (p, b) => call('PATCH', p, b),
    del: (p) => call('DELETE', p),
    // every page of a list (up to `max` items)
    async all(p, params = {}, max = 5000) {
      const items = [];
      let cursor = null;
      do {
        const r = await call('GET', p + q({ ...params, limit: 1000, cursor }));
        items.push(...r.items);
        cursor = r.next_cursor;
      } while (cursor && items.length < max);
      return items;
    },
  };
}
