// Tenant isolation: with two tenants A and B (sibling branches of one organisation), every admin endpoint
// that takes an id answers A's credentials with B's ids by 404 (never 403, which would leak existence) and
// changes nothing; X-Tenant-Id naming B is refused on every admin route for A, another organisation and a
// viewer of theirs; a viewer gets 403 on
// every write; B's items are byte-for-byte the same after the whole suite. Routes come from the served
// OpenAPI document, so a new endpoint is covered (or fails the id map below) the day it is added.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, errorCode, makeTenant, makeUser, dumpTenant } from './harness.mjs';

let srv, A, B, O, S, viewerA, bIds, bBefore, routes, bSlot, bCode, bToken, bConvToken;

function nextDate(days) {
  return new Date(Date.now() + days * 86400000).toISOString().slice(0, 10);
}

before(async () => {
  // no dispatcher: B's delivery (below) must stay byte-for-byte as made, not be sent in the background
  srv = await startServer({ env: { BOOKCHAT_DISPATCHER: 'off' } });
  // A and B are sibling branches of one organisation O (docs/organisations.md); S is another organisation
  O = await makeTenant(srv, { name: 'Organisation O' });
  S = await makeTenant(srv, { name: 'Organisation S' });
  A = await makeTenant(srv, { name: 'Tenant A', origins: ['https://a.example.com'], parent_id: O.id });
  B = await makeTenant(srv, { name: 'Tenant B', origins: ['https://b.example.com'], parent_id: O.id });
  viewerA = await makeUser(srv, A, 'viewer');
  const bAdmin = await makeUser(srv, B, 'admin');
  const bSvc = await B.admin('POST', '/v1/admin/services', { name: 'B service', duration_min: 30 });
  const bPro = await B.admin('POST', '/v1/admin/providers', { name: 'B pro', service_ids: [bSvc.json.service.id] });
  await B.admin('PUT', `/v1/admin/providers/${bPro.json.provider.id}/availability`, { weekly: [{ weekday: 1, start: '09:00', end: '17:00' }, { weekday: 2, start: '09:00', end: '17:00' }] });
  const bExc = await B.admin('POST', '/v1/admin/exceptions', { provider_id: null, from: '2030-01-01', to: '2030-01-01', kind: 'closed' });
  bSlot = (await B.widget('GET', `/v1/widget/availability?service_id=${bSvc.json.service.id}&provider_id=any&from=${nextDate(1)}&to=${nextDate(9)}`)).json.slots[0];
  const bBooking = await B.widget('POST', '/v1/widget/bookings', { body: { service_id: bSvc.json.service.id, provider_id: bPro.json.provider.id, start: bSlot.start, customer: { name: 'B customer', email: 'b@b.example.com' } } });
  bCode = bBooking.json.booking.code;
  const bConv = await B.widget('POST', '/v1/widget/conversations', { body: {} });
  bConvToken = bConv.json.conversation.token;
  bToken = bBooking.json.booking.manage_token;
  const bHook = await B.admin('POST', '/v1/admin/webhooks', { url: 'https://8.8.8.8/b-hook', events: ['booking.created'] });
  assert.equal(bHook.status, 201, bHook.text);
  const bDelivery = await B.admin('POST', `/v1/admin/webhooks/${bHook.json.webhook.id}/test`);
  assert.equal(bDelivery.status, 202, bDelivery.text);
  const bRoom = await B.admin('POST', '/v1/admin/resources', { name: 'B room', quantity: 1 });
  assert.equal(bRoom.status, 201, bRoom.text);
  const bChan = await B.admin('POST', '/v1/admin/channels', { kind: 'telegram', name: 'B bot', bot_token: '7000000002:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw' });
  assert.equal(bChan.status, 201, bChan.text);
  const bWait = await B.widget('POST', '/v1/widget/waitlist', { body: { service_id: bSvc.json.service.id, date: nextDate(2), customer: { name: 'B waiting', email: 'bw@b.example.com' } } });
  assert.equal(bWait.status, 201, bWait.text);
  // B's ids, by the resource segment that precedes {id} in a path
  bIds = { resources: bRoom.json.resource.id, 'api-keys': B.keyId, users: bAdmin.id, services: bSvc.json.service.id, providers: bPro.json.provider.id,
    exceptions: bExc.json.exception.id, bookings: bBooking.json.booking.id, code: bCode,
    conversations: bConv.json.conversation.id, webhooks: bHook.json.webhook.id, deliveries: bDelivery.json.delivery.id,
    waitlist: bWait.json.waitlist.id, channels: bChan.json.channel.id };
  bBefore = await dumpTenant(srv, B.id);
  const doc = (await srv.get('/v1/openapi.json')).json;
  routes = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const sec = (op.security || []).map((s) => Object.keys(s)[0]);
      routes.push({ path, method: method.toUpperCase(), sec });
    }
  }
});
after(async () => { await srv.stop(); });

function fill(path, ids) {
  if (path.includes('{code}')) path = path.replace('{code}', ids.code);
  return path.replace(/\/([a-z-]+)\/\{id\}/g, (m, res) => {
    if (!(res in ids)) throw new Error(`isolation suite: no id of B for resource '${res}' (${path}); add it to bIds`);
    return `/${res}/${ids[res]}`;
  });
}

const sample = { name: 'pwned', role: 'viewer', origins: ['https://evil.example.com'], grace_seconds: 0, password: 'x-pwned-password', widget: { color: '#000000' } };
// A body that is valid for each id route, so that the foreign id is the only reason to refuse it.
const validBody = {
  'PATCH /v1/admin/api-keys/{id}': { name: 'pwned', origins: ['https://evil.example.com'] },
  'POST /v1/admin/api-keys/{id}/rotate': { grace_seconds: 0 },
  'PATCH /v1/admin/users/{id}': { role: 'viewer', password: 'x-pwned-password' },
  'PATCH /v1/admin/services/{id}': { name: 'pwned', price: 0 },
  'PATCH /v1/admin/providers/{id}': { name: 'pwned' },
  'PATCH /v1/admin/resources/{id}': { name: 'pwned', quantity: 0 },
  'PUT /v1/admin/providers/{id}/availability': { weekly: [] },
  'PATCH /v1/admin/bookings/{id}': { status: 'cancelled' },
  'PATCH /v1/admin/conversations/{id}': { handled: true },
  'PATCH /v1/admin/webhooks/{id}': { enabled: false, rotate_secret: true },
  'POST /v1/admin/deliveries/{id}/retry': {},
  'POST /v1/admin/webhooks/{id}/test': {},
  'POST /v1/admin/providers/{id}/feed': {},
  'POST /v1/admin/channels/{id}/telegram-webhook': {},
  'POST /v1/admin/conversations/{id}/reply': { text: 'pwned' },
};

test('A\'s admin token with B\'s ids: 404 not_found on every admin route that takes an id', async () => {
  const withId = routes.filter((r) => r.sec.includes('bearerJwt') && r.path.includes('{id}'));
  assert.ok(withId.length >= 20, `expected id routes, got ${withId.length}`);
  for (const r of withId) {
    const body = r.method === 'GET' || r.method === 'DELETE' ? undefined : validBody[`${r.method} ${r.path}`];
    if (body === undefined && r.method !== 'GET' && r.method !== 'DELETE') throw new Error(`isolation suite: add a valid body for ${r.method} ${r.path}`);
    const res = await A.admin(r.method, fill(r.path, bIds), body);
    assert.equal(res.status, 404, `${r.method} ${r.path}: ${res.status} ${res.text}`);
    assert.equal(errorCode(res), 'not_found');
  }
});

test('A\'s widget key cannot reach B\'s data through any widget route', async () => {
  const widgetRoutes = routes.filter((r) => r.sec.includes('apiKey'));
  for (const r of widgetRoutes) {
    if (!r.path.includes('{')) continue;
    const res = await A.widget(r.method, fill(r.path, bIds), {
      body: r.method === 'GET' ? undefined : r.path.includes('conversations') ? { text: 'hola' } : { ...sample, manage_token: bToken, email: 'b@b.example.com', start: bSlot.start },
      headers: { 'x-conversation-token': bConvToken },
    });
    assert.ok([400, 404].includes(res.status), `${r.method} ${r.path}: ${res.status}`);
  }
  // ids in query strings and bodies are looked up in A's partition only
  const q = await A.widget('GET', `/v1/widget/providers?service_id=${bIds.services}`);
  assert.equal(q.status, 404);
  const av = await A.widget('GET', `/v1/widget/availability?service_id=${bIds.services}&provider_id=${bIds.providers}&from=${nextDate(1)}&to=${nextDate(2)}`);
  assert.equal(av.status, 404);
  const hold = await A.widget('POST', '/v1/widget/holds', { body: { service_id: bIds.services, provider_id: bIds.providers, start: bSlot.start } });
  assert.equal(hold.status, 404);
  const bk = await A.widget('POST', '/v1/widget/bookings', { body: { service_id: bIds.services, provider_id: bIds.providers, start: bSlot.start, customer: { name: 'x', email: 'x@x.example.com' } } });
  assert.equal(bk.status, 404);
  // B's booking code and even its manage token are useless with A's key
  for (const action of ['cancel', 'reschedule']) {
    const r = await A.widget('POST', `/v1/widget/bookings/${bCode}/${action}`, { body: { manage_token: bToken, start: bSlot.start } });
    assert.equal(r.status, 404, action);
    const e = await A.widget('POST', `/v1/widget/bookings/${bCode}/${action}`, { body: { email: 'b@b.example.com', start: bSlot.start } });
    assert.equal(e.status, 404, action);
  }
  const adminAv = await A.admin('GET', `/v1/admin/availability?service_id=${bIds.services}&from=${nextDate(1)}&to=${nextDate(2)}`);
  assert.equal(adminAv.status, 404);
  const adminBk = await A.admin('POST', '/v1/admin/bookings', { service_id: bIds.services, provider_id: bIds.providers, start: bSlot.start, customer: { name: 'x', email: 'x@x.example.com' } });
  assert.equal(adminBk.status, 404);
  // B's key from A's origin is refused (keys are bound to their tenant's origins)
  const cross = await B.widget('GET', '/v1/widget/config', { origin: A.origin });
  assert.equal(cross.status, 403);
});

test('X-Tenant-Id naming B: refused on every admin route for a sibling branch, another organisation and a viewer', async () => {
  const viewerO = await makeUser(srv, O, 'viewer');
  const jwtRoutes = routes.filter((r) => r.sec.includes('bearerJwt'));
  assert.ok(jwtRoutes.length >= 30, `got ${jwtRoutes.length}`);
  for (const who of [A, S, viewerO]) {
    for (const r of jwtRoutes) {
      const key = `${r.method} ${r.path}`;
      const body = r.method === 'GET' || r.method === 'DELETE' ? undefined : validBody[key] ?? sample;
      const res = await srv.req(r.method, fill(r.path, bIds), { body, headers: { authorization: `Bearer ${who.token}`, 'x-tenant-id': B.id } });
      assert.equal(res.status, 403, `${key} as ${who === A ? 'sibling A' : who === S ? 'organisation S' : 'viewer of O'}: ${res.status} ${res.text}`);
      assert.equal(errorCode(res), 'forbidden');
    }
  }
  // the organisation's owner does act on B (a read here: B must stay as it was for the last test)
  const ok = await srv.req('GET', '/v1/admin/services', { headers: { authorization: `Bearer ${O.token}`, 'x-tenant-id': B.id } });
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.json.items.map((x) => x.id), [bIds.services]);
  // and not on S's tenant, nor on A's with B's ids (404: the ids are looked up in A's partition)
  const foreign = await srv.req('GET', '/v1/admin/services', { headers: { authorization: `Bearer ${O.token}`, 'x-tenant-id': S.id } });
  assert.equal(foreign.status, 403);
  const crossed = await srv.req('GET', `/v1/admin/services/${bIds.services}`, { headers: { authorization: `Bearer ${O.token}`, 'x-tenant-id': A.id } });
  assert.equal(crossed.status, 404);
});

test('a viewer gets 403 forbidden on every admin write, and reads work', async () => {
  const writes = routes.filter((r) => r.sec.includes('bearerJwt') && r.method !== 'GET' && !r.path.startsWith('/v1/admin/me') && r.path !== '/v1/admin/nlu/parse');
  assert.ok(writes.length >= 20, `got ${writes.length}`);
  const ids = { 'api-keys': A.keyId, users: viewerA.id, services: 'S', providers: 'P', resources: 'R', exceptions: 'E', bookings: 'B', conversations: 'C', webhooks: 'W', deliveries: 'D', waitlist: 'L', channels: 'CH' };
  for (const r of writes) {
    const res = await viewerA.admin(r.method, fill(r.path, ids), r.method === 'DELETE' ? undefined : sample);
    assert.equal(res.status, 403, `${r.method} ${r.path}: ${res.status} ${res.text}`);
    assert.equal(errorCode(res), 'forbidden');
  }
  for (const path of ['/v1/admin/settings', '/v1/admin/api-keys', '/v1/admin/users', '/v1/admin/me', '/v1/admin/services', '/v1/admin/providers']) {
    assert.equal((await viewerA.admin('GET', path)).status, 200, path);
  }
  assert.equal((await viewerA.admin('GET', '/v1/admin/audit')).status, 403, 'the audit log is for owners');
});

test('an admin cannot manage users; an owner can, but not remove the last owner', async () => {
  const adminA = await makeUser(srv, A, 'admin');
  const r = await adminA.admin('POST', '/v1/admin/users', { email: 'new@example.com', role: 'owner' });
  assert.equal(r.status, 403);
  const me = await A.admin('GET', '/v1/admin/me');
  const self = await A.admin('DELETE', `/v1/admin/users/${me.json.user.id}`);
  assert.equal(self.status, 409);
  const demote = await A.admin('PATCH', `/v1/admin/users/${me.json.user.id}`, { role: 'admin' });
  assert.equal(demote.status, 409);
  const dup = await A.admin('POST', '/v1/admin/users', { email: adminA.email.toUpperCase(), role: 'viewer' });
  assert.equal(dup.status, 409);
  const del = await A.admin('DELETE', `/v1/admin/users/${adminA.id}`);
  assert.equal(del.status, 204);
  assert.equal((await adminA.admin('GET', '/v1/admin/me')).status, 401, 'a removed user\'s token stops working');
});

test('the platform API needs the platform token', async () => {
  for (const [m, p] of [['GET', '/v1/platform/tenants'], ['POST', '/v1/platform/tenants'], ['GET', `/v1/platform/tenants/${A.id}`]]) {
    const none = await srv.req(m, p, { body: m === 'POST' ? { name: 'x' } : undefined });
    assert.equal(none.status, 401, p);
    const jwt = await A.admin(m, p, m === 'POST' ? { name: 'x' } : undefined);
    assert.equal(jwt.status, 401, `${p} with a tenant JWT`);
  }
  const unknown = await srv.platform('GET', '/v1/platform/tenants/01ZZZZZZZZZZZZZZZZZZZZZZZZ');
  assert.equal(unknown.status, 404);
  const hostile = await srv.platform('GET', '/v1/platform/tenants/..%2F..%2Fetc');
  assert.equal(hostile.status, 404);
});

test('A\'s writes are audited in A only, with who and from where', async () => {
  const r = await A.admin('PATCH', '/v1/admin/settings', { business: { phone: '+34 600 000 000' } });
  assert.equal(r.status, 200);
  const audit = await A.admin('GET', '/v1/admin/audit?limit=5');
  assert.equal(audit.status, 200);
  const e = audit.json.items.find((x) => x.action === 'admin.settings.patch');
  assert.ok(e, JSON.stringify(audit.json.items));
  assert.equal(e.actor.kind, 'user');
  assert.equal(e.status, 200);
  assert.equal(e.remote, '127.0.0.1');
  assert.match(e.request_id, /^[0-9A-Z]{26}$/);
  const bAudit = await B.admin('GET', '/v1/admin/audit?limit=100');
  assert.ok(!bAudit.json.items.some((x) => x.action === 'admin.settings.patch'));
  const p = await srv.platform('GET', `/v1/platform/tenants/${A.id}`);
  assert.equal(p.status, 200);
  const platformWrite = await srv.platform('PATCH', `/v1/platform/tenants/${A.id}`, { plan: 'PRO' });
  assert.equal(platformWrite.status, 200);
  const audit2 = await A.admin('GET', '/v1/admin/audit?limit=5');
  assert.ok(audit2.json.items.some((x) => x.action === 'platform.tenants.patch' && x.actor.kind === 'platform'));
});

test('cached and rendered answers are each tenant\'s own: two tenants read in turn never see each other\'s', async () => {
  // the widget's reads are answered from caches (rendered answers; on DynamoDB the store's read cache, see
  // docs/performance.md): two fresh tenants with the same catalogue shape, read in turn, each get their own
  const C = await makeTenant(srv, { name: 'Tenant C', origins: ['https://c.example.com'] });
  const D = await makeTenant(srv, { name: 'Tenant D', origins: ['https://d.example.com'] });
  for (const [T, n] of [[C, 'C'], [D, 'D']]) {
    for (const svc of ['one', 'two']) assert.equal((await T.admin('POST', '/v1/admin/services', { name: `${svc} of ${n}`, duration_min: 30 })).status, 201);
    assert.equal((await T.admin('PATCH', '/v1/admin/settings', { business: { name: `Business ${n}` } })).status, 200);
  }
  const names = async (T) => (await T.widget('GET', '/v1/widget/services')).json.items.map((x) => x.name).sort();
  const business = async (T) => (await T.widget('GET', '/v1/widget/config')).json.business.name;
  for (let i = 0; i < 5; i++) {
    assert.deepEqual(await names(C), ['one of C', 'two of C']);
    assert.deepEqual(await names(D), ['one of D', 'two of D']);
    assert.equal(await business(C), 'Business C');
    assert.equal(await business(D), 'Business D');
  }
  // C's change is seen by C at once (a write through this process drops what it cached), D's stays
  const list = await C.admin('GET', '/v1/admin/services');
  const one = list.json.items.find((x) => x.name === 'one of C');
  assert.equal((await C.admin('PATCH', `/v1/admin/services/${one.id}`, { name: 'uno of C' })).status, 200);
  assert.deepEqual(await names(C), ['two of C', 'uno of C']);
  assert.deepEqual(await names(D), ['one of D', 'two of D']);
  // an addition, a removal and a settings change are seen at once too (the answers are kept by a digest of
  // the stored items and by the store's generation: each of these changes both)
  const three = await C.admin('POST', '/v1/admin/services', { name: 'three of C', duration_min: 30 });
  assert.equal(three.status, 201);
  assert.deepEqual(await names(C), ['three of C', 'two of C', 'uno of C']);
  assert.equal((await C.admin('DELETE', `/v1/admin/services/${one.id}`)).status, 204);
  assert.deepEqual(await names(C), ['three of C', 'two of C']);
  assert.equal((await C.admin('PATCH', '/v1/admin/settings', { business: { name: 'Business C2' } })).status, 200);
  assert.equal(await business(C), 'Business C2');
  assert.equal(await business(D), 'Business D');
  assert.deepEqual(await names(D), ['one of D', 'two of D']);
  // a key of C presented with D's origin is refused, whatever C's key look-up is cached as
  const r = await srv.get('/v1/widget/services', { headers: { 'x-api-key': C.key, origin: 'https://d.example.com' } });
  assert.equal(r.status, 403);
});

test('B is byte-for-byte unchanged after everything A tried', async () => {
  const now = await dumpTenant(srv, B.id);
  assert.deepEqual(now, bBefore);
});
