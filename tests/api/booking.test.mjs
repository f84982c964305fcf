// Bookings end to end: availability, booking, races (one winner of 50, across two processes too),
// idempotency, holds, cancel, reschedule, the crash-repair path, monthly limits, bad input, calendar files.
// The server's clock starts at Monday 2026-11-30 08:00 UTC; the tenant is in Europe/Madrid (UTC+1).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, errorCode, makeTenant, dumpTenant, Server } from './harness.mjs';

const NOW = Date.UTC(2026, 10, 30, 8, 0, 0) / 1000;
let srv, T, svc30, svc60, ana, luis;
const env = { BOOKCHAT_TEST_NOW: String(NOW) };

async function setup(t) {
  const s30 = await t.admin('POST', '/v1/admin/services', { name: 'Corte', duration_min: 30 });
  const s60 = await t.admin('POST', '/v1/admin/services', { name: 'Tinte', duration_min: 60, buffer_after_min: 15 });
  const a = await t.admin('POST', '/v1/admin/providers', { name: 'Ana', service_ids: [s30.json.service.id, s60.json.service.id] });
  const l = await t.admin('POST', '/v1/admin/providers', { name: 'Luis', service_ids: [s30.json.service.id] });
  const weekly = [];
  for (let d = 1; d <= 5; d++) weekly.push({ weekday: d, start: '09:00', end: '13:00' }, { weekday: d, start: '15:00', end: '19:00' });
  for (const p of [a, l]) {
    const h = await t.admin('PUT', `/v1/admin/providers/${p.json.provider.id}/availability`, { weekly });
    assert.equal(h.status, 200, h.text);
  }
  return { svc30: s30.json.service.id, svc60: s60.json.service.id, ana: a.json.provider.id, luis: l.json.provider.id };
}

const book = (t, body, headers = {}) => t.widget('POST', '/v1/widget/bookings', { body, headers });
const customer = { name: 'Marta Ruiz', email: 'marta@example.com', phone: '+34 600 111 222' };
const slots = async (t, q) => (await t.widget('GET', `/v1/widget/availability?${new URLSearchParams(q)}`)).json.slots;

before(async () => {
  srv = await startServer({ env, keepData: true });
  T = await makeTenant(srv, { name: 'Peluquería', plan: 'BUSINESS', timezone: 'Europe/Madrid' });
  // this suite fires hundreds of requests in bursts; rate limits are tested in ratelimit.test.mjs
  await srv.platform('PATCH', `/v1/platform/tenants/${T.id}`, { limits: { rate_per_s: 100000, burst: 100000 } });
  ({ svc30, svc60, ana, luis } = await setup(T));
});
after(async () => { await srv.stop(); });

test('availability follows the weekly hours in the tenant\'s zone with correct offsets', async () => {
  const r = await T.widget('GET', `/v1/widget/availability?service_id=${svc30}&provider_id=${ana}&from=2026-12-01&to=2026-12-01`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.timezone, 'Europe/Madrid');
  const starts = r.json.slots.map((s) => s.start);
  assert.equal(starts.length, 30);
  assert.equal(starts[0], '2026-12-01T09:00:00+01:00');
  assert.equal(r.json.slots[0].end, '2026-12-01T09:30:00+01:00');
  assert.ok(starts.includes('2026-12-01T12:30:00+01:00'));
  assert.ok(!starts.includes('2026-12-01T12:45:00+01:00'), 'a 30-minute service must end by 13:00');
  assert.ok(starts.includes('2026-12-01T15:00:00+01:00'));
  // in another zone
  const ny = await slots(T, { service_id: svc30, provider_id: ana, from: '2026-12-01', to: '2026-12-01', tz: 'America/New_York' });
  assert.equal(ny[0].start, '2026-12-01T03:00:00-05:00');
  // weekend: nothing; "any" merges both professionals, one offer per time
  assert.equal((await slots(T, { service_id: svc30, provider_id: ana, from: '2026-12-05', to: '2026-12-06' })).length, 0);
  const any = await slots(T, { service_id: svc30, provider_id: 'any', from: '2026-12-01', to: '2026-12-01' });
  assert.equal(any.length, 30);
  // minimum notice (60 min): the first slot today is the first quarter hour at least an hour after the
  // server's now. The test clock starts at 08:00Z (09:00 local) and runs, so read it around the query: the
  // first slot is 10:00 local if no second has passed since the start, 10:15 after that.
  const clock = async () => (await srv.post('/v1/test/clock', { advance_s: 0 })).json.now;
  const quarter = (s) => Math.ceil(s / 900) * 900;
  const before = await clock();
  const today = await slots(T, { service_id: svc30, provider_id: ana, from: '2026-11-30', to: '2026-11-30' });
  const after = await clock();
  const first = Date.parse(today[0].start) / 1000;
  assert.ok(first >= quarter(before + 3600) && first <= quarter(after + 3600), `first slot ${today[0].start}`);
  assert.ok(first >= NOW + 3600 && first <= NOW + 3600 + 900, 'within the notice window of the suite\'s start');
  assert.match(today[0].start, /^2026-11-30T10:(00|15):00\+01:00$/);
});

test('a booking is confirmed with a code and a manage token, and takes its slot', async () => {
  const r = await book(T, { service_id: svc30, provider_id: ana, start: '2026-12-01T10:00:00+01:00', customer, notes: 'Primera vez' });
  assert.equal(r.status, 201, r.text);
  const b = r.json.booking;
  assert.equal(b.status, 'confirmed');
  assert.match(b.code, /^[A-Z2-9]{6}$/);
  assert.ok(b.manage_token.length > 20);
  assert.equal(b.start, '2026-12-01T10:00:00+01:00');
  assert.equal(b.end, '2026-12-01T10:30:00+01:00');
  assert.equal(b.provider_id, ana);
  const after = (await slots(T, { service_id: svc30, provider_id: ana, from: '2026-12-01', to: '2026-12-01' })).map((s) => s.start);
  for (const taken of ['09:45', '10:00', '10:15']) assert.ok(!after.includes(`2026-12-01T${taken}:00+01:00`), taken);
  assert.ok(after.includes('2026-12-01T09:30:00+01:00') && after.includes('2026-12-01T10:30:00+01:00'));
  // the calendar file, with the customer's token as the only credential
  const ics = await srv.get(`/v1/manage/booking.ics?token=${encodeURIComponent(b.manage_token)}`);
  assert.equal(ics.status, 200);
  assert.match(ics.headers.get('content-type'), /text\/calendar/);
  assert.match(ics.text, /DTSTART:20261201T090000Z\r\n/);
  assert.match(ics.text, /SUMMARY:Corte — Peluquería/);
  const forged = b.manage_token.slice(0, -2) + (b.manage_token.endsWith('AA') ? 'BB' : 'AA');
  assert.equal((await srv.get(`/v1/manage/booking.ics?token=${encodeURIComponent(forged)}`)).status, 404);
  // staff see it
  const list = await T.admin('GET', '/v1/admin/bookings?from=2026-12-01&to=2026-12-01');
  assert.ok(list.json.items.some((x) => x.id === b.id && x.customer.email === 'marta@example.com'));
  assert.equal(list.json.items[0].manage_token, undefined);
});

test('50 concurrent requests for one slot: exactly one wins, 49 get 409 slot_unavailable', async () => {
  const start = '2026-12-02T11:00:00+01:00';
  const res = await Promise.all(Array.from({ length: 50 }, (_, i) =>
    book(T, { service_id: svc30, provider_id: ana, start, customer: { name: `C${i}`, email: `c${i}@example.com` } })));
  const won = res.filter((r) => r.status === 201);
  assert.equal(won.length, 1, res.map((r) => r.status).join());
  for (const r of res.filter((x) => x.status !== 201)) {
    assert.equal(r.status, 409);
    assert.equal(errorCode(r), 'slot_unavailable');
  }
  const after = (await slots(T, { service_id: svc30, provider_id: ana, from: '2026-12-02', to: '2026-12-02' })).map((s) => s.start);
  assert.ok(!after.includes(start));
  const list = await T.admin('GET', `/v1/admin/bookings?from=2026-12-02&to=2026-12-02&provider_id=${ana}`);
  assert.equal(list.json.items.filter((x) => x.status === 'confirmed').length, 1);
});

test('overlapping slots of different lengths race: exactly one wins', async () => {
  // pairwise overlapping: 60 min (+15 buffer) at 11:00 (busy to 12:15), 30 min at 11:30, 30 min at 11:45
  const reqs = [];
  for (let i = 0; i < 50; i++) {
    const [service_id, start] = i % 3 === 0 ? [svc60, '2026-12-03T11:00:00+01:00'] : i % 3 === 1 ? [svc30, '2026-12-03T11:30:00+01:00'] : [svc30, '2026-12-03T11:45:00+01:00'];
    reqs.push(book(T, { service_id, provider_id: ana, start, customer: { name: `O${i}`, phone: `+34 611 000 ${String(i).padStart(3, '0')}` } }));
  }
  const res = await Promise.all(reqs);
  assert.equal(res.filter((r) => r.status === 201).length, 1, res.map((r) => r.status).join());
  assert.ok(res.every((r) => r.status === 201 || r.status === 409));
});

test('the same race with three bookchat processes on one store (LMDB directory or DynamoDB table)', async () => {
  // the other processes share this one's store: the same LMDB directory, or the same table when the suite
  // runs on DynamoDB (BOOKCHAT_STORE, see `make api-dynamo`)
  const others = [];
  for (let i = 0; i < 2; i++) others.push(await new Server({ dataDir: srv.dataDir, env }).start());
  try {
    const start = '2026-12-04T16:00:00+01:00';
    const all = [srv, ...others];
    const res = await Promise.all(Array.from({ length: 50 }, (_, i) =>
      all[i % 3].req('POST', '/v1/widget/bookings', {
        body: { service_id: svc30, provider_id: luis, start, customer: { name: `P${i}`, email: `p${i}@example.com` } },
        headers: { 'x-api-key': T.key, origin: T.origin },
      })));
    assert.equal(res.filter((r) => r.status === 201).length, 1, res.map((r) => r.status).join());
    assert.equal(res.filter((r) => r.status === 409).length, 49);
    // every process sees the one booking
    for (const s of all) {
      const r = await s.req('GET', `/v1/widget/availability?service_id=${svc30}&provider_id=${luis}&from=2026-12-04&to=2026-12-04`, { headers: { 'x-api-key': T.key, origin: T.origin } });
      assert.ok(!r.json.slots.some((x) => x.start === start));
    }
  } finally {
    for (const o of others) await o.stop();
  }
});

test('"any" assigns professionals round-robin among the free ones', async () => {
  const start = '2026-12-07T09:00:00+01:00';
  const a = await book(T, { service_id: svc30, provider_id: 'any', start, customer });
  const b = await book(T, { service_id: svc30, provider_id: 'any', start, customer });
  assert.equal(a.status, 201);
  assert.equal(b.status, 201);
  assert.notEqual(a.json.booking.provider_id, b.json.booking.provider_id);
  const c = await book(T, { service_id: svc30, provider_id: 'any', start, customer });
  assert.equal(c.status, 409);
  assert.equal(errorCode(c), 'slot_unavailable');
});

test('Idempotency-Key: a retry returns the same booking; another body with the key is 409 conflict', async () => {
  const body = { service_id: svc30, provider_id: luis, start: '2026-12-01T09:00:00+01:00', customer };
  const key = 'idem-' + Math.random();
  const a = await book(T, body, { 'idempotency-key': key });
  const b = await book(T, body, { 'idempotency-key': key });
  assert.equal(a.status, 201, a.text);
  assert.equal(b.status, 201, b.text);
  assert.equal(b.json.booking.id, a.json.booking.id);
  assert.equal(b.json.booking.manage_token, a.json.booking.manage_token);
  const c = await book(T, { ...body, start: '2026-12-01T09:30:00+01:00' }, { 'idempotency-key': key });
  assert.equal(c.status, 409);
  assert.equal(errorCode(c), 'conflict');
  const list = await T.admin('GET', `/v1/admin/bookings?from=2026-12-01&to=2026-12-01&provider_id=${luis}`);
  assert.equal(list.json.items.filter((x) => x.start === '2026-12-01T09:00:00+01:00').length, 1);
});

test('Idempotency-Key: concurrent identical requests make one booking; a failed request gives its key back', async () => {
  // the key is claimed in the booking's own store batch: of requests racing with one key, one books and
  // the others get its booking (or 409 while it is in flight), never a second booking
  const body = { service_id: svc30, provider_id: luis, start: '2026-12-02T09:00:00+01:00', customer };
  const key = 'idem-race-' + Math.random();
  const rs = await Promise.all(Array.from({ length: 6 }, () => book(T, body, { 'idempotency-key': key })));
  const ok = rs.filter((r) => r.status === 201);
  assert.ok(ok.length >= 1, rs.map((r) => r.status).join());
  for (const r of rs) assert.ok(r.status === 201 || r.status === 409, `${r.status} ${r.text}`);
  assert.equal(new Set(ok.map((r) => r.json.booking.id)).size, 1);
  const list = await T.admin('GET', `/v1/admin/bookings?from=2026-12-02&to=2026-12-02&provider_id=${luis}`);
  assert.equal(list.json.items.filter((x) => x.start === body.start).length, 1);
  // a request that fails (the slot is taken) leaves no claim: the key works for another request then
  const key2 = 'idem-fail-' + Math.random();
  const taken = await book(T, body, { 'idempotency-key': key2 });
  assert.equal(taken.status, 409);
  assert.equal(errorCode(taken), 'slot_unavailable');
  const other = await book(T, { ...body, start: '2026-12-02T10:00:00+01:00' }, { 'idempotency-key': key2 });
  assert.equal(other.status, 201, other.text);
});

test('a held slot is not offered, cannot be booked without its hold, and frees itself when it expires', async () => {
  const start = '2026-12-08T10:00:00+01:00';
  const h = await T.widget('POST', '/v1/widget/holds', { body: { service_id: svc30, provider_id: ana, start } });
  assert.equal(h.status, 201, h.text);
  const hold = h.json.hold;
  assert.ok(hold.id && hold.expires_at);
  const offered = (await slots(T, { service_id: svc30, provider_id: ana, from: '2026-12-08', to: '2026-12-08' })).map((s) => s.start);
  assert.ok(!offered.includes(start));
  const other = await book(T, { service_id: svc30, provider_id: ana, start, customer });
  assert.equal(other.status, 409);
  const again = await T.widget('POST', '/v1/widget/holds', { body: { service_id: svc30, provider_id: ana, start } });
  assert.equal(again.status, 409);
  // another hold expires by itself (hold_minutes = 5)
  const start2 = '2026-12-08T11:00:00+01:00';
  const h2 = await T.widget('POST', '/v1/widget/holds', { body: { service_id: svc30, provider_id: ana, start: start2 } });
  assert.equal(h2.status, 201);
  // the holder books with the hold
  const mine = await book(T, { service_id: svc30, provider_id: ana, start, customer, hold_id: hold.id });
  assert.equal(mine.status, 201, mine.text);
  await srv.post('/v1/test/clock', { advance_s: 301 });
  const freed = (await slots(T, { service_id: svc30, provider_id: ana, from: '2026-12-08', to: '2026-12-08' })).map((s) => s.start);
  assert.ok(freed.includes(start2), 'the expired hold frees its slot');
  assert.ok(!freed.includes(start), 'the booking made with its hold stays');
  assert.equal((await book(T, { service_id: svc30, provider_id: ana, start: start2, customer })).status, 201);
});

test('cancel frees the slot; a customer must prove the booking is theirs', async () => {
  const start = '2026-12-09T12:00:00+01:00';
  const b = (await book(T, { service_id: svc30, provider_id: ana, start, customer })).json.booking;
  const wrong = await T.widget('POST', `/v1/widget/bookings/${b.code}/cancel`, { body: { email: 'someone@else.com' } });
  assert.equal(wrong.status, 404);
  const noproof = await T.widget('POST', `/v1/widget/bookings/${b.code}/cancel`, { body: {} });
  assert.equal(noproof.status, 404);
  const ok = await T.widget('POST', `/v1/widget/bookings/${b.code.toLowerCase()}/cancel`, { body: { phone: '600111222' } });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.booking.status, 'cancelled');
  const free = (await slots(T, { service_id: svc30, provider_id: ana, from: '2026-12-09', to: '2026-12-09' })).map((s) => s.start);
  assert.ok(free.includes(start));
  const twice = await T.widget('POST', `/v1/widget/bookings/${b.code}/cancel`, { body: { email: customer.email } });
  assert.equal(twice.status, 409);
});

test('reschedule moves atomically: the old slot is freed only if the new one was taken', async () => {
  const b = (await book(T, { service_id: svc30, provider_id: ana, start: '2026-12-10T09:00:00+01:00', customer })).json.booking;
  const blocker = await book(T, { service_id: svc30, provider_id: ana, start: '2026-12-10T12:00:00+01:00', customer });
  assert.equal(blocker.status, 201);
  const taken = await T.widget('POST', `/v1/widget/bookings/${b.code}/reschedule`, { body: { manage_token: b.manage_token, start: '2026-12-10T12:00:00+01:00' } });
  assert.equal(taken.status, 409);
  let free = (await slots(T, { service_id: svc30, provider_id: ana, from: '2026-12-10', to: '2026-12-10' })).map((s) => s.start);
  assert.ok(!free.includes('2026-12-10T09:00:00+01:00'), 'a failed move keeps the old slot');
  // overlapping its own old slot is fine
  const near = await T.widget('POST', `/v1/widget/bookings/${b.code}/reschedule`, { body: { manage_token: b.manage_token, start: '2026-12-10T09:15:00+01:00' } });
  assert.equal(near.status, 200, near.text);
  const far = await T.widget('POST', `/v1/widget/bookings/${b.code}/reschedule`, { body: { email: customer.email, start: '2026-12-11T16:00:00+01:00' } });
  assert.equal(far.status, 200, far.text);
  assert.equal(far.json.booking.start, '2026-12-11T16:00:00+01:00');
  free = (await slots(T, { service_id: svc30, provider_id: ana, from: '2026-12-10', to: '2026-12-11' })).map((s) => s.start);
  assert.ok(free.includes('2026-12-10T09:00:00+01:00') && free.includes('2026-12-10T09:15:00+01:00'));
  assert.ok(!free.includes('2026-12-11T16:00:00+01:00'));
  const adm = await T.admin('GET', `/v1/admin/bookings/${b.id}`);
  assert.equal(adm.json.booking.history.length, 2);
  // staff move it to another professional and mark it completed
  const mv = await T.admin('PATCH', `/v1/admin/bookings/${b.id}`, { provider_id: luis });
  assert.equal(mv.status, 200, mv.text);
  assert.equal(mv.json.booking.provider_id, luis);
  const done = await T.admin('PATCH', `/v1/admin/bookings/${b.id}`, { status: 'completed' });
  assert.equal(done.json.booking.status, 'completed');
});

test('a crash between the writes is repaired on read', async () => {
  // dies after the calendar write, before confirming: the booking is real and gets confirmed on read
  await srv.post('/v1/test/fault', { point: 'booking.after_commit' });
  const a = await book(T, { service_id: svc30, provider_id: luis, start: '2026-12-14T09:00:00+01:00', customer });
  assert.equal(a.status, 500);
  // dies before the calendar write: the booking never happened
  await srv.post('/v1/test/fault', { point: 'booking.before_commit' });
  const b = await book(T, { service_id: svc30, provider_id: luis, start: '2026-12-14T10:00:00+01:00', customer });
  assert.equal(b.status, 500);
  const free = (await slots(T, { service_id: svc30, provider_id: luis, from: '2026-12-14', to: '2026-12-14' })).map((s) => s.start);
  assert.ok(!free.includes('2026-12-14T09:00:00+01:00'), 'the committed one holds its slot');
  assert.ok(free.includes('2026-12-14T10:00:00+01:00'), 'the uncommitted one does not');
  const items = await dumpTenant(srv, T.id);
  const pending = items.filter((i) => i.SK.startsWith('BOOKING#') && i.status === 'pending');
  assert.equal(pending.length, 2);
  await srv.post('/v1/test/clock', { advance_s: 61 });
  for (const p of pending) {
    const r = await T.admin('GET', `/v1/admin/bookings/${p.id}`);
    if (p.start === '2026-12-14T09:00:00+01:00') {
      assert.equal(r.status, 200);
      assert.equal(r.json.booking.status, 'confirmed');
    } else {
      assert.equal(r.status, 404, 'a booking that never reached the calendar is not shown');
    }
  }
  const list = await T.admin('GET', `/v1/admin/bookings?from=2026-12-14&to=2026-12-14&provider_id=${luis}`);
  assert.deepEqual(list.json.items.map((x) => x.start), ['2026-12-14T09:00:00+01:00']);
});

test('a booking is answered only once its writes are synced: a failed sync answers 500, not 201', async () => {
  // LMDB: the writes return once committed and the answer waits for their sync (store.h, deferred
  // durability); were it sent before the sync, the failed sync could not turn it into a 500
  await srv.post('/v1/test/fault', { point: 'store.sync' });
  const a = await book(T, { service_id: svc30, provider_id: luis, start: '2026-12-17T11:00:00+01:00', customer });
  if ((process.env.BOOKCHAT_STORE || '').startsWith('dynamodb:')) {
    // DynamoDB: a write is durable when it returns, nothing is deferred, and LMDB's sync thread (where the
    // fault point is) never runs
    assert.equal(a.status, 201, a.text);
    return;
  }
  assert.equal(a.status, 500);
  assert.match(a.json.error.message, /could not be confirmed on disk/);
  // committed, so it holds its slot (like any answer lost after a commit); the next booking syncs as usual
  const free = (await slots(T, { service_id: svc30, provider_id: luis, from: '2026-12-17', to: '2026-12-17' })).map((s) => s.start);
  assert.ok(!free.includes('2026-12-17T11:00:00+01:00'));
  const b = await book(T, { service_id: svc30, provider_id: luis, start: '2026-12-17T11:30:00+01:00', customer });
  assert.equal(b.status, 201);
});

test('bad input gets a clear 4xx and writes nothing', async () => {
  const B = await makeTenant(srv, { name: 'Other', plan: 'PRO' });
  const bsvc = (await B.admin('POST', '/v1/admin/services', { name: 'X', duration_min: 30 })).json.service.id;
  const before = await dumpTenant(srv, T.id);
  const base = { service_id: svc30, provider_id: ana, start: '2026-12-15T10:00:00+01:00', customer };
  const cases = [
    [{ ...base, service_id: '01ZZZZZZZZZZZZZZZZZZZZZZZZ' }, 404],
    [{ ...base, service_id: bsvc }, 404],
    [{ ...base, provider_id: '01ZZZZZZZZZZZZZZZZZZZZZZZZ' }, 404],
    [{ ...base, start: '2026-12-15T10:07:00+01:00' }, 400],
    [{ ...base, start: '2026-12-15T14:00:00+01:00' }, 400],
    [{ ...base, start: '2026-12-19T10:00:00+01:00' }, 400],
    [{ ...base, start: '2027-06-01T10:00:00+02:00' }, 400],
    [{ ...base, start: '2026-12-15 10:00' }, 400],
    [{ ...base, start: '2026-12-15T10:00:00' }, 400],
    [{ ...base, service_id: svc60, provider_id: luis }, 400],
    [{ ...base, customer: { name: 'X', email: 'not-an-email' } }, 400],
    [{ ...base, customer: { name: 'X' } }, 400],
    [{ ...base, customer: { name: '', email: 'a@b.co' } }, 400],
    [{ ...base, customer: { name: 'X', phone: '12' } }, 400],
    [{ ...base, customer: 'Marta' }, 400],
    [{ ...base, extra: true }, 400],
    [{ ...base, notes: 'x'.repeat(1001) }, 400],
  ];
  for (const [body, status] of cases) {
    const r = await book(T, body);
    assert.equal(r.status, status, `${JSON.stringify(body).slice(0, 120)} → ${r.status} ${r.text}`);
    assert.ok(errorCode(r));
  }
  const q = (p) => T.widget('GET', `/v1/widget/availability?${new URLSearchParams(p)}`);
  assert.equal((await q({ service_id: svc30, from: '2026-12-10', to: '2026-12-01' })).status, 400);
  assert.equal((await q({ service_id: svc30, from: '2026-12-01', to: '2027-02-15' })).status, 400);
  assert.equal((await q({ service_id: svc30, from: '2026-12-01' })).status, 400);
  assert.equal((await q({ service_id: svc30, from: '2026-02-30', to: '2026-03-01' })).status, 400);
  assert.equal((await q({ service_id: svc30, from: '2026-12-01', to: '2026-12-02', tz: 'Nowhere/Land' })).status, 400);
  assert.equal((await q({ service_id: bsvc, from: '2026-12-01', to: '2026-12-02' })).status, 404);
  assert.equal((await q({ service_id: svc60, provider_id: luis, from: '2026-12-01', to: '2026-12-02' })).status, 400);
  assert.equal((await T.widget('POST', '/v1/widget/holds', { body: { service_id: svc30, start: 'tomorrow' } })).status, 400);
  assert.deepEqual(await dumpTenant(srv, T.id), before);
});

test('the plan\'s monthly bookings limit is 429 plan_limit_exceeded', async () => {
  const L = await makeTenant(srv, { name: 'Limited', plan: 'PRO', timezone: 'Europe/Madrid' });
  const ids = await setup(L);
  await srv.platform('PATCH', `/v1/platform/tenants/${L.id}`, { limits: { bookings_month: 1 } });
  const ok = await book(L, { service_id: ids.svc30, provider_id: ids.ana, start: '2026-12-01T10:00:00+01:00', customer });
  assert.equal(ok.status, 201, ok.text);
  const no = await book(L, { service_id: ids.svc30, provider_id: ids.ana, start: '2026-12-01T11:00:00+01:00', customer });
  assert.equal(no.status, 429);
  assert.equal(errorCode(no), 'plan_limit_exceeded');
  await srv.platform('PATCH', `/v1/platform/tenants/${L.id}`, { limits: { bookings_month: 5 } });
  assert.equal((await book(L, { service_id: ids.svc30, provider_id: ids.ana, start: '2026-12-01T11:00:00+01:00', customer })).status, 201);
});

test('exceptions close days and hours, and add extra opening', async () => {
  const c = await T.admin('POST', '/v1/admin/exceptions', { provider_id: null, from: '2026-12-08', to: '2026-12-08', kind: 'closed', reason: 'Inmaculada' });
  assert.equal(c.status, 201, c.text);
  assert.equal((await slots(T, { service_id: svc30, provider_id: 'any', from: '2026-12-08', to: '2026-12-08' })).length, 0);
  const o = await T.admin('POST', '/v1/admin/exceptions', { provider_id: luis, from: '2026-12-12', to: '2026-12-12', kind: 'open', start: '10:00', end: '12:00' });
  assert.equal(o.status, 201, o.text);
  const sat = (await slots(T, { service_id: svc30, provider_id: luis, from: '2026-12-12', to: '2026-12-12' })).map((s) => s.start);
  assert.equal(sat[0], '2026-12-12T10:00:00+01:00');
  assert.equal(sat.at(-1), '2026-12-12T11:30:00+01:00');
  const p = await T.admin('POST', '/v1/admin/exceptions', { provider_id: ana, from: '2026-12-16', to: '2026-12-16', kind: 'closed', start: '15:00', end: '19:00' });
  assert.equal(p.status, 201);
  const wed = (await slots(T, { service_id: svc30, provider_id: ana, from: '2026-12-16', to: '2026-12-16' })).map((s) => s.start);
  assert.equal(wed.at(-1), '2026-12-16T12:30:00+01:00');
  for (const bad of [{ from: '2026-12-10', to: '2026-12-01', kind: 'closed' }, { from: '2026-12-01', to: '2026-12-01', kind: 'maybe' },
    { from: '2026-12-01', to: '2026-12-01', kind: 'open' }, { from: '2026-12-01', to: '2026-12-01', kind: 'closed', start: '10:00' },
    { from: '2026-12-01', to: '2026-12-01', kind: 'closed', start: '12:00', end: '10:00' }, { provider_id: '01ZZZZZZZZZZZZZZZZZZZZZZZZ', from: '2026-12-01', to: '2026-12-01', kind: 'closed' }]) {
    assert.equal((await T.admin('POST', '/v1/admin/exceptions', bad)).status, 400, JSON.stringify(bad));
  }
  const list = await T.admin('GET', '/v1/admin/exceptions');
  assert.equal(list.json.items.length, 3);
  assert.equal((await T.admin('DELETE', `/v1/admin/exceptions/${c.json.exception.id}`)).status, 204);
  assert.ok((await slots(T, { service_id: svc30, provider_id: 'any', from: '2026-12-08', to: '2026-12-08' })).length > 0);
});
