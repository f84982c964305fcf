// API test harness: starts a real `bookchat serve` on a free port with a temporary data directory, gives
// tests a small fetch wrapper, and stops the server (SIGTERM) after, failing if it did not exit cleanly
// (exit status 0: no leak or sanitizer report under the ASan build).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = process.env.BOOKCHAT_BIN || join(root, 'build', 'bookchat');
export const PLATFORM_TOKEN = 'test-platform-token-0123456789abcdef';

// On DynamoDB (BOOKCHAT_STORE=dynamodb://…) each server keeps the tenant, its keys, settings and catalogue for
// up to store_cache_ms (1 s by default; docs/performance.md "Read cache"): a change made by another process
// shows within that bound, one made through the same server at once. On LMDB every change shows at once.
export const STORE_CACHE_BOUND_MS = (process.env.BOOKCHAT_STORE || '').startsWith('dynamodb:')
  ? Number(process.env.BOOKCHAT_STORE_CACHE_MS || 1000) : 0;

// Calls read() until check(value) holds, for at most STORE_CACHE_BOUND_MS and a margin (so: once on LMDB),
// and returns the last value: for a change made by another process, which a cached read sees within the bound.
export async function withinCacheBound(read, check) {
  const until = Date.now() + (STORE_CACHE_BOUND_MS ? STORE_CACHE_BOUND_MS + 500 : 0);
  for (;;) {
    const v = await read();
    if (check(v) || Date.now() >= until) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function tempDir(tag = 'bc') {
  return mkdtempSync(join(process.env.BC_TEST_TMP || tmpdir(), `${tag}-`));
}

// Runs a bookchat CLI command; resolves {code, stdout, stderr, json} (json parsed from stdout if it is JSON).
export function cli(args, { env = {}, input } = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(BIN, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => {
      let json;
      try { json = JSON.parse(stdout); } catch { json = undefined; }
      resolve({ code, stdout, stderr, json });
    });
    if (input !== undefined) p.stdin.end(input); else p.stdin.end();
  });
}

export class Server {
  constructor(opts = {}) {
    this.opts = opts;
    this.logs = [];
    this.events = []; // JSON lines of stdout ({"event":"listening"}, {"event":"demo"}, …)
    this.dataDir = opts.dataDir || tempDir('bc-data');
    this.ownsData = !opts.dataDir;
  }

  async start() {
    const args = ['serve', '--listen', '127.0.0.1:0', '--json', ...(this.opts.args || [])];
    if (!this.opts.store) args.push('--data', this.dataDir);
    else args.push('--store', this.opts.store);
    const env = {
      ...process.env,
      BOOKCHAT_TEST_HOOKS: 'on',
      BOOKCHAT_PLATFORM_TOKEN: PLATFORM_TOKEN,
      BOOKCHAT_LOG_LEVEL: 'info',
      // suites fire hundreds of widget requests from one address; the per-visitor limits are tested with
      // them on in abuse.test.mjs and ratelimit.test.mjs
      BOOKCHAT_VISITOR_LIMITS: 'off',
      ...(this.opts.env || {}),
    };
    this.proc = spawn(BIN, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
    createInterface({ input: this.proc.stderr }).on('line', (l) => this.logs.push(l));
    const lines = createInterface({ input: this.proc.stdout });
    this.url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('server did not start:\n' + this.logs.join('\n'))), 15000);
      this.exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`server exited (${code}) at start:\n${this.logs.join('\n')}`)); });
      lines.on('line', (l) => {
        try {
          const ev = JSON.parse(l);
          this.events.push(ev);
          if (ev.event === 'listening') { clearTimeout(timer); this.port = ev.port; resolve(ev.url); }
        } catch { /* other output */ }
      });
    });
    return this;
  }

  // Sends SIGTERM and waits; returns {code, signal}. Throws if the exit was not clean, unless allowed.
  async stop({ allowDirty = false } = {}) {
    if (!this.proc) return;
    this.proc.kill('SIGTERM');
    const res = await this.exited;
    this.proc = null;
    if (!allowDirty && (res.code !== 0 || res.signal)) {
      throw new Error(`server exited with ${res.code ?? res.signal}:\n${this.logs.slice(-40).join('\n')}`);
    }
    if (this.ownsData && !this.opts.keepData) rmSync(this.dataDir, { recursive: true, force: true });
    return res;
  }

  kill() {
    if (this.proc) this.proc.kill('SIGKILL');
    this.proc = null;
    return this.exited;
  }

  // fetch wrapper: body objects are sent as JSON; returns {status, headers, json, text}.
  async req(method, path, { body, headers = {}, raw } = {}) {
    const h = { ...headers };
    let payload = raw;
    if (body !== undefined && raw === undefined) {
      payload = JSON.stringify(body);
      h['content-type'] ??= 'application/json';
    }
    const res = await fetch(this.url + path, { method, headers: h, body: payload });
    const text = await res.text();
    let json;
    try { json = JSON.parse(text); } catch { json = undefined; }
    return { status: res.status, headers: res.headers, json, text };
  }

  get(path, o) { return this.req('GET', path, o); }
  post(path, body, o = {}) { return this.req('POST', path, { ...o, body }); }
  put(path, body, o = {}) { return this.req('PUT', path, { ...o, body }); }
  patch(path, body, o = {}) { return this.req('PATCH', path, { ...o, body }); }
  del(path, o) { return this.req('DELETE', path, o); }

  platform(method, path, body) {
    return this.req(method, path, { body, headers: { authorization: `Bearer ${PLATFORM_TOKEN}` } });
  }
}

export async function startServer(opts) {
  return new Server(opts).start();
}

// Asserts the documented error shape and returns the code.
export function errorCode(res) {
  const e = res.json && res.json.error;
  if (!e || typeof e.code !== 'string' || typeof e.message !== 'string') {
    throw new Error(`not an error body (status ${res.status}): ${res.text}`);
  }
  return e.code;
}

// Creates a tenant through the platform API and signs its owner in. Returns helpers bound to it:
// admin(method, path, body) with the owner's JWT, widget(method, path, {body, origin, headers}) with its key.
export async function makeTenant(srv, { name = 'Tenant', origins = ['https://shop.example.com'], plan, locale, timezone, empty = true, ...rest } = {}) {
  const res = await srv.platform('POST', '/v1/platform/tenants', { name, origins, plan, locale, timezone, empty, ...rest });
  if (res.status !== 201) throw new Error(`tenant create failed: ${res.status} ${res.text}`);
  const t = res.json;
  const login = await srv.post('/v1/auth/login', { email: t.owner.email, password: t.owner.password });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.text}`);
  const token = login.json.token;
  const origin = t.api_key.origins[0];
  return {
    id: t.tenant.id,
    tenant: t.tenant,
    key: t.api_key.secret,
    keyId: t.api_key.id,
    origin,
    owner: t.owner,
    token,
    admin: (method, path, body, headers = {}) =>
      srv.req(method, path, { body, headers: { authorization: `Bearer ${token}`, ...headers } }),
    widget: (method, path, { body, origin: o = origin, headers = {}, key } = {}) =>
      srv.req(method, path, {
        body,
        headers: { 'x-api-key': key ?? t.api_key.secret, ...(o ? { origin: o } : {}), ...headers },
      }),
  };
}

// Polls fn (every 100 ms) until it returns something truthy, which it returns; throws naming what after ms.
export async function waitFor(what, fn, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// The JSON of a response that must succeed (a test's setup step); else an error naming what failed.
export async function must(response, what) {
  const res = await response;
  if (res.status >= 300) throw new Error(`${what}: ${res.status} ${res.text}`);
  return res.json;
}

// A bookable team in tenant t: the service "Haircut" (30 minutes) and Ana and Luis, who do it on weekdays
// 09:00-13:00. Returns their ids { s, a, l }.
export async function makeHaircutTeam(t) {
  const s = (await must(t.admin('POST', '/v1/admin/services', { name: 'Haircut', duration_min: 30 }), 'service')).service.id;
  const a = (await must(t.admin('POST', '/v1/admin/providers', { name: 'Ana', service_ids: [s] }), 'provider')).provider.id;
  const l = (await must(t.admin('POST', '/v1/admin/providers', { name: 'Luis', service_ids: [s] }), 'provider')).provider.id;
  const weekly = [];
  for (let d = 1; d <= 5; d++) weekly.push({ weekday: d, start: '09:00', end: '13:00' });
  for (const p of [a, l]) await must(t.admin('PUT', `/v1/admin/providers/${p}/availability`, { weekly }), 'hours');
  return { s, a, l };
}

// Signs in as another user of a tenant (created with role) and returns an admin() bound to that token.
export async function makeUser(srv, tenant, role) {
  const email = `${role}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const res = await tenant.admin('POST', '/v1/admin/users', { email, role, password: 'correct-horse-battery' });
  if (res.status !== 201) throw new Error(`user create failed: ${res.status} ${res.text}`);
  const login = await srv.post('/v1/auth/login', { email, password: 'correct-horse-battery' });
  if (login.status !== 200) throw new Error(`login failed: ${login.text}`);
  const token = login.json.token;
  return {
    id: res.json.user.id,
    email,
    token,
    admin: (method, path, body) => srv.req(method, path, { body, headers: { authorization: `Bearer ${token}` } }),
  };
}

// Every item of a tenant's partition (test hook), for byte-for-byte comparisons. The usage counters
// (USAGE#…, USAGERPM#…) are left out unless asked for: every request counts, refused ones included, and the
// server flushes them in the background (docs/metering.md), so they change between two dumps.
export async function dumpTenant(srv, tenantId, { usage = false } = {}) {
  const r = await srv.get(`/v1/test/items?pk=${encodeURIComponent('TENANT#' + tenantId)}`);
  if (r.status !== 200) throw new Error(`dump failed: ${r.text}`);
  if (usage) return r.json.items;
  // usage counters and an API key's last_used_at are written in the background (the usage flush every 5 s,
  // the key flush every 10 s): bookkeeping of requests, not the tenant's data that a test compares
  return r.json.items
    .filter((i) => !/^USAGE(RPM)?#/.test(i.SK))
    .map((i) => (/^APIKEY#/.test(i.SK) && 'last_used_at' in i ? (({ last_used_at, ...rest }) => rest)(i) : i));
}

// A store of a suite's own: on the DynamoDB run (make api-dynamo), a new table on the same dynalite, so that
// the dispatchers of concurrent suites on the shared table never take this suite's outbox (channel answers
// go out through it, with this server's stand-in URLs); on the LMDB run every server has its own directory
// anyway. Returns the env to start servers with (spread it into startServer's env).
export async function ownStore(tag) {
  const shared = process.env.BOOKCHAT_STORE || '';
  if (!shared.startsWith('dynamodb://')) return {};
  const table = `bc-${tag}-${Math.random().toString(36).slice(2, 8)}`;
  const url = shared.replace(/^dynamodb:\/\/[^?]+/, `dynamodb://${table}`);
  const r = await cli(['store', 'init'], { env: { BOOKCHAT_STORE: url } });
  if (r.code !== 0) throw new Error(`store init ${table}: ${r.stderr}`);
  return { BOOKCHAT_STORE: url };
}
