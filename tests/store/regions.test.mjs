// Home regions (PRODUCT.md section 13, docs/scaling.md "Home regions"), simulated: two dynalite servers
// stand for one DynamoDB Global Table's replicas in regions a and b, a Replicator (replicate.mjs) copies
// items between them last-writer-wins, and two bookchat processes run with region=a and region=b and each
// other's URL in region_urls. Reads are served where they arrive; a write of a tenant homed in a that
// reaches b is proxied to a (or refused with 421 wrong_region when forwarding is off); a forged forwarded
// header is refused; and a booking race split over both regions makes one booking, where the same race
// for a tenant without a home double-books once the tables replicate.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { startDynalite, FAKE_AWS_ENV } from './with-dynalite.mjs';
import { Replicator } from './replicate.mjs';
import { Server, cli, errorCode, makeTenant, makeHaircutTeam, must, PLATFORM_TOKEN } from '../api/harness.mjs';

const TABLE = 'bookchat-regions';
const SECRET = 'regions-suite-shared-secret-0123456789';
let dA, dB, sA, sB, rep, urls, T;
const env = { ...FAKE_AWS_ENV, AWS_SESSION_TOKEN: '' };

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// A bookchat process of one region on its replica's table.
function regionServer(d, region, port, extra = {}) {
  return new Server({
    store: d.url(TABLE),
    args: ['--listen', `127.0.0.1:${port}`],
    env: {
      ...env,
      BOOKCHAT_SECRET: SECRET, // shared by every region: keys, JWTs and the forwarded header's MAC
      BOOKCHAT_REGION: region,
      BOOKCHAT_REGION_URLS: urls,
      BOOKCHAT_STORE_CACHE_MS: '0', // a replicated change is seen at the next request
      BOOKCHAT_DISPATCHER: 'off',
      BOOKCHAT_CALENDAR_POLLER: 'off',
      ...extra,
    },
  }).start();
}

// The items of a tenant's partition as one region's table holds them (test hook).
async function items(srv, tenantId, prefix) {
  const r = await srv.get(`/v1/test/items?pk=${encodeURIComponent('TENANT#' + tenantId)}`);
  assert.equal(r.status, 200, r.text);
  return r.json.items.filter((i) => i.SK.startsWith(prefix));
}

// The next Monday at least a week ahead, as YYYY-MM-DD (tenants here keep their hours in UTC).
function monday() {
  const d = new Date(Date.now() + 7 * 86400000);
  while (d.getUTCDay() !== 1) d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

before(async () => {
  [dA, dB] = await Promise.all([startDynalite(), startDynalite()]);
  for (const d of [dA, dB]) {
    const init = await cli(['store', 'init', '--store', d.url(TABLE)], { env });
    assert.equal(init.code, 0, init.stderr);
  }
  const [pA, pB, pD] = [await freePort(), await freePort(), await freePort()];
  // region d has a URL but nothing listens there: a home region that is down
  urls = `a=http://127.0.0.1:${pA},b=http://127.0.0.1:${pB},d=http://127.0.0.1:${pD}`;
  // b sits behind a load balancer on 127.0.0.1 whose X-Forwarded-For names the client
  [sA, sB] = await Promise.all([
    regionServer(dA, 'a', pA),
    regionServer(dB, 'b', pB, { BOOKCHAT_TRUSTED_PROXIES: '127.0.0.1' }),
  ]);
  rep = new Replicator([dA.endpoint, dB.endpoint], TABLE);
  T = await makeTenant(sA, { name: 'Clinic A', timezone: 'UTC', locale: 'en', plan: 'PRO' });
  await rep.sync();
});

after(async () => {
  await Promise.all([sA?.stop(), sB?.stop()]);
  await Promise.all([dA?.stop(), dB?.stop()]);
});

test('a tenant is homed in the region that creates it; the operator names another or none', async () => {
  assert.equal(T.tenant.home_region, 'a');
  const viaB = await sB.platform('POST', '/v1/platform/tenants', { name: 'Shop B', empty: true });
  assert.equal(viaB.status, 201, viaB.text);
  assert.equal(viaB.json.tenant.home_region, 'b');
  // (a tenant without a home, "home_region": null, is the control case of the race below)
  for (const bad of ['EU', '', 'x'.repeat(33), 'a\r\nX: y']) {
    const r = await sA.platform('POST', '/v1/platform/tenants', { name: 'Bad', empty: true, home_region: bad });
    assert.equal(r.status, 400, `${bad}: ${r.text}`);
    assert.equal(errorCode(r), 'invalid_request');
  }
  const patched = await sB.platform('PATCH', `/v1/platform/tenants/${viaB.json.tenant.id}`, { home_region: 'BAD' });
  assert.equal(patched.status, 400);
});

test('reads are served by the region they reach, for tenants homed anywhere', async () => {
  for (const [srv, region] of [[sA, 'a'], [sB, 'b']]) {
    const here = await srv.req('GET', '/v1/widget/config', { headers: { 'x-api-key': T.key, origin: T.origin } });
    assert.equal(here.status, 200, here.text);
    assert.equal(here.headers.get('x-bookchat-region'), region);
    const admin = await srv.req('GET', '/v1/admin/services', { headers: { authorization: `Bearer ${T.token}` } });
    assert.equal(admin.status, 200);
    assert.equal(admin.headers.get('x-bookchat-region'), region);
  }
});

test('a write of a tenant homed in a sent to b is forwarded, lands in a, and reaches b by replication', async () => {
  const r = await sB.req('POST', '/v1/admin/services', {
    body: { name: 'Forwarded', duration_min: 20 },
    headers: { authorization: `Bearer ${T.token}` },
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.headers.get('x-bookchat-region'), 'a'); // the home's answer, relayed as is
  const id = r.json.service.id;
  assert.equal((await items(sA, T.id, `SERVICE#${id}`)).length, 1);
  assert.equal((await items(sB, T.id, `SERVICE#${id}`)).length, 0); // b's replica: not yet
  await rep.sync();
  assert.equal((await items(sB, T.id, `SERVICE#${id}`)).length, 1);
  const m = await sB.req('GET', '/metrics', { headers: { authorization: `Bearer ${PLATFORM_TOKEN}` } });
  assert.match(m.text, /^bookchat_region_writes_total\{outcome="forwarded"\} [1-9]/m);
  // the widget's writes too, with the visitor's address as b saw it (X-Forwarded-For from b's balancer)
  const conv = await sB.req('POST', '/v1/widget/conversations', {
    body: {},
    headers: { 'x-api-key': T.key, origin: T.origin, 'x-forwarded-for': '203.0.113.7' },
  });
  assert.equal(conv.status, 201, conv.text);
  assert.equal(conv.headers.get('x-bookchat-region'), 'a');
  assert.equal(conv.headers.get('access-control-allow-origin'), T.origin);
  assert.equal((await items(sA, T.id, `CONV#${conv.json.conversation.id}`)).length, 1);
  // access lines reach the log within 10 ms (docs/architecture.md)
  let line;
  for (let i = 0; i < 50 && !line; i++) {
    await new Promise((r) => setTimeout(r, 20));
    line = sA.logs.map((l) => { try { return JSON.parse(l); } catch { return {}; } })
      .find((l) => l.path === '/v1/widget/conversations' && l.method === 'POST');
  }
  assert.equal(line?.remote, '203.0.113.7', 'the home region limits the original client, not region b');
});

test('forwarding off, or a home without a URL: 421 wrong_region with the location, nothing written', async () => {
  const port = await freePort();
  const off = await regionServer(dB, 'b', port, { BOOKCHAT_REGION_FORWARD: 'off' });
  try {
    const r = await off.req('POST', '/v1/admin/services', {
      body: { name: 'Refused', duration_min: 20 },
      headers: { authorization: `Bearer ${T.token}` },
    });
    assert.equal(r.status, 421, r.text);
    assert.equal(errorCode(r), 'wrong_region');
    const base = urls.split(',')[0].slice(2);
    assert.equal(r.json.error.region, 'a');
    assert.equal(r.json.error.url, base);
    assert.equal(r.headers.get('location'), `${base}/v1/admin/services`);
    assert.equal(r.headers.get('x-bookchat-home-region'), 'a');
    // reads still work there
    assert.equal((await off.req('GET', '/v1/admin/services', { headers: { authorization: `Bearer ${T.token}` } })).status, 200);
  } finally {
    await off.stop();
  }
  // a home region that region_urls does not name
  const C = await makeTenant(sA, { name: 'Clinic C', home_region: 'c' });
  const r = await C.admin('POST', '/v1/admin/services', { name: 'Nowhere', duration_min: 20 });
  assert.equal(r.status, 421, r.text);
  assert.equal(r.json.error.region, 'c');
  assert.equal(r.json.error.url, null);
  assert.equal((await items(sA, C.id, 'SERVICE#')).length, 0);
  // a home region that does not answer: 503, retry later, nothing written here
  await must(sA.platform('PATCH', `/v1/platform/tenants/${C.id}`, { home_region: 'd' }), 'home d');
  const down = await C.admin('POST', '/v1/admin/services', { name: 'Down', duration_min: 20 });
  assert.equal(down.status, 503, down.text);
  assert.equal(errorCode(down), 'unavailable');
  assert.equal(down.headers.get('retry-after'), '5');
  assert.equal((await items(sA, C.id, 'SERVICE#')).length, 0);
  // each outcome is counted where the write arrived
  const m = await sA.req('GET', '/metrics', { headers: { authorization: `Bearer ${PLATFORM_TOKEN}` } });
  const count = (o) => Number(m.text.match(new RegExp(`^bookchat_region_writes_total\\{outcome="${o}"\\} (\\d+)`, 'm'))?.[1]);
  assert.ok(count('misdirected') >= 1, m.text);
  assert.ok(count('failed') >= 1);
});

test('a forged or replayed X-Bookchat-Forwarded is refused, and never names the client', async () => {
  const now = Math.floor(Date.now() / 1000);
  const forged = [
    `v1;origin=b;client=198.51.100.9;ts=${now};mac=${'0'.repeat(64)}`,
    'v1;origin=b;client=198.51.100.9',
    `v2;origin=b;client=198.51.100.9;ts=${now};mac=${'a'.repeat(64)}`,
    'garbage',
  ];
  for (const h of forged) {
    const r = await sA.req('POST', '/v1/admin/services', {
      body: { name: 'Forged', duration_min: 20 },
      headers: { authorization: `Bearer ${T.token}`, 'x-bookchat-forwarded': h },
    });
    assert.equal(r.status, 403, `${h}: ${r.text}`);
    assert.equal(errorCode(r), 'forbidden');
  }
  assert.equal((await items(sA, T.id, 'SERVICE#')).filter((s) => s.name === 'Forged').length, 0);
  assert.ok(!sA.logs.some((l) => l.includes('198.51.100.9') && l.includes('"remote"')));
});

test('a forwarded request for a tenant not homed where it lands gets 421, never a second hop', async () => {
  // the operator moves the tenant's home to b through region a; b's replica has not seen it yet, so b still
  // sends the tenant's writes to a, which must not send them back
  await must(sA.platform('PATCH', `/v1/platform/tenants/${T.id}`, { home_region: 'b' }), 'move');
  try {
    const r = await sB.req('POST', '/v1/admin/services', {
      body: { name: 'Loop', duration_min: 20 },
      headers: { authorization: `Bearer ${T.token}` },
    });
    assert.equal(r.status, 421, r.text);
    assert.equal(r.json.error.region, 'b');
    assert.match(r.json.error.message, /forwarded/);
    // once replicated both agree: b commits it itself
    await rep.sync();
    const ok = await sB.req('POST', '/v1/admin/services', {
      body: { name: 'At home in b', duration_min: 20 },
      headers: { authorization: `Bearer ${T.token}` },
    });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.headers.get('x-bookchat-region'), 'b');
  } finally {
    await must(sB.platform('PATCH', `/v1/platform/tenants/${T.id}`, { home_region: 'a' }), 'move back');
    await rep.sync();
  }
});

// Concurrent bookings of one slot, half sent to each region; returns the statuses and the tenant's bookings
// of that start in each replica after replication.
async function race(t, team, day, n = 24) {
  const start = `${day}T10:00:00+00:00`;
  const res = await Promise.all(Array.from({ length: n }, (_, i) =>
    (i % 2 ? sB : sA).req('POST', '/v1/widget/bookings', {
      body: { service_id: team.s, provider_id: team.a, start, customer: { name: `R${i}`, email: `r${i}@example.com` } },
      headers: { 'x-api-key': t.key, origin: t.origin },
    })));
  await rep.sync();
  const booked = async (srv) => (await items(srv, t.id, 'BOOKING#')).filter((b) => b.status === 'confirmed' && Date.parse(b.start) === Date.parse(start));
  return { res, inA: await booked(sA), inB: await booked(sB) };
}

test('the race over two regions: one booking of a slot after replication, no double booking', async () => {
  const team = await makeHaircutTeam(T);
  await rep.sync();
  const { res, inA, inB } = await race(T, team, monday());
  assert.equal(res.filter((r) => r.status === 201).length, 1, res.map((r) => r.status).join());
  assert.ok(res.every((r) => r.status === 201 || (r.status === 409 && errorCode(r) === 'slot_unavailable')), res.map((r) => r.text).join('\n'));
  assert.equal(inA.length, 1);
  assert.equal(inB.length, 1);
  assert.equal(inA[0].id, inB[0].id);
  // the customer's manage link (its token is the credential, read by the handler) is a write too
  const won = res.find((r) => r.status === 201).json.booking;
  const cancel = await sB.post('/v1/manage/booking/cancel', { token: won.manage_token });
  assert.equal(cancel.status, 200, cancel.text);
  assert.equal(cancel.headers.get('x-bookchat-region'), 'a');
  const [inAAfter] = (await items(sA, T.id, `BOOKING#${won.id}`));
  assert.equal(inAAfter.status, 'cancelled');
});

test('the control: the same race for a tenant without a home region double-books once replicated', async () => {
  const N = await makeTenant(sA, { name: 'Homeless', timezone: 'UTC', locale: 'en', plan: 'PRO', home_region: null });
  assert.equal(N.tenant.home_region, undefined);
  await rep.sync();
  const team = await makeHaircutTeam(N);
  await rep.sync();
  const { res, inA, inB } = await race(N, team, monday());
  // each region's conditional write let one through: two bookings of one slot, in both replicas
  assert.equal(res.filter((r) => r.status === 201).length, 2, res.map((r) => r.status).join());
  assert.equal(inA.length, 2);
  assert.equal(inB.length, 2);
});

test('CLI: tenant create --home-region and tenant set-home-region', async () => {
  const store = ['--store', dA.url(TABLE), '--json'];
  const cenv = { ...env, BOOKCHAT_SECRET: SECRET };
  const made = await cli(['tenant', 'create', '--name', 'CLI clinic', '--empty', '--home-region', 'b', ...store], { env: cenv });
  assert.equal(made.code, 0, made.stderr);
  assert.equal(made.json.tenant.home_region, 'b');
  const id = made.json.tenant.id;
  const moved = await cli(['tenant', 'set-home-region', id, 'a', ...store], { env: cenv });
  assert.equal(moved.code, 0, moved.stderr);
  assert.equal(moved.json.tenant.home_region, 'a');
  const none = await cli(['tenant', 'set-home-region', id, 'none', ...store], { env: cenv });
  assert.equal(none.code, 0, none.stderr);
  assert.equal(none.json.tenant.home_region, undefined);
  const bad = await cli(['tenant', 'set-home-region', id, 'Not A Region', ...store], { env: cenv });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /region/);
  const shown = await sA.req('GET', `/v1/platform/tenants/${id}`, { headers: { authorization: `Bearer ${PLATFORM_TOKEN}` } });
  assert.equal(shown.json.tenant.home_region, undefined);
});
