// Metering, plan limits, Prometheus and the health score end to end: exact counts after a flush, the 6th of
// 5 refused while another tenant is unaffected, a raised limit applied at once, two processes on one store,
// the shutdown flush, the CLI report and billing export, /metrics through promtool, and tenants ordered by
// health. The clock starts on Monday 2026-11-30 08:00 UTC (usage months and days are UTC).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { startServer, errorCode, makeTenant, Server, cli, PLATFORM_TOKEN } from './harness.mjs';

const NOW = Date.UTC(2026, 10, 30, 8, 0, 0) / 1000;
const env = { BOOKCHAT_TEST_NOW: String(NOW) };
const customer = { name: 'Marta Ruiz', email: 'marta@example.com' };
let srv;

before(async () => { srv = await startServer({ env }); });
after(async () => { await srv.stop(); });

// A bookable tenant: one 30-minute service, one professional working weekdays 09:00-19:00 (Madrid).
async function bookable(s, { limits = {}, ...opts } = {}) {
  const t = await makeTenant(s, { name: 'Salon', timezone: 'Europe/Madrid', ...opts });
  await s.platform('PATCH', `/v1/platform/tenants/${t.id}`, { limits: { rate_per_s: 100000, burst: 100000, ...limits } });
  const svc = await t.admin('POST', '/v1/admin/services', { name: 'Corte', duration_min: 30 });
  const pro = await t.admin('POST', '/v1/admin/providers', { name: 'Ana', service_ids: [svc.json.service.id] });
  const weekly = [];
  for (let d = 1; d <= 5; d++) weekly.push({ weekday: d, start: '09:00', end: '19:00' });
  await t.admin('PUT', `/v1/admin/providers/${pro.json.provider.id}/availability`, { weekly });
  t.svc = svc.json.service.id;
  t.pro = pro.json.provider.id;
  t.slot = 0;
  // the next free half hour from 2026-12-01 09:00 on
  t.book = (via = s) => {
    const i = t.slot++;
    const day = 1 + Math.floor(i / 20), min = 9 * 60 + 30 * (i % 20);
    const start = `2026-12-${String(day).padStart(2, '0')}T${String(Math.floor(min / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}:00+01:00`;
    return via.req('POST', '/v1/widget/bookings', {
      body: { service_id: t.svc, provider_id: t.pro, start, customer },
      headers: { 'x-api-key': t.key, origin: t.origin },
    });
  };
  return t;
}

async function conversation(t, via = srv) {
  const h = { 'x-api-key': t.key, origin: t.origin };
  const r = await via.req('POST', '/v1/widget/conversations', { body: {}, headers: h });
  assert.equal(r.status, 201, r.text);
  const { id, token } = r.json.conversation;
  const send = (body, s = via) => s.req('POST', `/v1/widget/conversations/${id}/messages`, { body, headers: { ...h, 'x-conversation-token': token } });
  return { id, say: (text, s) => send({ text }, s), tap: (action, s) => send({ action }, s) };
}

const flush = async (s = srv) => {
  const r = await s.post('/v1/test/usage/flush', {});
  assert.equal(r.status, 200, r.text);
  return r.json.written;
};

async function usage(t, month = '2026-11') {
  const r = await t.admin('GET', `/v1/admin/usage?month=${month}`);
  assert.equal(r.status, 200, r.text);
  return r.json.usage;
}

test('N bookings and M messages show exactly N and M in the usage after a flush', async () => {
  const t = await bookable(srv);
  for (let i = 0; i < 7; i++) assert.equal((await t.book()).status, 201);
  const b = await t.book();
  assert.equal((await t.widget('POST', `/v1/widget/bookings/${b.json.booking.code}/cancel`, { body: { email: customer.email } })).status, 200);
  const c = await conversation(t);
  for (let i = 0; i < 9; i++) assert.equal((await c.say('hola')).status, 200);
  const before = await usage(t);
  assert.equal(before.totals.bookings, 0, 'nothing is written per request');
  assert.ok(await flush() > 0);
  const u = await usage(t);
  assert.equal(u.month, '2026-11');
  assert.equal(u.timezone, 'UTC');
  assert.equal(u.totals.bookings, 8);
  assert.equal(u.totals.cancellations, 1);
  assert.equal(u.totals.messages, 9);
  assert.equal(u.totals.conversations, 1);
  assert.ok(u.totals.requests >= 19, JSON.stringify(u.totals));
  assert.ok(u.totals.peak_rpm >= 1 && u.totals.peak_rpm <= u.totals.requests);
  assert.deepEqual(u.totals.origins[0], { origin: t.origin, count: u.totals.origins[0].count });
  // the per-day series: 1..30 November, today holds everything
  assert.equal(u.days.length, 30);
  assert.equal(u.days[29].date, '2026-11-30');
  assert.equal(u.days[29].bookings, 8);
  assert.equal(u.days[29].messages, 9);
  assert.equal(u.days[0].bookings, 0);
  // limits of the FREE plan and the share used
  assert.equal(u.limits.bookings_month, 50);
  assert.equal(u.limits.messages_month, 500);
  assert.equal(u.used_pct.bookings, 16);
  assert.equal(u.used_pct.messages, 1.8);
  assert.equal(u.used_pct.ai_tokens, null);
  // a second flush adds nothing
  await flush();
  assert.equal((await usage(t)).totals.bookings, 8);
  // other months, bad months, and roles
  assert.equal((await usage(t, '2026-10')).totals.bookings, 0);
  assert.equal((await usage(t, '2026-12')).days.length, 0);
  assert.equal((await t.admin('GET', '/v1/admin/usage?month=2026-13')).status, 400);
  assert.equal((await t.admin('GET', '/v1/admin/usage?month=nov')).status, 400);
  assert.equal((await srv.get('/v1/admin/usage')).status, 401);
  const op = await srv.platform('GET', `/v1/platform/tenants/${t.id}/usage?month=2026-11`);
  assert.equal(op.json.usage.totals.bookings, 8);
  assert.equal((await srv.platform('GET', '/v1/platform/tenants/nope/usage')).status, 404);
});

test('a bookings limit of 5: the 6th is 429 plan_limit_exceeded, another tenant is unaffected, a raise applies at once', async () => {
  const a = await bookable(srv, { limits: { bookings_month: 5 } });
  const b = await bookable(srv, { limits: { bookings_month: 5 } });
  for (let i = 0; i < 5; i++) assert.equal((await a.book()).status, 201);
  const sixth = await a.book();
  assert.equal(sixth.status, 429, sixth.text);
  assert.equal(errorCode(sixth), 'plan_limit_exceeded');
  assert.equal((await b.book()).status, 201, 'another tenant is unaffected');
  await srv.platform('PATCH', `/v1/platform/tenants/${a.id}`, { limits: { bookings_month: 6 } });
  assert.equal((await a.book()).status, 201, 'raising the limit applies without a restart');
  assert.equal((await a.book()).status, 429);
  // refused bookings are not counted
  await flush();
  assert.equal((await usage(a)).totals.bookings, 6);
  assert.equal((await usage(a)).totals.errors.by_code['4xx'].plan_limit_exceeded, 2);
  assert.equal((await usage(a)).limit_reached.bookings, true);
  assert.equal((await usage(b)).limit_reached.bookings, false);
});

test('a messages limit of 5: the 6th message is 429, another tenant chats on, a raise lets the next through', async () => {
  const a = await bookable(srv, { limits: { messages_month: 5 } });
  const b = await bookable(srv, { limits: { messages_month: 5 } });
  const ca = await conversation(a), cb = await conversation(b);
  for (let i = 0; i < 5; i++) assert.equal((await ca.say('hola')).status, 200);
  const r = await ca.say('hola');
  assert.equal(r.status, 429);
  assert.equal(errorCode(r), 'plan_limit_exceeded');
  assert.ok(r.json.messages.length > 0, 'a polite message for the widget');
  assert.equal((await cb.say('hola')).status, 200);
  await srv.platform('PATCH', `/v1/platform/tenants/${a.id}`, { limits: { messages_month: 7 } });
  assert.equal((await ca.say('hola')).status, 200);
  await flush();
  assert.equal((await usage(a)).totals.messages, 6);
});

test('two processes on one data directory count together, and each sees the other\'s counts', async () => {
  const fast = { ...env, BOOKCHAT_USAGE_FLUSH_INTERVAL: '1' };
  const p1 = await new Server({ env: fast }).start();
  const p2 = await new Server({ dataDir: p1.dataDir, env: fast }).start();
  try {
    const t = await bookable(p1, { limits: { messages_month: 6 } });
    // bookings alternate between the processes
    for (let i = 0; i < 10; i++) assert.equal((await t.book(i % 2 ? p2 : p1)).status, 201);
    const c = await conversation(t, p1);
    for (let i = 0; i < 3; i++) assert.equal((await c.say('hola', p1)).status, 200);
    for (let i = 0; i < 3; i++) assert.equal((await c.say('hola', p2)).status, 200);
    // the housekeeping of each process flushes within a second or two
    let u;
    for (let i = 0; i < 50; i++) {
      u = (await p1.platform('GET', `/v1/platform/tenants/${t.id}/usage?month=2026-11`)).json.usage;
      if (u.totals.bookings === 10 && u.totals.messages === 6) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(u.totals.bookings, 10);
    assert.equal(u.totals.messages, 6);
    // the limit (6) is reached across both: once each has re-read the store (at most a second), both refuse
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await c.say('hola', p1)).status, 429);
    assert.equal((await c.say('hola', p2)).status, 429);
    // each process's own requests are counted once, in the shared totals
    const r2 = (await p2.platform('GET', `/v1/platform/tenants/${t.id}/usage?month=2026-11`)).json.usage;
    assert.equal(r2.totals.bookings, 10);
  } finally {
    await p2.stop();
    await p1.stop();
  }
});

test('a clean stop flushes what is pending; bookchat usage shows it and the export has one line per tenant', async () => {
  const slow = { ...env, BOOKCHAT_USAGE_FLUSH_INTERVAL: '3600' };
  const s = await new Server({ env: slow, keepData: true }).start();
  let t;
  try {
    t = await bookable(s);
    for (let i = 0; i < 4; i++) assert.equal((await t.book()).status, 201);
    const other = await makeTenant(s, { name: 'Quiet, "Inc"' });
    assert.ok(other.id);
  } finally {
    await s.stop(); // SIGTERM: the shutdown flush writes the 4 bookings
  }
  const data = ['--data', s.dataDir];
  const show = await cli(['usage', t.id, '--month', '2026-11', '--json', ...data], { env });
  assert.equal(show.code, 0, show.stderr);
  assert.equal(show.json.usage.totals.bookings, 4);
  assert.equal(show.json.usage.limits.bookings_month, 50);
  const text = await cli(['usage', t.id, ...data], { env });
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /bookings\s+4 \/ 50 \(8\.0%\)/);
  const csv = await cli(['usage', 'export', '--month', '2026-11', '--format', 'csv', ...data], { env });
  assert.equal(csv.code, 0, csv.stderr);
  const lines = csv.stdout.trim().split('\n');
  assert.match(lines[0], /^tenant_id,name,plan,status,month,messages,messages_limit,bookings,bookings_limit,/);
  assert.ok(lines.length >= 3, csv.stdout); // a header, then one line per tenant (others too on a shared table)
  assert.equal(lines.filter((l) => l.startsWith(t.id + ',')).length, 1);
  const cols = lines[0].split(',');
  const mine = lines.find((l) => l.startsWith(t.id + ',')).split(',');
  assert.equal(mine[cols.indexOf('bookings')], '4');
  assert.equal(mine[cols.indexOf('bookings_limit')], '50');
  assert.equal(mine[cols.indexOf('month')], '2026-11');
  assert.ok(lines.some((l) => l.includes(',"Quiet, ""Inc""",')), 'names are quoted CSV');
  const jl = await cli(['usage', 'export', '--month', '2026-11', '--format', 'json', ...data], { env });
  assert.equal(jl.stdout.trim().split('\n').map((l) => JSON.parse(l)).find((x) => x.tenant_id === t.id).totals.bookings, 4);
  assert.equal((await cli(['usage', t.id, '--month', '2026-13', ...data], { env })).code, 2);
  assert.equal((await cli(['usage', 'nope', ...data], { env })).code, 1);
  assert.equal((await cli(['usage', 'export', '--format', 'xml', ...data], { env })).code, 2);
});

function promtool(text) {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (r.error) throw new Error(`promtool is not installed (Debian package prometheus): ${r.error.message}`);
  return r;
}

test('/metrics needs the platform token, passes promtool and holds the listed families', async () => {
  const t = await bookable(srv);
  assert.equal((await t.book()).status, 201);
  const c = await conversation(t);
  await c.say('hola');
  assert.equal((await srv.get('/metrics')).status, 401);
  assert.equal((await srv.get('/metrics', { headers: { authorization: 'Bearer wrong' } })).status, 401);
  const m = await srv.get('/metrics', { headers: { authorization: `Bearer ${PLATFORM_TOKEN}` } });
  assert.equal(m.status, 200);
  assert.match(m.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const check = promtool(m.text);
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.equal((check.stdout + check.stderr).trim(), '', 'no lint warnings');
  for (const family of ['bookchat_http_requests_total counter', 'bookchat_http_request_duration_seconds histogram',
    'bookchat_store_operation_duration_seconds histogram', 'bookchat_store_errors_total counter',
    'bookchat_llm_calls_total counter', 'bookchat_llm_tokens_total counter', 'bookchat_llm_call_duration_seconds histogram',
    'bookchat_conversations_active gauge', 'bookchat_tenants gauge', 'bookchat_http_requests_in_flight gauge',
    'process_resident_memory_bytes gauge', 'process_cpu_seconds_total counter', 'bookchat_uptime_seconds gauge',
    'bookchat_usage_flushes_total counter']) {
    assert.ok(m.text.includes(`# TYPE ${family}\n`), family);
  }
  assert.match(m.text, /\nbookchat_http_requests_total\{route="widget\.bookings\.create",status_class="2xx",placement="pooled"\} [1-9]/);
  assert.match(m.text, /\nbookchat_http_request_duration_seconds_bucket\{route="widget\.bookings\.create",status_class="2xx",placement="pooled",le="\+Inf"\} [1-9]/);
  assert.match(m.text, /\nbookchat_http_requests_total\{route="unmatched",status_class="4xx",placement="pooled"\} |\nbookchat_http_requests_total\{route="ops\.metrics",status_class="4xx",placement="pooled"\} /);
  assert.match(m.text, /\nbookchat_store_operation_duration_seconds_count\{op="update"\} [1-9]/);
  assert.match(m.text, /\nbookchat_tenants\{status="ACTIVE",plan="FREE"\} [1-9]/);
  assert.match(m.text, /\nbookchat_conversations_active [1-9]/);
  assert.match(m.text, /\nprocess_resident_memory_bytes [1-9]/);
  assert.ok(!m.text.includes(t.id), 'no tenant id in any label');
});

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

test('metrics_listen serves /metrics without credentials on its own address, and nothing else', async () => {
  const port = await freePort();
  const s = await new Server({ env: { ...env, BOOKCHAT_METRICS_LISTEN: `127.0.0.1:${port}` } }).start();
  try {
    const r = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(r.status, 200);
    const text = await r.text();
    assert.equal(promtool(text).status, 0);
    assert.match(text, /# TYPE bookchat_http_requests_total counter/);
    assert.equal((await fetch(`http://127.0.0.1:${port}/v1/platform/tenants`)).status, 404);
    assert.equal((await s.get('/metrics')).status, 401, 'the main listener still wants the token');
  } finally {
    await s.stop();
  }
});

test('the health score: tenants worst first, with reasons; hand-offs count until answered', async () => {
  const h = await new Server({ env }).start();
  try {
    const ok = await bookable(h, {});
    assert.equal((await ok.book(h)).status, 201);
    const full = await bookable(h, { limits: { bookings_month: 1 } });
    assert.equal((await full.book(h)).status, 201); // the limit is reached: 20 points
    const bad = await bookable(h, { limits: { bookings_month: 1 } });
    assert.equal((await bad.book(h)).status, 201);
    const c = await conversation(bad, h);
    assert.equal((await c.tap('human', h)).status, 200);
    const r = await c.say('ana@example.com', h);
    assert.equal(r.json.status, 'handoff', r.text); // a hand-off waits for an answer: 5 points
    assert.equal((await bad.admin('DELETE', `/v1/admin/api-keys/${bad.keyId}`)).status, 200); // no key: 10 points
    await flush(h);
    const list = await h.platform('GET', '/v1/platform/health?limit=1000');
    assert.equal(list.status, 200, list.text);
    // (on a shared DynamoDB table other suites' tenants are listed too: look at these three)
    const mine = list.json.items.filter((x) => [ok.id, full.id, bad.id].includes(x.tenant_id));
    assert.deepEqual(mine.map((x) => x.tenant_id), [bad.id, full.id, ok.id]);
    const scores = list.json.items.map((x) => x.score);
    assert.deepEqual(scores, [...scores].sort((x, y) => x - y), 'worst first');
    const [b, f, o] = mine;
    assert.equal(o.score, 100);
    assert.deepEqual(o.reasons, []);
    assert.equal(f.score, 80);
    assert.equal(f.reasons[0].factor, 'plan_limits');
    assert.match(f.reasons[0].detail, /bookings: 1 of 1/);
    assert.equal(b.score, 65);
    assert.deepEqual(b.reasons.map((x) => x.factor), ['plan_limits', 'api_key_age', 'handoffs']);
    assert.ok(b.score <= f.score && f.score <= o.score);
    assert.equal((await h.platform('GET', '/v1/platform/health?limit=1')).json.items.length, 1);
    // the tenant's own view carries it too; answering the hand-off lifts the score
    const one = await h.platform('GET', `/v1/platform/tenants/${bad.id}`);
    assert.equal(one.json.health.score, 65);
    assert.equal(one.json.health.factors.handoffs.value, 1);
    assert.equal((await bad.admin('PATCH', `/v1/admin/conversations/${c.id}`, { handled: true })).status, 200);
    await flush(h);
    assert.equal((await h.platform('GET', `/v1/platform/tenants/${bad.id}`)).json.health.score, 70);
    // the counters behind it
    const u = (await h.platform('GET', `/v1/platform/tenants/${bad.id}/usage`)).json.usage;
    assert.equal(u.totals.handoffs, 1);
    assert.equal(u.totals.handoffs_answered, 1);
    assert.equal(u.totals.conversations, 1);
  } finally {
    await h.stop();
  }
});
