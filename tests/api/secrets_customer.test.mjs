// Customer secrets and input hygiene (issue 17, findings 3 and 8b–8e): the manage token reaches the customer's
// own chat answer and nothing staff can read; a phone number proves a booking only whole; names refuse bidi
// overrides and control characters; manage tokens expire 7 days after the appointment; the export's temporary
// file never follows a planted symlink. The clock starts on Monday 2026-11-30 08:00 UTC.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, errorCode, makeTenant, makeUser, tempDir, BIN } from './harness.mjs';

const NOW = Date.UTC(2026, 10, 30, 8, 0, 0) / 1000;
let srv, T, svc, ana;

before(async () => {
  srv = await startServer({ env: { BOOKCHAT_TEST_NOW: String(NOW) } });
  T = await makeTenant(srv, { name: 'Studio Nine', plan: 'BUSINESS', timezone: 'Europe/Madrid', locale: 'en' });
  await srv.platform('PATCH', `/v1/platform/tenants/${T.id}`, { limits: { rate_per_s: 100000, burst: 100000 } });
  svc = (await T.admin('POST', '/v1/admin/services', { name: 'Haircut', duration_min: 30, synonyms: ['cut'] })).json.service.id;
  ana = (await T.admin('POST', '/v1/admin/providers', { name: 'Ana', service_ids: [svc] })).json.provider.id;
  const weekly = [];
  for (let d = 1; d <= 5; d++) weekly.push({ weekday: d, start: '09:00', end: '13:00' }, { weekday: d, start: '15:00', end: '19:00' });
  assert.equal((await T.admin('PUT', `/v1/admin/providers/${ana}/availability`, { weekly })).status, 200);
});
after(async () => { await srv.stop(); });

const book = (start, customer) =>
  T.widget('POST', '/v1/widget/bookings', { body: { service_id: svc, provider_id: ana, start, customer } });

// Every spelling of a token that could appear in a JSON body: as is, URL-encoded, JSON-escaped.
function leaks(text, token) {
  return [token, encodeURIComponent(token), JSON.stringify(token).slice(1, -1)].some((t) => text.includes(t));
}

test('a chat booking\'s manage token reaches the customer, never the transcript staff read', async () => {
  const start = await T.widget('POST', '/v1/widget/conversations', { body: {} });
  assert.equal(start.status, 201, start.text);
  const { id, token: ct } = start.json.conversation;
  const say = async (text) => {
    const r = await T.widget('POST', `/v1/widget/conversations/${id}/messages`, { body: { text }, headers: { 'x-conversation-token': ct } });
    assert.equal(r.status, 200, r.text);
    return r.json;
  };
  await say('Can I book a haircut with Ana on Friday at 10am?');
  await say('My name is Eve Stone');
  await say('eve@example.com');
  const done = await say('yes');
  assert.equal(done.state, 'booked', JSON.stringify(done));
  const card = done.messages.find((m) => m.booking).booking;
  const tok = card.manage_token;
  assert.ok(tok && tok.length > 20, 'the customer\'s own answer carries the manage token');
  assert.ok(card.ics_url.includes(encodeURIComponent(tok)) || card.ics_url.includes(tok));
  assert.equal((await srv.get(new URL(card.ics_url).pathname + new URL(card.ics_url).search)).status, 200);

  // the customer reloading their own transcript still gets their link
  const mine = await T.widget('GET', `/v1/widget/conversations/${id}`, { headers: { 'x-conversation-token': ct } });
  assert.equal(mine.status, 200, mine.text);
  assert.equal(mine.json.messages.find((m) => m.booking).booking.manage_token, tok);

  // staff (a viewer): the conversation, the list, the booking, the bookings list: no token anywhere
  const viewer = await makeUser(srv, T, 'viewer');
  const reads = [
    `/v1/admin/conversations/${id}`, '/v1/admin/conversations', `/v1/admin/bookings/${card.id}`,
    '/v1/admin/bookings?from=2026-12-04&to=2026-12-04', `/v1/admin/bookings/${card.id}/ics`,
  ];
  for (const path of reads) {
    const r = await viewer.admin('GET', path);
    assert.equal(r.status, 200, `${path}: ${r.text}`);
    assert.ok(!leaks(r.text, tok), `${path} shows the customer's manage token: ${r.text.slice(0, 400)}`);
  }
  const conv = await viewer.admin('GET', `/v1/admin/conversations/${id}`);
  assert.equal(conv.json.messages.find((m) => m.booking).booking.code, card.code, 'staff still see the booking card');

  // and nothing stored in the tenant's partition holds it (what an export would show)
  const items = await srv.get(`/v1/test/items?pk=${encodeURIComponent('TENANT#' + T.id)}`);
  assert.equal(items.status, 200);
  assert.ok(!leaks(items.text, tok), 'a stored item holds the manage token');
});

test('a phone proves a booking only whole: the last 6 digits are refused, the full number in any spelling accepted', async () => {
  const r = await book('2026-12-01T10:00:00+01:00', { name: 'Pat Lee', phone: '+34 612 345 678' });
  assert.equal(r.status, 201, r.text);
  const code = r.json.booking.code;
  const cancel = (phone) => T.widget('POST', `/v1/widget/bookings/${code}/cancel`, { body: { phone } });
  for (const phone of ['345678', '2345678', '12345678', '+34 000 345 678', '+1 612 345 678']) {
    const x = await cancel(phone);
    assert.equal(x.status, 404, `${phone}: ${x.text}`);
    assert.equal(errorCode(x), 'not_found');
  }
  const b = await book('2026-12-01T11:00:00+01:00', { name: 'Pat Lee', phone: '+34 612 345 678' });
  const resched = await T.widget('POST', `/v1/widget/bookings/${b.json.booking.code}/reschedule`,
    { body: { phone: '345678', start: '2026-12-01T12:00:00+01:00' } });
  assert.equal(resched.status, 404, resched.text);
  // the whole number, with spaces, dashes, the 00 prefix, or without the country code
  assert.equal((await cancel('+34-612-345-678')).status, 200);
  const c2 = await T.widget('POST', `/v1/widget/bookings/${b.json.booking.code}/cancel`, { body: { phone: '0034 612 345 678' } });
  assert.equal(c2.status, 200, c2.text);
  const b3 = await book('2026-12-01T12:30:00+01:00', { name: 'Pat Lee', phone: '612-345-678' });
  const c3 = await T.widget('POST', `/v1/widget/bookings/${b3.json.booking.code}/cancel`, { body: { phone: '+34 612 345 678' } });
  assert.equal(c3.status, 200, c3.text);
});

test('names refuse bidi overrides, invisible marks, line separators and control characters', async () => {
  const bad = ['Ann\u202Eevil', 'Ann\u0085Lee', 'Ann\u2028Lee', 'Ann\u200ELee', 'Ann\u200FLee', 'Ann\u2066Lee',
    'Ann\u2069Lee', 'Ann\u0001Lee', 'Ann\u009BLee', 'Ann\u202ALee'];
  const before = JSON.stringify((await T.admin('GET', '/v1/admin/services')).json);
  for (const name of bad) {
    const label = JSON.stringify(name);
    const calls = [
      ['customer', () => book('2026-12-02T10:00:00+01:00', { name, email: 'x@example.com' })],
      ['service', () => T.admin('POST', '/v1/admin/services', { name, duration_min: 30 })],
      ['service patch', () => T.admin('PATCH', `/v1/admin/services/${svc}`, { name })],
      ['professional', () => T.admin('POST', '/v1/admin/providers', { name, service_ids: [svc] })],
      ['business', () => T.admin('PATCH', '/v1/admin/settings', { business: { name } })],
      ['user', () => T.admin('POST', '/v1/admin/users', { email: 'n@example.com', role: 'viewer', password: 'correct-horse-battery', name })],
      ['api key', () => T.admin('POST', '/v1/admin/api-keys', { name, origins: ['https://a.example.com'] })],
      ['tenant', () => srv.platform('POST', '/v1/platform/tenants', { name, origins: ['https://a.example.com'] })],
      ['tenant patch', () => srv.platform('PATCH', `/v1/platform/tenants/${T.id}`, { name })],
    ];
    for (const [what, call] of calls) {
      const r = await call();
      assert.equal(r.status, 400, `${what} ${label}: ${r.status} ${r.text}`);
      assert.equal(errorCode(r), 'invalid_request');
      assert.match(r.json.error.message, /control|bidi/i, `${what}: ${r.text}`);
    }
  }
  assert.equal(JSON.stringify((await T.admin('GET', '/v1/admin/services')).json), before, 'nothing changed');
  // ordinary names of every script still pass
  for (const name of ['José Müller-Ørsted', 'محمد علي', 'שרה כהן', '山田 太郎']) {
    const r = await book('2026-12-02T10:00:00+01:00', { name, email: 'ok@example.com' });
    assert.equal(r.status, 201, `${name}: ${r.text}`);
    const c = await T.widget('POST', `/v1/widget/bookings/${r.json.booking.code}/cancel`, { body: { email: 'ok@example.com' } });
    assert.equal(c.status, 200, c.text);
  }
});

test('the export\'s temporary file does not follow a symlink planted at its name', { skip: spawnSync('unshare', ['-rpf', 'true']).status !== 0 && 'unshare -rpf (a user and pid namespace) is not available here' }, async () => {
  const dir = tempDir('bc-expsym');
  const file = join(dir, 'tenant.jsonl');
  const victim = join(dir, 'victim.txt');
  writeFileSync(victim, 'do not touch\n');
  // in a new pid namespace the CLI runs as pid 1, so its temporary name is predictable
  symlinkSync(victim, `${file}.partial-1`);
  const r = spawnSync('unshare', ['-rpf', BIN, 'tenant', 'export', T.id, '-o', file, '--data', srv.dataDir], { encoding: 'utf8' });
  assert.equal(readFileSync(victim, 'utf8'), 'do not touch\n', 'the symlink\'s target was written');
  assert.ok(lstatSync(`${file}.partial-1`).isSymbolicLink(), 'the planted symlink is left alone');
  if (r.status === 0) {
    assert.match(readFileSync(file, 'utf8'), /"SK"/, 'the export landed at its own name');
  } else {
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /temporary file/);
    assert.ok(!existsSync(file) || lstatSync(file).isFile());
  }
});

// last: it moves the server's clock
test('a manage token expires 7 days after the appointment ends', async () => {
  const r = await book('2026-12-03T10:00:00+01:00', { name: 'Kim Ode', email: 'kim@example.com' });
  assert.equal(r.status, 201, r.text);
  const { manage_token: tok, code } = r.json.booking;
  const ics = () => srv.get(`/v1/manage/booking.ics?token=${encodeURIComponent(tok)}`);
  // the appointment ends 2026-12-03 09:30Z; 7 days later is 2026-12-10 09:30Z
  const toEnd = Date.UTC(2026, 11, 3, 9, 30, 0) / 1000 - NOW;
  assert.equal((await srv.post('/v1/test/clock', { advance_s: toEnd + 6 * 86400 })).status, 200);
  assert.equal((await ics()).status, 200, 'still valid 6 days after the appointment');
  assert.equal((await srv.post('/v1/test/clock', { advance_s: 86400 + 60 })).status, 200);
  const x = await ics();
  assert.equal(x.status, 410, x.text);
  assert.equal(errorCode(x), 'manage_token_expired');
  for (const action of ['cancel', 'reschedule']) {
    const y = await T.widget('POST', `/v1/widget/bookings/${code}/${action}`, { body: { manage_token: tok, start: '2026-12-14T10:00:00+01:00' } });
    assert.equal(y.status, 410, `${action}: ${y.text}`);
    assert.equal(errorCode(y), 'manage_token_expired');
  }
  // a forged token is still just unknown (one token in 256 ends with "AA" itself)
  const other = tok.slice(0, -2) + (tok.endsWith('AA') ? 'BB' : 'AA');
  const forged = await srv.get(`/v1/manage/booking.ics?token=${encodeURIComponent(other)}`);
  assert.equal(forged.status, 404);
});
