// Resources (rooms, equipment) and group sessions (PRODUCT.md section 17): the CRUD and its bad input,
// availability that counts units (buffers included) and seats, races of three processes for the last unit and
// the last seat, and a SIGKILL at each step of the claim protocol (docs/booking.md, "Resources and group
// sessions"): nothing double-booked, a crashed claim's resource free again once the claim has expired.
// Runs on LMDB and, in `make api-dynamo`, on one dynalite table shared by the processes.
// The server's clock starts at Monday 2026-11-30 08:00 UTC; the tenant is in Europe/Madrid (UTC+1).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, errorCode, makeTenant, makeUser, Server } from './harness.mjs';

const NOW = Date.UTC(2026, 10, 30, 8, 0, 0) / 1000;
const env = { BOOKCHAT_TEST_NOW: String(NOW) };
let srv, T, room, massage, facial, yoga, pros;
const customer = (i) => ({ name: `C${i}`, email: `c${i}@example.com` });

const mustOk = (r, what) => {
  assert.ok(r.status >= 200 && r.status < 300, `${what}: ${r.status} ${r.text}`);
  return r.json;
};
const book = (t, body, s = srv) =>
  s.req('POST', '/v1/widget/bookings', { body, headers: { 'x-api-key': t.key, origin: t.origin } });
const slots = async (q, s = srv) =>
  (await s.req('GET', `/v1/widget/availability?${new URLSearchParams(q)}`, { headers: { 'x-api-key': T.key, origin: T.origin } })).json.slots;
const startsOf = async (q, s) => (await slots(q, s)).map((x) => x.start);

before(async () => {
  srv = await startServer({ env, keepData: true });
  T = await makeTenant(srv, { name: 'Spa', plan: 'BUSINESS', timezone: 'Europe/Madrid' });
  await srv.platform('PATCH', `/v1/platform/tenants/${T.id}`, { limits: { rate_per_s: 100000, burst: 100000 } });
  room = mustOk(await T.admin('POST', '/v1/admin/resources', { name: 'Cabina', quantity: 1 }), 'room').resource;
  massage = mustOk(await T.admin('POST', '/v1/admin/services', { name: 'Masaje', duration_min: 60, buffer_after_min: 15, resource_ids: [room.id] }), 'massage').service;
  facial = mustOk(await T.admin('POST', '/v1/admin/services', { name: 'Facial', duration_min: 30, resource_ids: [room.id] }), 'facial').service;
  yoga = mustOk(await T.admin('POST', '/v1/admin/services', { name: 'Yoga', duration_min: 60, capacity: 3 }), 'yoga').service;
  pros = [];
  for (const name of ['Ana', 'Luis', 'Eva']) {
    const p = mustOk(await T.admin('POST', '/v1/admin/providers', { name, service_ids: [massage.id, facial.id, yoga.id] }), name).provider.id;
    const weekly = [1, 2, 3, 4, 5].map((weekday) => ({ weekday, start: '09:00', end: '13:00' }));
    mustOk(await T.admin('PUT', `/v1/admin/providers/${p}/availability`, { weekly }), 'hours');
    pros.push(p);
  }
});
after(async () => { await srv.stop(); });

test('resources: create, list, get, change, delete; services carry resource_ids and capacity', async () => {
  assert.deepEqual(Object.keys(room).sort(), ['created_at', 'id', 'name', 'quantity', 'updated_at']);
  assert.equal(room.quantity, 1);
  assert.deepEqual(massage.resource_ids, [room.id]);
  assert.equal(massage.capacity, 1);
  assert.equal(yoga.capacity, 3);
  const laser = mustOk(await T.admin('POST', '/v1/admin/resources', { name: 'Láser', quantity: 2 }), 'laser').resource;
  const list = mustOk(await T.admin('GET', '/v1/admin/resources'), 'list');
  assert.deepEqual(list.items.map((r) => r.name).sort(), ['Cabina', 'Láser']);
  assert.equal(mustOk(await T.admin('GET', `/v1/admin/resources/${laser.id}`), 'get').resource.quantity, 2);
  const p = mustOk(await T.admin('PATCH', `/v1/admin/resources/${laser.id}`, { name: 'Láser CO2', quantity: 3 }), 'patch');
  assert.equal(p.resource.name, 'Láser CO2');
  assert.equal(p.resource.quantity, 3);
  assert.equal((await T.admin('DELETE', `/v1/admin/resources/${laser.id}`)).status, 204);
  assert.equal((await T.admin('GET', `/v1/admin/resources/${laser.id}`)).status, 404);
  const audit = JSON.stringify((await T.admin('GET', '/v1/admin/audit')).json);
  for (const a of ['admin.resources.create', 'admin.resources.patch', 'admin.resources.delete']) assert.ok(audit.includes(a), a);
  // a viewer reads, never writes
  const viewer = await makeUser(srv, T, 'viewer');
  assert.equal((await viewer.admin('GET', '/v1/admin/resources')).status, 200);
  assert.equal((await viewer.admin('POST', '/v1/admin/resources', { name: 'X', quantity: 1 })).status, 403);
});

test('bad input: clear 4xx, nothing stored', async () => {
  const before = (await T.admin('GET', '/v1/admin/resources')).json.items.length;
  for (const body of [{ name: 'X', quantity: -1 }, { name: 'X', quantity: 1001 }, { name: 'X', quantity: '2' }, { name: 'X' },
    { quantity: 1 }, { name: '', quantity: 1 }, { name: 'a\r\nb', quantity: 1 }, { name: 'X', quantity: 1.5 }]) {
    const r = await T.admin('POST', '/v1/admin/resources', body);
    assert.equal(r.status, 400, JSON.stringify(body) + ' ' + r.text);
    assert.equal(errorCode(r), 'invalid_request');
  }
  assert.equal((await T.admin('GET', '/v1/admin/resources')).json.items.length, before);
  // another tenant's resource does not exist here
  const B = await makeTenant(srv, { name: 'Other', plan: 'PRO' });
  const foreign = mustOk(await B.admin('POST', '/v1/admin/resources', { name: 'Sala B', quantity: 1 }), 'foreign').resource;
  assert.equal((await T.admin('GET', `/v1/admin/resources/${foreign.id}`)).status, 404);
  assert.equal((await T.admin('PATCH', `/v1/admin/resources/${foreign.id}`, { quantity: 5 })).status, 404);
  assert.equal((await T.admin('DELETE', `/v1/admin/resources/${foreign.id}`)).status, 404);
  const empty = mustOk(await T.admin('POST', '/v1/admin/resources', { name: 'Vacía', quantity: 0 }), 'empty').resource;
  const services = (await T.admin('GET', '/v1/admin/services')).json.items.length;
  for (const body of [
    { name: 'S', duration_min: 30, resource_ids: [foreign.id] },
    { name: 'S', duration_min: 30, resource_ids: ['01NOTAREALID0000000000000'] },
    { name: 'S', duration_min: 30, resource_ids: [room.id, room.id] },
    { name: 'S', duration_min: 30, resource_ids: [empty.id] }, // needs a unit that does not exist
    { name: 'S', duration_min: 30, resource_ids: room.id },
    { name: 'S', duration_min: 30, resource_ids: [7] },
    { name: 'S', duration_min: 30, capacity: 0 },
    { name: 'S', duration_min: 30, capacity: -3 },
    { name: 'S', duration_min: 30, capacity: 501 },
    { name: 'S', duration_min: 30, capacity: 'many' },
  ]) {
    const r = await T.admin('POST', '/v1/admin/services', body);
    assert.equal(r.status, 400, JSON.stringify(body) + ' ' + r.text);
  }
  assert.equal((await T.admin('PATCH', `/v1/admin/services/${facial.id}`, { resource_ids: [foreign.id] })).status, 400);
  assert.equal((await T.admin('GET', '/v1/admin/services')).json.items.length, services);
  assert.deepEqual((await T.admin('GET', `/v1/admin/services/${facial.id}`)).json.service.resource_ids, [room.id]);
  // a resource a service requires keeps at least one unit and cannot be deleted
  const z = await T.admin('PATCH', `/v1/admin/resources/${room.id}`, { quantity: 0 });
  assert.equal(z.status, 409, z.text);
  assert.equal(errorCode(z), 'conflict');
  assert.equal((await T.admin('DELETE', `/v1/admin/resources/${room.id}`)).status, 409);
  assert.equal((await T.admin('GET', `/v1/admin/resources/${room.id}`)).json.resource.quantity, 1);
});

test('availability counts the units of a room, buffers included; the booking takes one, cancelling frees it', async () => {
  const [ana, luis, eva] = pros;
  const q = (service_id, provider_id) => ({ service_id, provider_id, from: '2026-12-01', to: '2026-12-01' });
  assert.ok((await startsOf(q(facial.id, luis))).includes('2026-12-01T10:30:00+01:00'));
  const a = await book(T, { service_id: massage.id, provider_id: ana, start: '2026-12-01T10:00:00+01:00', customer: customer(1) });
  assert.equal(a.status, 201, a.text);
  // the room is busy 10:00-11:15 (the massage and its 15-minute buffer): Luis is free, the room is not
  const fl = await startsOf(q(facial.id, luis));
  for (const t of ['10:00', '10:30', '10:45', '11:00']) assert.ok(!fl.includes(`2026-12-01T${t}:00+01:00`), t);
  assert.ok(fl.includes('2026-12-01T11:15:00+01:00'));
  assert.ok(fl.includes('2026-12-01T09:30:00+01:00'));
  const l = await book(T, { service_id: facial.id, provider_id: luis, start: '2026-12-01T10:30:00+01:00', customer: customer(2) });
  assert.equal(l.status, 409, l.text);
  assert.equal(errorCode(l), 'slot_unavailable');
  // two units: a second booking at the same time fits, a third does not (over quantity)
  mustOk(await T.admin('PATCH', `/v1/admin/resources/${room.id}`, { quantity: 2 }), 'quantity 2');
  const l2 = await book(T, { service_id: facial.id, provider_id: luis, start: '2026-12-01T10:30:00+01:00', customer: customer(2) });
  assert.equal(l2.status, 201, l2.text);
  assert.ok(!(await startsOf(q(facial.id, eva))).includes('2026-12-01T10:30:00+01:00'));
  const e = await book(T, { service_id: facial.id, provider_id: eva, start: '2026-12-01T10:30:00+01:00', customer: customer(3) });
  assert.equal(e.status, 409);
  // cancelling frees the unit
  mustOk(await T.admin('PATCH', `/v1/admin/bookings/${a.json.booking.id}`, { status: 'cancelled' }), 'cancel');
  assert.ok((await startsOf(q(facial.id, eva))).includes('2026-12-01T10:30:00+01:00'));
  const e2 = await book(T, { service_id: facial.id, provider_id: eva, start: '2026-12-01T10:30:00+01:00', customer: customer(3) });
  assert.equal(e2.status, 201, e2.text);
  // a booking that uses a room is not moved (it would need claims of its own)
  const mv = await T.admin('PATCH', `/v1/admin/bookings/${e2.json.booking.id}`, { start: '2026-12-01T11:30:00+01:00' });
  assert.equal(mv.status, 409, mv.text);
  mustOk(await T.admin('PATCH', `/v1/admin/resources/${room.id}`, { quantity: 1 }), 'quantity 1');
});

test('group sessions: seats_left, full at capacity, a cancellation frees a seat', async () => {
  const [ana] = pros;
  const q = { service_id: yoga.id, provider_id: ana, from: '2026-12-02', to: '2026-12-02' };
  const at = '2026-12-02T10:00:00+01:00';
  const seat = async () => (await slots(q)).find((s) => s.start === at);
  assert.equal((await seat()).seats_left, 3);
  const b1 = await book(T, { service_id: yoga.id, provider_id: ana, start: at, customer: customer(11) });
  assert.equal(b1.status, 201, b1.text);
  assert.equal((await seat()).seats_left, 2);
  // the session keeps the professional: another time overlapping it is not offered
  assert.ok(!(await slots(q)).some((s) => s.start === '2026-12-02T10:30:00+01:00'));
  assert.equal((await book(T, { service_id: yoga.id, provider_id: ana, start: at, customer: customer(12) })).status, 201);
  assert.equal((await book(T, { service_id: yoga.id, provider_id: ana, start: at, customer: customer(13) })).status, 201);
  assert.equal(await seat(), undefined, 'full');
  const full = await book(T, { service_id: yoga.id, provider_id: ana, start: at, customer: customer(14) });
  assert.equal(full.status, 409);
  mustOk(await T.admin('PATCH', `/v1/admin/bookings/${b1.json.booking.id}`, { status: 'cancelled' }), 'cancel');
  assert.equal((await seat()).seats_left, 1);
  const b5 = await book(T, { service_id: yoga.id, provider_id: ana, start: at, customer: customer(15) });
  assert.equal(b5.status, 201);
  // a seat moves to another session of the class, and stays a seat there
  const at2 = '2026-12-02T12:00:00+01:00';
  assert.equal((await book(T, { service_id: yoga.id, provider_id: ana, start: at2, customer: customer(16) })).status, 201);
  const mv = await T.admin('PATCH', `/v1/admin/bookings/${b5.json.booking.id}`, { start: at2 });
  assert.equal(mv.status, 200, mv.text);
  const s2 = (await slots(q)).find((s) => s.start === at2);
  assert.equal(s2.seats_left, 1);
  assert.equal((await seat()).seats_left, 1);
});

async function threeProcesses(fn) {
  const others = [];
  for (let i = 0; i < 2; i++) others.push(await new Server({ dataDir: srv.dataDir, env }).start());
  try {
    return await fn([srv, ...others]);
  } finally {
    for (const o of others) await o.stop();
  }
}

test('three processes race for the last unit of a room and for the last seats', async () => {
  await threeProcesses(async (all) => {
    // 30 bookings of three professionals at one time, one room: exactly one wins
    const at = '2026-12-03T09:00:00+01:00';
    const res = await Promise.all(Array.from({ length: 30 }, (_, i) =>
      book(T, { service_id: facial.id, provider_id: pros[i % 3], start: at, customer: customer(100 + i) }, all[Math.floor(i / 3) % 3])));
    assert.equal(res.filter((r) => r.status === 201).length, 1, res.map((r) => r.status).join());
    assert.ok(res.every((r) => r.status === 201 || r.status === 409), res.map((r) => r.status).join());
    for (const s of all) assert.ok(!(await startsOf({ service_id: facial.id, provider_id: 'any', from: '2026-12-03', to: '2026-12-03' }, s)).includes(at));
    // 30 customers for the 3 seats of a class: exactly three win
    const yat = '2026-12-03T11:00:00+01:00';
    const ys = await Promise.all(Array.from({ length: 30 }, (_, i) =>
      book(T, { service_id: yoga.id, provider_id: pros[1], start: yat, customer: customer(200 + i) }, all[i % 3])));
    assert.equal(ys.filter((r) => r.status === 201).length, 3, ys.map((r) => r.status).join());
    const list = await T.admin('GET', `/v1/admin/bookings?from=2026-12-03&to=2026-12-03&provider_id=${pros[1]}`);
    assert.equal(list.json.items.filter((b) => b.start === yat && b.status === 'confirmed').length, 3);
  });
});

// A SIGKILL at each step of the claim protocol, then a restart on the same store: the booking is either
// whole (confirmed, the room taken for good) or gone (the room free for others once the claim has expired).
// [point, what the dead booking (Ana's) left claimed, booking decided]; the second booking is Luis's when the
// room is what is claimed, Ana's own when only her time is
const KILL_POINTS = [
  ['booking.before_commit', 'nothing', false], // the pending item only
  ['claim.after_provider', 'her time', false],
  ['claim.after_resource', 'the room', false],
  ['claim.before_decide', 'the room', false],
  ['claim.after_decide', 'the room', true],
  ['claim.mid_complete', 'the room', true],
];

test('SIGKILL at each step of the claim protocol: never double-booked, free again after the claim expires', { timeout: 120000 }, async () => {
  // the tenant's staff token, sent to whichever process runs now (the secret is the store's)
  const adm = (method, path, body) => srv.req(method, path, { body, headers: { authorization: `Bearer ${T.token}` } });
  const days = ['07', '08', '09', '10', '11', '14']; // weekdays
  let shift = 0;
  for (const [point, held, decided] of KILL_POINTS) {
    const claimed = held !== 'nothing';
    const second = held === 'her time' ? pros[0] : pros[1];
    const date = `2026-12-${days.shift()}`;
    const at = `${date}T09:00:00+01:00`;
    mustOk(await srv.post('/v1/test/fault', { point, kill: true }), point);
    const dead = await book(T, { service_id: facial.id, provider_id: pros[0], start: at, customer: customer(300) }).catch((e) => e);
    assert.ok(dead instanceof Error, `${point}: the process should have died, got ${dead.status}`);
    const gone = await srv.exited;
    assert.equal(gone.signal, 'SIGKILL', point);
    srv.proc = null;
    // the new process's clock starts where the dead one's was (each round advances it past the expiry)
    srv = await new Server({ dataDir: srv.dataDir, env: { BOOKCHAT_TEST_NOW: String(NOW + shift) }, keepData: true }).start();
    // at once: a claim not yet expired still holds the room (or the booking is whole)
    const early = await book(T, { service_id: facial.id, provider_id: second, start: at, customer: customer(301) });
    assert.equal(early.status, claimed ? 409 : 201, `${point}: ${early.text}`);
    await srv.post('/v1/test/clock', { advance_s: 40 }); // past the claims' expiry (30 s)
    shift += 40;
    const free = (await startsOf({ service_id: facial.id, provider_id: second, from: date, to: date })).includes(at);
    assert.equal(free, claimed && !decided, `${point}: the room is ${free ? 'free' : 'taken'}`);
    const late = await book(T, { service_id: facial.id, provider_id: second, start: at, customer: customer(302) });
    assert.equal(late.status, claimed && !decided ? 201 : 409, `${point}: ${late.text}`);
    const list = (await adm('GET', `/v1/admin/bookings?from=${date}&to=${date}`)).json.items.filter((b) => b.status === 'confirmed');
    assert.equal(list.length, 1, `${point}: exactly one booking holds the room: ${JSON.stringify(list.map((b) => b.provider_id))}`);
    assert.equal(list[0].provider_id, decided ? pros[0] : second, point);
  }
});

test('the chat says how many places are left in a group session (Spanish and English)', async () => {
  const talk = async (locale, text) => {
    // sent to the process that runs now (the SIGKILL test above restarted it)
    const w = (path, body, headers = {}) => srv.req('POST', path, { body, headers: { 'x-api-key': T.key, origin: T.origin, ...headers } });
    const r = await w('/v1/widget/conversations', { locale });
    assert.equal(r.status, 201, r.text);
    const { id, token } = r.json.conversation;
    const m = await w(`/v1/widget/conversations/${id}/messages`, { text }, { 'x-conversation-token': token });
    assert.equal(m.status, 200, m.text);
    return m.json;
  };
  const labels = (j) => j.messages.flatMap((m) => m.quick_replies || []).map((q) => q.label);
  let es = await talk('es', 'quiero yoga con Ana el viernes 4 de diciembre');
  assert.equal(es.state, 'time', JSON.stringify(es));
  assert.ok(labels(es).includes('9:00 · 3 plazas') || labels(es).includes('09:00 · 3 plazas'), labels(es).join());
  assert.match(es.messages.map((m) => m.text).join('\n'), /sesión en grupo/);
  assert.equal((await book(T, { service_id: yoga.id, provider_id: pros[0], start: '2026-12-04T09:00:00+01:00', customer: customer(400) })).status, 201);
  assert.equal((await book(T, { service_id: yoga.id, provider_id: pros[0], start: '2026-12-04T09:00:00+01:00', customer: customer(401) })).status, 201);
  es = await talk('es', 'quiero yoga con Ana el viernes 4 de diciembre');
  assert.ok(labels(es).some((l) => /^0?9:00 · última plaza$/.test(l)), labels(es).join());
  const en = await talk('en', 'I want yoga with Ana on Friday December 4');
  assert.equal(en.state, 'time', JSON.stringify(en));
  assert.ok(labels(en).some((l) => /^9:00 (AM|am) · last place$|^09:00 · last place$/.test(l)), labels(en).join());
  assert.ok(labels(en).some((l) => / · 3 places left$/.test(l)), labels(en).join());
  assert.match(en.messages.map((m) => m.text).join('\n'), /group session/);
});
