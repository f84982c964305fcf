// The customer's manage page API (issue 18): /v1/manage/booking, /slots, /booking/cancel, /booking/reschedule
// with the e-mailed manage token as the only credential. Forged, foreign, unknown and expired tokens, suspended
// and deleted tenants, the cancellation window, taken slots, bad bodies, the per-address brake, and no token
// in the server's log lines. The clock starts on Monday 2026-11-30 08:00 UTC; the tenant is in Europe/Madrid.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, createHash } from 'node:crypto';
import { startServer, errorCode, makeTenant, PLATFORM_TOKEN, makeHaircutTeam } from './harness.mjs';

const NOW = Date.UTC(2026, 10, 30, 8, 0, 0) / 1000;
// a configured secret, so the test can mint tokens the server accepts (for bookings that do not exist)
const SECRET = 'manage-test-secret-0123456789abcdef-0123456789';
let srv, T, svc, ana, luis;
const tokens = new Set();

// The manage token as src/domain/booking_read.c derives it: "<booking>.<b64url tenant>.<b64url 16-byte MAC>".
function mint(tenantId, bookingId) {
  const key = createHmac('sha256', createHash('sha256').update(SECRET).digest()).update('manage').digest();
  const mac = createHmac('sha256', key).update(`${tenantId}|${bookingId}`).digest().subarray(0, 16);
  return `${bookingId}.${Buffer.from(tenantId).toString('base64url')}.${mac.toString('base64url')}`;
}

async function book(t, start, { service = svc, provider = ana, email = 'eve@example.com' } = {}) {
  const r = await t.widget('POST', '/v1/widget/bookings', {
    body: { service_id: service, provider_id: provider, start, customer: { name: 'Eve Stone', email } },
  });
  assert.equal(r.status, 201, r.text);
  tokens.add(r.json.booking.manage_token);
  return r.json.booking;
}

const q = (tok) => `token=${encodeURIComponent(tok)}`;
const view = (tok) => srv.get(`/v1/manage/booking?${q(tok)}`);
const slots = (tok, date, extra = '') => srv.get(`/v1/manage/slots?${q(tok)}&date=${date}${extra}`);
const cancel = (tok) => srv.post('/v1/manage/booking/cancel', { token: tok });
const move = (tok, start, more = {}) => srv.post('/v1/manage/booking/reschedule', { token: tok, start, ...more });

function privateAnswer(r) {
  assert.equal(r.headers.get('cache-control'), 'no-store');
  assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
}

before(async () => {
  srv = await startServer({ env: { BOOKCHAT_TEST_NOW: String(NOW), BOOKCHAT_SECRET: SECRET } });
  T = await makeTenant(srv, { name: 'Studio Nine', plan: 'BUSINESS', timezone: 'Europe/Madrid', locale: 'en' });
  await srv.platform('PATCH', `/v1/platform/tenants/${T.id}`, { limits: { rate_per_s: 100000, burst: 100000 } });
  ({ s: svc, a: ana, l: luis } = await makeHaircutTeam(T));
  await T.admin('PATCH', '/v1/admin/settings', { business: { phone: '+34 911 222 333' } });
});
after(async () => { await srv.stop(); });

test('GET /v1/manage/booking shows the booking, the business and what the customer may still do', async () => {
  const b = await book(T, '2026-12-02T10:00:00+01:00');
  const r = await view(b.manage_token);
  assert.equal(r.status, 200, r.text);
  privateAnswer(r);
  const j = r.json;
  assert.equal(j.booking.code, b.code);
  assert.equal(j.booking.status, 'confirmed');
  assert.equal(j.booking.start, '2026-12-02T10:00:00+01:00');
  assert.equal(j.booking.service_name, 'Haircut');
  assert.equal(j.booking.provider_name, 'Ana');
  assert.equal(j.booking.manage_token, undefined, 'the view does not repeat the token');
  assert.deepEqual({ name: j.business.name, locale: j.business.locale, timezone: j.business.timezone },
    { name: 'Studio Nine', locale: 'en', timezone: 'Europe/Madrid' });
  assert.equal(j.business.phone, '+34 911 222 333');
  assert.equal(j.can_cancel, true);
  assert.equal(j.can_reschedule, true);
  assert.equal(j.cancel_until, '2026-12-02T08:00:00+01:00', 'two hours before (the default window)');
  assert.ok(j.ics_url.endsWith(`/v1/manage/booking.ics?${q(b.manage_token)}`), j.ics_url);
  const ics = await srv.get(new URL(j.ics_url).pathname + new URL(j.ics_url).search);
  assert.equal(ics.status, 200);
  privateAnswer(ics);
  assert.match(ics.text, /BEGIN:VCALENDAR/);
});

test('slots: the free times of the booking\'s service and professional on a date, its own time included', async () => {
  const b = await book(T, '2026-12-03T10:00:00+01:00');
  const other = await book(T, '2026-12-03T11:00:00+01:00', { email: 'zed@example.com' });
  const r = await slots(b.manage_token, '2026-12-03');
  assert.equal(r.status, 200, r.text);
  privateAnswer(r);
  assert.equal(r.json.timezone, 'Europe/Madrid');
  const starts = r.json.slots.map((s) => s.start);
  assert.ok(starts.includes('2026-12-03T10:00:00+01:00'), 'the booking\'s own time is not busy for it');
  assert.ok(starts.includes('2026-12-03T10:15:00+01:00'), 'nor a time overlapping it');
  assert.ok(!starts.includes('2026-12-03T11:00:00+01:00'), 'another booking\'s time is busy');
  assert.ok(r.json.slots.every((s) => s.provider_id === ana));
  // the same shape as the widget's availability answer
  const w = await T.widget('GET', `/v1/widget/availability?service_id=${svc}&provider_id=${ana}&from=2026-12-04&to=2026-12-04`);
  assert.deepEqual((await slots(b.manage_token, '2026-12-04')).json, w.json);
  // another professional, or any
  const l = await slots(b.manage_token, '2026-12-03', `&provider_id=${luis}`);
  assert.ok(l.json.slots.length > 0 && l.json.slots.every((s) => s.provider_id === luis));
  assert.ok((await slots(b.manage_token, '2026-12-03', '&provider_id=any')).json.slots.some((s) => s.start === '2026-12-03T11:00:00+01:00'));
  // bad dates; the weekend is empty
  for (const d of ['', '2026-13-01', 'tomorrow', '2026-12-03T10:00']) {
    const bad = await slots(b.manage_token, d);
    assert.equal(bad.status, 400, `${d}: ${bad.text}`);
  }
  assert.deepEqual((await slots(b.manage_token, '2026-12-05')).json.slots, []);
  assert.equal((await slots(other.manage_token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), '2026-12-03')).status, 404);
});

test('reschedule moves the booking through the domain: new time, old slot free, history kept', async () => {
  const b = await book(T, '2026-12-07T10:00:00+01:00');
  const r = await move(b.manage_token, '2026-12-08T11:30:00+01:00');
  assert.equal(r.status, 200, r.text);
  privateAnswer(r);
  assert.equal(r.json.booking.start, '2026-12-08T11:30:00+01:00');
  assert.equal(r.json.booking.code, b.code);
  assert.equal(r.json.booking.manage_token, undefined);
  const w = await T.widget('GET', `/v1/widget/availability?service_id=${svc}&provider_id=${ana}&from=2026-12-07&to=2026-12-08`);
  const starts = w.json.slots.map((s) => s.start);
  assert.ok(starts.includes('2026-12-07T10:00:00+01:00'), 'the old time is free again');
  assert.ok(!starts.includes('2026-12-08T11:30:00+01:00'), 'the new time is taken');
  const staff = await T.admin('GET', `/v1/admin/bookings/${b.id}`);
  assert.equal(staff.json.booking.history.at(-1).by, 'customer');
  assert.equal((await view(b.manage_token)).json.booking.start, '2026-12-08T11:30:00+01:00', 'the same token still works');
  // to another professional
  const l = await move(b.manage_token, '2026-12-08T12:00:00+01:00', { provider_id: luis });
  assert.equal(l.status, 200, l.text);
  assert.equal(l.json.booking.provider_name, 'Luis');
  // bad starts
  for (const start of ['2026-12-08T11:37:00+01:00', '2026-12-12T10:00:00+01:00']) {
    const bad = await move(b.manage_token, start);
    assert.equal(bad.status, 400, `${start}: ${bad.text}`);
  }
  assert.equal((await srv.post('/v1/manage/booking/reschedule', { token: b.manage_token })).status, 400, 'start is required');
  assert.equal((await move(b.manage_token, 'not a time')).status, 400);
});

test('a taken slot is 409 slot_unavailable, as the widget\'s own reschedule answers', async () => {
  const b = await book(T, '2026-12-09T09:00:00+01:00');
  await book(T, '2026-12-09T12:00:00+01:00', { email: 'zed@example.com' });
  const r = await move(b.manage_token, '2026-12-09T12:00:00+01:00');
  const w = await T.widget('POST', `/v1/widget/bookings/${b.code}/reschedule`, { body: { manage_token: b.manage_token, start: '2026-12-09T12:00:00+01:00' } });
  assert.equal(r.status, 409, r.text);
  assert.equal(errorCode(r), 'slot_unavailable');
  assert.equal(w.status, r.status);
  assert.equal(errorCode(w), errorCode(r));
  assert.equal(r.json.error.message, w.json.error.message);
  assert.equal((await view(b.manage_token)).json.booking.start, '2026-12-09T09:00:00+01:00', 'unchanged');
});

test('cancel: once, then the page says it cannot be changed any more', async () => {
  const b = await book(T, '2026-12-10T10:00:00+01:00');
  const r = await cancel(b.manage_token);
  assert.equal(r.status, 200, r.text);
  privateAnswer(r);
  assert.equal(r.json.booking.status, 'cancelled');
  assert.ok(r.json.booking.cancelled_at);
  const v = await view(b.manage_token);
  assert.equal(v.status, 200);
  assert.equal(v.json.booking.status, 'cancelled');
  assert.equal(v.json.can_cancel, false);
  assert.equal(v.json.can_reschedule, false);
  assert.equal(v.json.cancel_until, null);
  const again = await cancel(b.manage_token);
  assert.equal(again.status, 409);
  assert.match(again.json.error.message, /cancelled/);
  assert.equal((await move(b.manage_token, '2026-12-10T11:00:00+01:00')).status, 409, 'a cancelled booking does not move');
  const staff = await T.admin('GET', `/v1/admin/bookings/${b.id}`);
  assert.equal(staff.json.booking.status, 'cancelled');
});

test('inside the cancellation window: 409 with a message, and the page is told beforehand', async () => {
  // 08:00Z = 09:00 local; the minimum notice is 60 min and the window 120 min: 10:30 today is bookable but
  // too late to change online
  const b = await book(T, '2026-11-30T10:30:00+01:00');
  const v = await view(b.manage_token);
  assert.equal(v.json.can_cancel, false);
  assert.equal(v.json.can_reschedule, false);
  assert.equal(v.json.cancel_until, null);
  for (const r of [await cancel(b.manage_token), await move(b.manage_token, '2026-12-11T10:00:00+01:00')]) {
    assert.equal(r.status, 409, r.text);
    assert.equal(errorCode(r), 'conflict');
    assert.match(r.json.error.message, /until 120 minutes before/);
  }
  assert.equal((await view(b.manage_token)).json.booking.status, 'confirmed', 'nothing changed');
  // a tenant with no window: the customer may change until the start
  await T.admin('PATCH', '/v1/admin/settings', { booking: { cancel_window_min: 0 } });
  try {
    const ok = await view(b.manage_token);
    assert.equal(ok.json.can_cancel, true);
    assert.equal(ok.json.cancel_until, '2026-11-30T10:30:00+01:00');
  } finally {
    await T.admin('PATCH', '/v1/admin/settings', { booking: { cancel_window_min: 120 } });
  }
});

test('forged, foreign and unknown tokens are 404 "No such booking." everywhere, and change nothing', async () => {
  const b = await book(T, '2026-12-14T10:00:00+01:00');
  const other = await makeTenant(srv, { name: 'Other', plan: 'BUSINESS', timezone: 'Europe/Madrid' });
  await srv.platform('PATCH', `/v1/platform/tenants/${other.id}`, { limits: { rate_per_s: 100000, burst: 100000 } });
  const o = await makeHaircutTeam(other);
  const ob = await book(other, '2026-12-14T10:00:00+01:00', { service: o.s, provider: o.a });
  const [id, t64, mac] = b.manage_token.split('.');
  const flip = (s) => s.slice(0, -1) + (s.endsWith('A') ? 'B' : 'A');
  assert.equal(mint(T.id, b.id), b.manage_token, 'the test mints tokens as the server does');
  const bad = {
    'MAC altered': `${id}.${t64}.${flip(mac)}`,
    'MAC of another booking': `${ob.id}.${t64}.${mac}`,
    'tenant swapped, MAC kept': `${id}.${Buffer.from(other.id).toString('base64url')}.${mac}`,
    'other tenant\'s booking id under this tenant (valid MAC)': mint(T.id, ob.id),
    'this booking id under the other tenant (valid MAC)': mint(other.id, b.id),
    'a booking that does not exist (valid MAC)': mint(T.id, '01JZZZZZZZZZZZZZZZZZZZZZZZ'),
    'a tenant that does not exist (valid MAC)': mint('01JZZZZZZZZZZZZZZZZZZZZZZZ', b.id),
    'garbage': 'not-a-token',
    'empty': '',
    'too long': 'x'.repeat(300),
    'CR/LF': `${id}\r\nX-Injected: 1.${t64}.${mac}`,
  };
  for (const [what, tok] of Object.entries(bad)) {
    for (const r of [await view(tok), await slots(tok, '2026-12-14')]) {
      assert.equal(r.status, 404, `${what}: ${r.text}`);
      assert.equal(r.json.error.message, 'No such booking.', what);
      privateAnswer(r);
    }
    if (tok.length > 0 && tok.length <= 200) {
      // in a body, control characters are refused as bad input before any look-up
      const want = /[\r\n]/.test(tok) ? 400 : 404;
      for (const r of [await cancel(tok), await move(tok, '2026-12-15T10:00:00+01:00')]) assert.equal(r.status, want, `${what}: ${r.text}`);
    }
    assert.equal((await srv.get(`/v1/manage/booking.ics?${q(tok)}`)).status, 404, what);
  }
  assert.equal((await srv.get('/v1/manage/booking')).status, 404, 'no token at all');
  assert.equal((await view(b.manage_token)).json.booking.status, 'confirmed');
  assert.equal((await view(ob.manage_token)).json.booking.status, 'confirmed');
  assert.equal((await view(ob.manage_token)).json.business.name, 'Other', 'each token names its own tenant');
});

test('bad bodies: malformed JSON, wrong types, unknown fields, no token, oversized', async () => {
  const b = await book(T, '2026-12-15T10:00:00+01:00');
  for (const path of ['/v1/manage/booking/cancel', '/v1/manage/booking/reschedule']) {
    const cases = [
      ['{"token":', 400], ['[]', 400], ['', 400], ['{"token":42}', 400], ['{}', 400],
      [JSON.stringify({ token: b.manage_token, start: 17 }), 400],
      [JSON.stringify({ token: b.manage_token, admin: true }), 400],
    ];
    for (const [raw, status] of cases) {
      const r = await srv.req('POST', path, { raw, headers: { 'content-type': 'application/json' } });
      assert.equal(r.status, status, `${path} ${raw}: ${r.text}`);
      errorCode(r);
    }
    const big = await srv.req('POST', path, { raw: JSON.stringify({ token: b.manage_token, pad: 'x'.repeat(70000) }), headers: { 'content-type': 'application/json' } });
    assert.equal(big.status, 413, big.text);
  }
  assert.equal((await view(b.manage_token)).json.booking.status, 'confirmed', 'nothing changed');
  assert.equal((await srv.req('PUT', '/v1/manage/booking/cancel', { body: {} })).status, 405);
});

test('a suspended tenant\'s links are refused, a deleted one\'s are gone, a restored one\'s work again', async () => {
  const x = await makeTenant(srv, { name: 'Soon suspended', plan: 'BUSINESS', timezone: 'Europe/Madrid' });
  await srv.platform('PATCH', `/v1/platform/tenants/${x.id}`, { limits: { rate_per_s: 100000, burst: 100000 } });
  const o = await makeHaircutTeam(x);
  const b = await book(x, '2026-12-16T10:00:00+01:00', { service: o.s, provider: o.a });
  assert.equal((await srv.platform('PATCH', `/v1/platform/tenants/${x.id}`, { status: 'SUSPENDED' })).status, 200);
  for (const r of [await view(b.manage_token), await slots(b.manage_token, '2026-12-16'), await cancel(b.manage_token)]) {
    assert.equal(r.status, 403, r.text);
    assert.equal(errorCode(r), 'tenant_suspended');
  }
  assert.equal((await srv.platform('DELETE', `/v1/platform/tenants/${x.id}`)).status, 200);
  for (const r of [await view(b.manage_token), await move(b.manage_token, '2026-12-16T11:00:00+01:00')]) {
    assert.equal(r.status, 410, r.text);
    assert.equal(errorCode(r), 'tenant_deleted');
  }
  assert.equal((await srv.platform('POST', `/v1/platform/tenants/${x.id}/restore`)).status, 200);
  const back = await view(b.manage_token);
  assert.equal(back.status, 200, back.text);
  assert.equal(back.json.booking.status, 'confirmed', 'nothing was cancelled while the tenant was away');
});

test('the page: /manage/ is served under the strict CSP, never framed, without Referer; /manage keeps the query', async () => {
  const r = await srv.get('/manage/');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/html/);
  const csp = r.headers.get('content-security-policy');
  assert.match(csp, /script-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(r.headers.get('x-frame-options'), 'DENY');
  assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
  assert.match(r.text, /<meta name="referrer" content="no-referrer">/);
  assert.doesNotMatch(r.text, /<script>|style=/, 'no inline script or style');
  const redirect = await fetch(`${srv.url}/manage?code=ABC&token=x.y.z`, { redirect: 'manual' });
  assert.equal(redirect.status, 308);
  assert.equal(redirect.headers.get('location'), '/manage/?code=ABC&token=x.y.z');
});

test('no manage token appears in the server\'s log lines', async () => {
  assert.ok(tokens.size >= 5);
  await new Promise((r) => setTimeout(r, 100)); // access lines are flushed within 10 ms
  const log = srv.logs.join('\n');
  assert.ok(log.includes('"route":"manage.booking"'), 'the manage routes are logged');
  for (const t of tokens) {
    for (const spelling of [t, encodeURIComponent(t), t.split('.')[2]]) assert.ok(!log.includes(spelling), `a token leaked into the log: ${spelling}`);
  }
});

// last: moves the server's clock forward
test('a link expires 7 days after the appointment: 410 manage_token_expired', async () => {
  const b = await book(T, '2026-12-17T10:00:00+01:00');
  assert.equal((await view(b.manage_token)).status, 200);
  const end = Date.parse('2026-12-17T10:30:00+01:00') / 1000;
  const now = (await srv.post('/v1/test/clock', { advance_s: 0 })).json.now;
  await srv.post('/v1/test/clock', { advance_s: end + 7 * 86400 + 60 - now });
  for (const r of [await view(b.manage_token), await slots(b.manage_token, '2026-12-30'), await cancel(b.manage_token), await srv.get(`/v1/manage/booking.ics?${q(b.manage_token)}`)]) {
    assert.equal(r.status, 410, r.text);
    assert.equal(errorCode(r), 'manage_token_expired');
  }
});

test('one client address is braked (429 with Retry-After), counted in /metrics', async () => {
  const s2 = await startServer({ env: { BOOKCHAT_VISITOR_LIMITS: 'on' } });
  try {
    const codes = [];
    let retry;
    for (let i = 0; i < 45; i++) {
      const r = await s2.get(`/v1/manage/booking?token=${i}.x.y`);
      codes.push(r.status);
      if (r.status === 429) {
        retry = r.headers.get('retry-after');
        privateAnswer(r);
      }
    }
    assert.ok(codes.slice(0, 25).every((c) => c === 404), codes.join(','));
    assert.ok(codes.filter((c) => c === 429).length >= 10, codes.join(','));
    assert.ok(Number(retry) >= 1);
    const m = await s2.get('/metrics', { headers: { authorization: `Bearer ${PLATFORM_TOKEN}` } });
    const line = m.text.split('\n').find((l) => l.startsWith('bookchat_limited_total{limit="manage_requests"}'));
    assert.ok(line && Number(line.split(' ')[1]) >= 10, line);
  } finally {
    await s2.stop();
  }
});
