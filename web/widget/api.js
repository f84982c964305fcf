// The widget API client: every call carries the key; failures are classified so the widget can say the
// right thing: the network (or a browser that refused the answer, as CORS does for a disallowed origin),
// an HTTP status with the server's error code, or a time-out.
const TIMEOUT_MS = 45000; // the AI modes may take up to llm_timeout (30 s) before falling back

export class ApiError extends Error {
  constructor(kind, status = 0, body = null, retryAfter = 0) {
    super(kind === 'http' ? `HTTP ${status}` : kind);
    this.kind = kind; // 'network' | 'timeout' | 'http'
    this.status = status;
    this.body = body;
    this.code = body && body.error && body.error.code;
    this.retryAfter = retryAfter;
  }
}

export function client(base, key) {
  async function call(method, path, body, token, altcha) {
    const headers = { 'X-Api-Key': key, Accept: 'application/json' };
    if (body) headers['Content-Type'] = 'application/json';
    if (token) headers['X-Conversation-Token'] = token;
    if (altcha) headers['X-Altcha'] = altcha; // a solved proof-of-work challenge (pow.js)
    const ctl = typeof AbortController === 'function' ? new AbortController() : null;
    const timer = ctl && setTimeout(() => ctl.abort(), TIMEOUT_MS);
    let res;
    try {
      res = await fetch(base + path, {
        method,
        headers,
        body: body ? JSON.stringify(body) : undefined,
        mode: 'cors',
        credentials: 'omit',
        cache: 'no-store',
        signal: ctl ? ctl.signal : undefined,
      });
    } catch (e) {
      throw new ApiError(e && e.name === 'AbortError' ? 'timeout' : 'network');
    } finally {
      if (timer) clearTimeout(timer);
    }
    let json = null;
    try {
      json = await res.json();
    } catch {
      /* an empty or non-JSON answer */
    }
    if (!res.ok) throw new ApiError('http', res.status, json, Number(res.headers.get('Retry-After')) || 0);
    return json;
  }
  const conv = (id) => `/v1/widget/conversations/${encodeURIComponent(id)}`;
  return {
    config: () => call('GET', '/v1/widget/config'),
    challenge: () => call('GET', '/v1/widget/challenge'),
    start: (locale, altcha) => call('POST', '/v1/widget/conversations', locale ? { locale } : {}, null, altcha),
    send: (c, body) => call('POST', conv(c.id) + '/messages', body, c.token),
    transcript: (c) => call('GET', conv(c.id), null, c.token),
    // Is the server up? /healthz answers any origin, so a failure here is the network, not CORS.
    async alive() {
      try {
        const r = await fetch(base + '/healthz', { mode: 'cors', credentials: 'omit', cache: 'no-store' });
        return r.ok;
      } catch {
        return false;
      }
    },
  };
}
