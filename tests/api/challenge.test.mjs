// The widget's proof-of-work challenge (docs/security.md, "Proof of work"): the challenge endpoint's ALTCHA
// format; with widget.challenge "always" new conversations, holds and bookings need a fresh solution
// (missing, tampered, replayed, another tenant's and expired ones get 428 challenge_required) and "off"
// needs none; "auto" turns on under a burst of a tenant's guarded requests, for that tenant only, and one
// visitor alone does not turn it on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startServer, makeTenant, errorCode, PLATFORM_TOKEN } from './harness.mjs';

const NOW = Date.UTC(2026, 10, 30, 8, 0, 0) / 1000;
let srv, A, B, C, svc;

// What the widget does: find n with SHA-256(salt + n) == challenge, send base64(JSON) as X-Altcha.
export function solve(ch) {
  for (let n = 0; n <= ch.maxnumber; n++) {
    if (createHash('sha256').update(ch.salt + n).digest('hex') === ch.challenge) {
      const { algorithm, challenge, salt, signature } = ch;
      return Buffer.from(JSON.stringify({ algorithm, challenge, number: n, salt, signature })).toString('base64');
    }
  }
  throw new Error('no solution');
}

async function solved(t) {
  const r = await t.widget('GET', '/v1/widget/challenge');
  assert.equal(r.status, 200, r.text);
  return solve(r.json);
}

const start = (t, altcha) => t.widget('POST', '/v1/widget/conversations', { body: {}, headers: altcha ? { 'x-altcha': altcha } : {} });

async function setMode(t, challenge) {
  const r = await t.admin('PATCH', '/v1/admin/settings', { widget: { challenge } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.settings.widget.challenge, challenge);
}

function refused(r, re) {
  assert.equal(r.status, 428, r.text);
  assert.equal(errorCode(r), 'challenge_required');
  if (re) assert.match(r.json.error.message, re);
}

before(async () => {
  srv = await startServer({ env: { BOOKCHAT_TEST_NOW: String(NOW), BOOKCHAT_ACCESS_LOG: 'off', BOOKCHAT_CHALLENGE_AUTO_RATE: '10', BOOKCHAT_CHALLENGE_AUTO_VISITORS: '1' } });
  A = await makeTenant(srv, { name: 'Guarded', plan: 'BUSINESS' });
  B = await makeTenant(srv, { name: 'Other', plan: 'BUSINESS' });
  C = await makeTenant(srv, { name: 'Busy', plan: 'BUSINESS' });
  for (const t of [A, B, C]) await srv.platform('PATCH', `/v1/platform/tenants/${t.id}`, { limits: { rate_per_s: 1000, burst: 1000 } });
  const s = await A.admin('POST', '/v1/admin/services', { name: 'Consulta', duration_min: 30 });
  svc = s.json.service.id;
  const p = await A.admin('POST', '/v1/admin/providers', { name: 'Ana', service_ids: [svc] });
  const weekly = [1, 2, 3, 4, 5].map((weekday) => ({ weekday, start: '09:00', end: '18:00' }));
  assert.equal((await A.admin('PUT', `/v1/admin/providers/${p.json.provider.id}/availability`, { weekly })).status, 200);
});
after(async () => { await srv.stop(); });

test('the challenge endpoint answers ALTCHA\'s format, bound to the tenant, signed, fresh each time', async () => {
  const r = await A.widget('GET', '/v1/widget/challenge');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  const c = r.json;
  assert.equal(c.algorithm, 'SHA-256');
  assert.match(c.challenge, /^[0-9a-f]{64}$/);
  assert.match(c.signature, /^[0-9a-f]{64}$/);
  assert.equal(c.maxnumber, 100000);
  const m = c.salt.match(/^[0-9a-f]{24}\?expires=(\d+)&tenant=(.+)$/);
  assert.ok(m, c.salt);
  assert.equal(m[2], A.id);
  assert.ok(Number(m[1]) > NOW && Number(m[1]) <= NOW + 700, 'expires in about 10 minutes');
  const again = await A.widget('GET', '/v1/widget/challenge');
  assert.notEqual(again.json.challenge, c.challenge);
  assert.equal((await srv.get('/v1/widget/challenge')).status, 401, 'needs the widget key');
  // the widget learns the mode from its config; the preflight allows the header
  assert.equal((await A.widget('GET', '/v1/widget/config')).json.challenge, 'auto');
  const pre = await srv.req('OPTIONS', '/v1/widget/conversations', { headers: { origin: A.origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-altcha' } });
  assert.match(pre.headers.get('access-control-allow-headers'), /X-Altcha/);
});

test('"always": a new conversation, hold or booking needs a solution, each solution once', async () => {
  await setMode(A, 'always');
  assert.equal((await A.widget('GET', '/v1/widget/config')).json.challenge, 'always');
  refused(await start(A), /challenge/);
  const sol = await solved(A);
  const ok = await start(A, sol);
  assert.equal(ok.status, 201, ok.text);
  refused(await start(A, sol), /already used/);

  // tampered: the signature of another challenge, a number that does not solve it, garbage
  const good = JSON.parse(Buffer.from(await solved(A), 'base64'));
  const other = (await A.widget('GET', '/v1/widget/challenge')).json;
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64');
  refused(await start(A, enc({ ...good, signature: other.signature })), /signature/);
  refused(await start(A, enc({ ...good, number: good.number + 1 })), /does not solve/);
  refused(await start(A, 'bm90IGpzb24='));
  refused(await start(A, 'x'.repeat(5000)));
  // the untouched one still works (a refused attempt does not spend it)
  assert.equal((await start(A, enc(good))).status, 201);

  // another tenant's solution
  refused(await start(A, await solved(B)), /another business/);

  // holds and bookings too; staff bookings never
  const slot = { service_id: svc, start: '2026-12-01T10:00:00+01:00' };
  refused(await A.widget('POST', '/v1/widget/holds', { body: slot }));
  const hold = await A.widget('POST', '/v1/widget/holds', { body: slot, headers: { 'x-altcha': await solved(A) } });
  assert.equal(hold.status, 201, hold.text);
  const booking = { ...slot, start: '2026-12-01T11:00:00+01:00', customer: { name: 'Marta Ruiz', email: 'marta@example.com' } };
  refused(await A.widget('POST', '/v1/widget/bookings', { body: booking }));
  const b = await A.widget('POST', '/v1/widget/bookings', { body: booking, headers: { 'x-altcha': await solved(A) } });
  assert.equal(b.status, 201, b.text);
  const staff = await A.admin('POST', '/v1/admin/bookings', { ...booking, start: '2026-12-01T12:00:00+01:00' });
  assert.equal(staff.status, 201, staff.text);
  // the messages of a conversation already started are not guarded
  const conv = ok.json.conversation;
  const msg = await A.widget('POST', `/v1/widget/conversations/${conv.id}/messages`, { body: { text: 'hola' }, headers: { 'x-conversation-token': conv.token } });
  assert.equal(msg.status, 200, msg.text);
  // every refusal above is counted in /metrics, without a tenant label
  const m = await srv.get('/metrics', { headers: { authorization: `Bearer ${PLATFORM_TOKEN}` } });
  const line = m.text.split('\n').find((l) => l.startsWith('bookchat_limited_total{limit="challenge_required"}'));
  assert.ok(line, 'the challenge refusals have their series');
  assert.ok(Number(line.split(' ')[1]) >= 9, line);
  assert.ok(!/challenge_required.*tenant/.test(line));
});

test('"off" needs no solution; bad values of the setting are refused', async () => {
  await setMode(A, 'off');
  for (let i = 0; i < 3; i++) assert.equal((await start(A)).status, 201);
  const bad = await A.admin('PATCH', '/v1/admin/settings', { widget: { challenge: 'never' } });
  assert.equal(bad.status, 400);
  assert.match(bad.json.error.message, /widget\.challenge/);
  assert.equal((await A.admin('GET', '/v1/admin/settings')).json.settings.widget.challenge, 'off');
});

test('"auto": a burst of new conversations turns the challenge on for that tenant only', async () => {
  assert.equal((await C.widget('GET', '/v1/widget/config')).json.challenge, 'auto', 'the default');
  const statuses = [];
  for (let i = 0; i < 14; i++) statuses.push((await start(C)).status);
  // challenge_auto_rate 10 for this server: the tenth guarded request of the minute is the attack's first
  assert.deepEqual(statuses.slice(0, 9), Array(9).fill(201), statuses.join());
  assert.deepEqual(statuses.slice(9), Array(5).fill(428), statuses.join());
  // a solution gets through; the quiet tenant is not affected
  assert.equal((await start(C, await solved(C))).status, 201);
  assert.equal((await start(B)).status, 201);
});

test('an expired solution is refused', async () => {
  await setMode(A, 'always');
  const sol = await solved(A);
  const r = await srv.post('/v1/test/clock', { advance_s: 601 });
  assert.equal(r.status, 200, r.text);
  refused(await start(A, sol), /expired/);
});

test('"auto": one visitor alone is not an attack (challenge_auto_visitors, default 3)', async () => {
  const one = await startServer({ env: { BOOKCHAT_ACCESS_LOG: 'off', BOOKCHAT_CHALLENGE_AUTO_RATE: '5' } });
  try {
    const T = await makeTenant(one, { name: 'Solo', plan: 'BUSINESS' });
    await one.platform('PATCH', `/v1/platform/tenants/${T.id}`, { limits: { rate_per_s: 1000, burst: 1000 } });
    const statuses = [];
    for (let i = 0; i < 15; i++) statuses.push((await start(T)).status);
    assert.deepEqual(statuses, Array(15).fill(201));
  } finally {
    await one.stop();
  }
});
