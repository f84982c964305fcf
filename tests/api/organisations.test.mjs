// Organisations and branches (PRODUCT.md section 13, docs/organisations.md): the organisation's owners and
// admins act on its branches with X-Tenant-Id; anything else named there is refused (never trusted); the
// organisation sees its branches and its month summed over them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, errorCode, makeTenant, makeUser, cli } from './harness.mjs';

let srv, org, b1, b2, stranger, strangerBranch, orgViewer, orgAdmin;

before(async () => {
  srv = await startServer({ env: { BOOKCHAT_DISPATCHER: 'off' } });
  org = await makeTenant(srv, { name: 'Clínicas Sol' });
  b1 = await makeTenant(srv, { name: 'Sol Chamberí', parent_id: org.id });
  b2 = await makeTenant(srv, { name: 'Sol Gràcia', parent_id: org.id });
  stranger = await makeTenant(srv, { name: 'Otra Clínica' });
  strangerBranch = await makeTenant(srv, { name: 'Otra Clínica Centro', parent_id: stranger.id });
  orgViewer = await makeUser(srv, org, 'viewer');
  orgAdmin = await makeUser(srv, org, 'admin');
});
after(async () => { await srv.stop(); });

const as = (who, tenantId) => (method, path, body) =>
  srv.req(method, path, { body, headers: { authorization: `Bearer ${who.token}`, 'x-tenant-id': tenantId } });

test('the organisation\'s owner and admins act on a branch with X-Tenant-Id, and only on it', async () => {
  const made = await as(org, b1.id)('POST', '/v1/admin/services', { name: 'Limpieza dental', duration_min: 30 });
  assert.equal(made.status, 201, made.text);
  const id = made.json.service.id;
  // it is the branch's: its own staff see it, the organisation's own catalogue does not have it
  const mine = await b1.admin('GET', '/v1/admin/services');
  assert.ok(mine.json.items.some((s) => s.id === id));
  const orgOwn = await org.admin('GET', '/v1/admin/services');
  assert.ok(!orgOwn.json.items.some((s) => s.id === id));
  const other = await b2.admin('GET', '/v1/admin/services');
  assert.ok(!other.json.items.some((s) => s.id === id));
  // an admin of the organisation too
  const viaAdmin = await as(orgAdmin, b2.id)('GET', '/v1/admin/services');
  assert.equal(viaAdmin.status, 200, viaAdmin.text);
  // the audit trail of the branch names the organisation that acted
  const audit = await b1.admin('GET', '/v1/admin/audit');
  const entry = audit.json.items.find((e) => e.action === 'admin.services.create');
  assert.ok(entry, audit.text);
  assert.equal(entry.actor.org, org.id);
  // the header naming the credential's own tenant changes nothing
  const same = await as(org, org.id)('GET', '/v1/admin/services');
  assert.equal(same.status, 200);
  assert.deepEqual(same.json.items.map((s) => s.id), orgOwn.json.items.map((s) => s.id));
});

test('X-Tenant-Id naming anything but one of the credential\'s own branches is refused and changes nothing', async () => {
  const before = (await strangerBranch.admin('GET', '/v1/admin/services')).json.items.length;
  const cases = [
    [org, strangerBranch.id, 403], // another organisation's branch
    [org, stranger.id, 403], // another tenant
    [org, '01J0000000000000000000000Z', 403], // no such tenant: the same answer
    [b1, b2.id, 403], // a branch's staff: not its sibling
    [b1, org.id, 403], // nor its organisation
    [orgViewer, b1.id, 403], // a viewer of the organisation: owners and admins only
    [stranger, b1.id, 403],
    [org, '../TENANT#x', 400],
    [org, 'x'.repeat(200), 400],
  ];
  for (const [who, tid, status] of cases) {
    const r = await as(who, tid)('POST', '/v1/admin/services', { name: 'pwned', duration_min: 30 });
    assert.equal(r.status, status, `${tid}: ${r.text}`);
    assert.equal(errorCode(r), status === 400 ? 'invalid_request' : 'forbidden');
    const g = await as(who, tid)('GET', '/v1/admin/services');
    assert.equal(g.status, status);
  }
  const after = (await strangerBranch.admin('GET', '/v1/admin/services')).json.items.length;
  assert.equal(after, before);
  for (const t of [b1, b2, org, stranger, strangerBranch]) {
    const items = (await t.admin('GET', '/v1/admin/services')).json.items;
    assert.ok(!items.some((s) => s.name === 'pwned'), t.id);
  }
});

test('the organisation lists its branches; a branch has none; a branch cannot have branches', async () => {
  const list = await org.admin('GET', '/v1/admin/org/branches');
  assert.equal(list.status, 200, list.text);
  assert.deepEqual(list.json.items.map((t) => t.id).sort(), [b1.id, b2.id].sort());
  assert.ok(list.json.items.every((t) => t.parent_id === org.id));
  // asked from inside a branch (X-Tenant-Id), still the organisation's
  const inside = await as(org, b1.id)('GET', '/v1/admin/org/branches');
  assert.equal(inside.json.items.length, 2);
  const own = await b1.admin('GET', '/v1/admin/org/branches');
  assert.deepEqual(own.json.items, []);
  const viewer = await orgViewer.admin('GET', '/v1/admin/org/branches');
  assert.equal(viewer.status, 403);
  const nested = await srv.platform('POST', '/v1/platform/tenants', { name: 'Nested', parent_id: b1.id, empty: true });
  assert.equal(nested.status, 400, nested.text);
  assert.match(nested.json.error.message, /branch/);
  const orphan = await srv.platform('POST', '/v1/platform/tenants', { name: 'Orphan', parent_id: '01J0000000000000000000000Z', empty: true });
  assert.equal(orphan.status, 400);
});

test('the organisation\'s month sums its branches\' usage and gives each one\'s figures', async () => {
  // some traffic on each branch's widget key
  for (const [t, n] of [[b1, 3], [b2, 2]]) {
    for (let i = 0; i < n; i++) assert.equal((await t.widget('GET', '/v1/widget/services')).status, 200);
  }
  assert.equal((await srv.post('/v1/test/usage/flush', {})).status, 200);
  const r = await org.admin('GET', '/v1/admin/org/usage');
  assert.equal(r.status, 200, r.text);
  const u = r.json;
  assert.equal(u.organisation.id, org.id);
  assert.deepEqual(u.branches.map((b) => b.id), [org.id, ...u.branches.slice(1).map((b) => b.id)]);
  assert.deepEqual(u.branches.slice(1).map((b) => b.id).sort(), [b1.id, b2.id].sort());
  for (const [k, v] of Object.entries(u.totals)) {
    assert.equal(v, u.branches.reduce((s, b) => s + (b.totals[k] || 0), 0), k);
  }
  const row = (id) => u.branches.find((b) => b.id === id);
  assert.ok(row(b1.id).totals.requests >= 3, JSON.stringify(row(b1.id)));
  assert.ok(row(b2.id).totals.requests >= 2);
  assert.ok(u.health.min <= u.health.mean && u.health.mean <= 100);
  // each row's score is the tenant's own health score (GET /v1/platform/health)
  const platform = (await srv.platform('GET', '/v1/platform/health?limit=100')).json.items;
  for (const b of u.branches) assert.equal(b.health, platform.find((x) => x.tenant_id === b.id).score, b.id);
  assert.ok(u.health.mean > 0);
  assert.equal(typeof row(b1.id).health, 'number');
  // the stranger's organisation is not in it, and its own answer does not include ours
  const s = await stranger.admin('GET', '/v1/admin/org/usage');
  assert.deepEqual(s.json.branches.map((b) => b.id), [stranger.id, strangerBranch.id]);
  const bad = await org.admin('GET', '/v1/admin/org/usage?month=2026-13x');
  assert.equal(bad.status, 400);
});

// ---- the organisation's widget chat: which branch first, then that branch's booking ----

async function open(t, locale) {
  const r = await t.widget('POST', '/v1/widget/conversations', { body: locale ? { locale } : {} });
  assert.equal(r.status, 201, r.text);
  const { id, token } = r.json.conversation;
  const conv = { id, token, last: r.json.messages };
  conv.send = async (body) => {
    const res = await t.widget('POST', `/v1/widget/conversations/${id}/messages`, { body, headers: { 'x-conversation-token': token } });
    assert.equal(res.status, 200, res.text);
    conv.last = res.json.messages;
    conv.state = res.json.state;
    return res.json;
  };
  return conv;
}
const replies = (msgs) => msgs.flatMap((m) => m.quick_replies || []);
const payload = (conv, prefix) => replies(conv.last).find((q) => q.payload.startsWith(prefix))?.payload;

async function staffed(t, service, address) {
  const s = await t.admin('POST', '/v1/admin/services', { name: service, duration_min: 30 });
  assert.equal(s.status, 201, s.text);
  const p = await t.admin('POST', '/v1/admin/providers', { name: `Dra. de ${service}`, service_ids: [s.json.service.id] });
  const weekly = [1, 2, 3, 4, 5].map((weekday) => ({ weekday, start: '09:00', end: '14:00' }));
  assert.equal((await t.admin('PUT', `/v1/admin/providers/${p.json.provider.id}/availability`, { weekly })).status, 200);
  assert.equal((await t.admin('PATCH', '/v1/admin/settings', { business: { address } })).status, 200);
}

test('the organisation\'s widget asks which branch, by name, town or postal code, then books in that branch', async () => {
  await staffed(b1, 'Limpieza', 'Calle de Santa Engracia 10, 28010 Madrid');
  await staffed(b2, 'Revisión', 'Carrer de Verdi 5, 08012 Barcelona');
  // opening: a greeting and the question, with the branches as quick replies
  const c = await open(org, 'es');
  assert.match(c.last.at(-1).text, /En qué centro/);
  assert.deepEqual(replies(c.last).map((q) => q.label).sort(), ['Sol Chamberí', 'Sol Gràcia']);
  // an answer naming no branch: asked again
  await c.send({ text: 'hola' });
  assert.equal(c.state, 'branch');
  assert.match(c.last.at(-1).text, /En qué centro/);
  // a stranger's branch as a payload is not one of ours: asked again
  await c.send({ action: `branch:${strangerBranch.id}` });
  assert.equal(c.state, 'branch');
  // "la de Chamberí": that branch's flow, with its own catalogue (its two services, the one made through the
  // organisation in the first test among them)
  await c.send({ text: 'quiero cita en la de Chamberi' });
  assert.equal(c.state, 'service');
  assert.deepEqual(replies(c.last).filter((r) => r.payload.startsWith('svc:')).map((r) => r.label).sort(), ['Limpieza', 'Limpieza dental']);
  await c.send({ action: replies(c.last).find((r) => r.label === 'Limpieza').payload });
  assert.ok(payload(c, 'day:'), JSON.stringify(c.last));
  await c.send({ action: payload(c, 'day:') });
  await c.send({ action: payload(c, 'time:') });
  await c.send({ text: 'Lucía Gómez' });
  await c.send({ text: 'lucia@example.com' });
  assert.equal(c.state, 'confirm');
  const done = await c.send({ action: 'yes' });
  assert.equal(done.state, 'booked', JSON.stringify(done));
  const card = c.last.find((m) => m.booking)?.booking;
  assert.ok(card, JSON.stringify(c.last));
  // the booking is the branch's, not the organisation's nor the other branch's
  const inB1 = (await b1.admin('GET', '/v1/admin/bookings')).json.items;
  assert.ok(inB1.some((b) => b.code === card.code));
  assert.ok(!(await org.admin('GET', '/v1/admin/bookings')).json.items.some((b) => b.code === card.code));
  assert.ok(!(await b2.admin('GET', '/v1/admin/bookings')).json.items.some((b) => b.code === card.code));
  // the conversation stays the organisation's, with the branch it chose
  const conv = await org.admin('GET', `/v1/admin/conversations/${c.id}`);
  assert.equal(conv.status, 200, conv.text);

  // in English, by town; by postal code; by the quick reply
  const e = await open(org, 'en');
  assert.match(e.last.at(-1).text, /Which of our locations/);
  await e.send({ text: 'the one in Barcelona please' });
  assert.notEqual(e.state, 'branch');
  assert.ok(payload(e, 'day:'), JSON.stringify(e.last) + e.state);
  const p = await open(org, 'es');
  await p.send({ text: 'vivo en el 28010' });
  assert.notEqual(p.state, 'branch');
  const q = await open(org, 'es');
  await q.send({ action: `branch:${b2.id}` });
  assert.notEqual(q.state, 'branch');
  assert.ok(payload(q, 'day:'));
  // a branch's own widget is as before: no question
  const own = await open(b1, 'es');
  assert.doesNotMatch(own.last.map((m) => m.text).join(' '), /En qué centro/);
});

test('the usage export names each tenant\'s organisation, and rolls up per organisation for billing', async () => {
  for (const [t, n] of [[b1, 2], [b2, 3], [stranger, 1]]) {
    for (let i = 0; i < n; i++) assert.equal((await t.widget('GET', '/v1/widget/services')).status, 200);
  }
  assert.equal((await srv.post('/v1/test/usage/flush', {})).status, 200);
  const data = ['--data', srv.dataDir];
  const per = await cli(['usage', 'export', '--format', 'json', ...data]);
  assert.equal(per.code, 0, per.stderr);
  const lines = per.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const byId = Object.fromEntries(lines.map((l) => [l.tenant_id, l]));
  assert.equal(byId[b1.id].organisation_id, org.id);
  assert.equal(byId[org.id].organisation_id, org.id);
  assert.equal(byId[stranger.id].organisation_id, stranger.id);
  assert.equal(byId[strangerBranch.id].organisation_id, stranger.id);
  const rolled = await cli(['usage', 'export', '--format', 'json', '--by', 'organisation', ...data]);
  assert.equal(rolled.code, 0, rolled.stderr);
  const orgs = Object.fromEntries(rolled.stdout.trim().split('\n').map((l) => JSON.parse(l)).map((o) => [o.organisation_id, o]));
  assert.equal(orgs[org.id].tenants, 3);
  assert.equal(orgs[org.id].name, 'Clínicas Sol');
  assert.equal(orgs[stranger.id].tenants, 2);
  assert.ok(!orgs[b1.id] && !orgs[strangerBranch.id], 'branches are rolled into their organisation');
  const sum = (ids, k) => ids.reduce((s, id) => s + (byId[id].totals[k] || 0), 0);
  for (const k of ['requests', 'bookings', 'messages', 'conversations'])
    assert.equal(orgs[org.id].totals[k] || 0, sum([org.id, b1.id, b2.id], k), k);
  const csv = await cli(['usage', 'export', '--by', 'organisation', ...data]);
  const rows = csv.stdout.trim().split('\n');
  assert.match(rows[0], /^organisation_id,name,plan,month,tenants,messages,bookings,/);
  assert.ok(rows.some((r) => r.startsWith(`${org.id},Clínicas Sol,`)));
  assert.equal((await cli(['usage', 'export', '--by', 'branch', ...data])).code, 2);
});

test('an organisation pools its limits: its branches share its monthly messages; only an organisation may', async () => {
  const o = await makeTenant(srv, { name: 'Pool Org' });
  const p1 = await makeTenant(srv, { name: 'Pool Uno', parent_id: o.id });
  const p2 = await makeTenant(srv, { name: 'Pool Dos', parent_id: o.id });
  for (const t of [p1, p2]) await staffed(t, 'Corte', 'Calle Mayor 1, 28013 Madrid');
  const refused = await srv.platform('PATCH', `/v1/platform/tenants/${p1.id}`, { pooled_limits: true });
  assert.equal(refused.status, 400, refused.text);
  assert.match(refused.json.error.message, /organisation/);
  const set = await srv.platform('PATCH', `/v1/platform/tenants/${o.id}`, { pooled_limits: true, limits: { messages_month: 5 } });
  assert.equal(set.status, 200, set.text);
  assert.equal(set.json.tenant.pooled_limits, true);
  assert.equal(set.json.tenant.has_branches, true);
  // five messages between the two branches, then both are refused
  const c1 = await open(p1, 'es');
  const c2 = await open(p2, 'es');
  const say = (t, c, text) => t.widget('POST', `/v1/widget/conversations/${c.id}/messages`, { body: { text }, headers: { 'x-conversation-token': c.token } });
  for (const [t, c] of [[p1, c1], [p2, c2], [p1, c1], [p2, c2], [p1, c1]]) assert.equal((await say(t, c, 'hola')).status, 200);
  for (const [t, c] of [[p1, c1], [p2, c2]]) {
    const r = await say(t, c, 'hola');
    assert.equal(r.status, 429, r.text);
    assert.equal(errorCode(r), 'plan_limit_exceeded');
  }
  // each branch still has its own figures
  assert.equal((await srv.post('/v1/test/usage/flush', {})).status, 200);
  const u = (await o.admin('GET', '/v1/admin/org/usage')).json;
  const row = (id) => u.branches.find((b) => b.id === id).totals.messages || 0;
  assert.equal(row(p1.id), 3);
  assert.equal(row(p2.id), 2);
  // limits back to each branch's own: the branches' plans allow more
  const off = await srv.platform('PATCH', `/v1/platform/tenants/${o.id}`, { pooled_limits: false });
  assert.equal(off.status, 200);
  assert.equal((await say(p1, c1, 'hola')).status, 200);
});
