// The public widget cannot be abused by one visitor (docs/security.md, "Widget abuse"): the visitor is the
// client address, here simulated from loopback with trusted_proxies = 127.0.0.1/32 and X-Forwarded-For.
// One visitor flooding a FREE tenant is stopped long before its monthly quota, while another visitor on the
// same key chats and books normally; one contact cannot book more than the daily cap; each limit answers 429
// with Retry-After and its own code, and shows in /metrics and the tenant's health. Also the security
// headers of every answer and page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, errorCode, makeTenant, PLATFORM_TOKEN } from './harness.mjs';

// Monday 2026-11-30 08:00 UTC; the tenant is in Europe/Madrid
const NOW = Date.UTC(2026, 10, 30, 8, 0, 0) / 1000;
let srv, T, svc, pro;

const as = (ip) => ({ 'x-forwarded-for': ip });
const w = (t, ip, method, path, body, headers = {}) => t.widget(method, path, { body, headers: { ...as(ip), ...headers } });

async function catalog(t) {
  const s = await t.admin('POST', '/v1/admin/services', { name: 'Corte', duration_min: 30 });
  assert.equal(s.status, 201, s.text);
  const p = await t.admin('POST', '/v1/admin/providers', { name: 'Ana', service_ids: [s.json.service.id] });
  assert.equal(p.status, 201, p.text);
  const weekly = [];
  for (let d = 1; d <= 5; d++) weekly.push({ weekday: d, start: '09:00', end: '19:00' });
  const h = await t.admin('PUT', `/v1/admin/providers/${p.json.provider.id}/availability`, { weekly });
  assert.equal(h.status, 200, h.text);
  return { svc: s.json.service.id, pro: p.json.provider.id };
}

// the free times of a day, as the widget sees them
const slots = async (ip, date) => {
  const r = await w(T, ip, 'GET', `/v1/widget/availability?service_id=${svc}&provider_id=${pro}&from=${date}&to=${date}`);
  assert.equal(r.status, 200, r.text);
  return r.json.slots.map((s) => s.start);
};
// free times that do not overlap one another (the 30-minute service is offered every 15 minutes)
const apart = (starts) => {
  const out = [];
  for (const s of starts) if (!out.length || Date.parse(s) - Date.parse(out.at(-1)) >= 30 * 60000) out.push(s);
  return out;
};
let day = 1; // each test books on its own December day, so times never collide
const book = (ip, start, customer) =>
  w(T, ip, 'POST', '/v1/widget/bookings', { service_id: svc, provider_id: pro, start, customer });

function assertLimited(r, code) {
  assert.equal(r.status, 429, r.text);
  assert.equal(errorCode(r), code);
  assert.ok(Number(r.headers.get('retry-after')) >= 1, 'Retry-After');
}

before(async () => {
  srv = await startServer({
    env: {
      BOOKCHAT_TEST_NOW: String(NOW),
      BOOKCHAT_VISITOR_LIMITS: 'on',
      BOOKCHAT_TRUSTED_PROXIES: '127.0.0.1/32',
    },
  });
  T = await makeTenant(srv, { name: 'Barbería', plan: 'FREE', timezone: 'Europe/Madrid' });
  ({ svc, pro } = await catalog(T));
});
after(async () => { await srv.stop(); });

test('one visitor flooding a FREE tenant is stopped far below the quota; another visitor chats and books', async () => {
  const flooder = '203.0.113.66';
  let sent = 0, refused = 0;
  const codes = new Set();
  // as fast as it can: new conversations and messages in each, 400 attempts in all
  for (let attempt = 0; attempt < 400;) {
    const c = await w(T, flooder, 'POST', '/v1/widget/conversations', {});
    attempt++;
    if (c.status !== 201) {
      assert.equal(c.status, 429, c.text);
      codes.add(errorCode(c));
      refused++;
      continue;
    }
    const { id, token } = c.json.conversation;
    for (let i = 0; i < 60 && attempt < 400; i++, attempt++) {
      const m = await w(T, flooder, 'POST', `/v1/widget/conversations/${id}/messages`, { text: `spam ${i}` }, { 'x-conversation-token': token });
      if (m.status === 200) { sent++; continue; }
      assert.equal(m.status, 429, m.text);
      assert.ok(Number(m.headers.get('retry-after')) >= 1);
      codes.add(errorCode(m));
      refused++;
    }
  }
  assert.ok(refused > 300, `most of the flood is refused (${refused})`);
  // a person on the same key at the same moment: chats and books normally
  const person = '198.51.100.7';
  const c = await w(T, person, 'POST', '/v1/widget/conversations', {});
  assert.equal(c.status, 201, c.text);
  const m = await w(T, person, 'POST', `/v1/widget/conversations/${c.json.conversation.id}/messages`, { text: 'hola' }, { 'x-conversation-token': c.json.conversation.token });
  assert.equal(m.status, 200, m.text);
  const date = `2026-12-0${day++}`;
  const free = await slots(person, date);
  const b = await book(person, free[0], { name: 'Marta Ruiz', email: 'marta@example.com' });
  assert.equal(b.status, 201, b.text);
  // the quota: the flood spent only a small share of the 500 messages of the month
  assert.equal((await srv.post('/v1/test/usage/flush', {})).status, 200);
  const u = await T.admin('GET', '/v1/admin/usage?month=2026-11');
  assert.equal(u.status, 200, u.text);
  const used = u.json.usage.totals.messages;
  assert.ok(used <= 61 && used === sent + 1, `messages counted ${used}, the flooder's ${sent}`);
  assert.ok(sent <= 60, `the flooder sent ${sent} messages, far below 500`);
  assert.ok([...codes].every((k) => k.endsWith('_limited') || k === 'conversation_too_long'), [...codes].join());
});

test('with a large key bucket, a visitor is still held to its day of messages: a small share of the quota', async () => {
  // from here on the key's bucket is large (its visitor share too), so what stops a visitor is its own caps
  const p = await srv.platform('PATCH', `/v1/platform/tenants/${T.id}`, { limits: { rate_per_s: 1000, burst: 1000 } });
  assert.equal(p.status, 200, p.text);
  const flooder = '203.0.113.99';
  let sent = 0;
  const codes = [];
  for (let conv = 0; conv < 7; conv++) {
    const c = await w(T, flooder, 'POST', '/v1/widget/conversations', {});
    if (c.status !== 201) { codes.push(errorCode(c)); continue; }
    const { id, token } = c.json.conversation;
    for (let i = 0; i < 15; i++) {
      const m = await w(T, flooder, 'POST', `/v1/widget/conversations/${id}/messages`, { text: `spam ${i}` }, { 'x-conversation-token': token });
      if (m.status === 200) sent++;
      else codes.push(errorCode(m));
    }
  }
  assert.equal(sent, 60, `the visitor's day of messages (${codes.join()})`);
  assert.ok(codes.includes('conversation_rate_limited'), 'a conversation is held to 12 a minute');
  assert.ok(codes.includes('visitor_messages_limited'), 'and the visitor to 60 a day');
});

test('one contact cannot book more than the daily cap, whatever the address, letter case or phone format', async () => {
  const date = `2026-12-0${day++}`;
  const free = apart(await slots('192.0.2.1', date));
  const tries = [
    ['192.0.2.1', { name: 'Luis', email: 'luis@example.com' }],
    ['192.0.2.2', { name: 'Luis', email: 'LUIS@Example.COM' }],
    ['192.0.2.3', { name: 'Luis', email: 'luis@example.com' }],
  ];
  const res = [];
  for (let i = 0; i < tries.length; i++) res.push(await book(tries[i][0], free[i], tries[i][1]));
  assert.equal(res[0].status, 201, res[0].text);
  assert.equal(res[1].status, 201, res[1].text);
  assertLimited(res[2], 'contact_bookings_limited');
  // the same for a phone, written two ways
  const p1 = await book('192.0.2.4', free[3], { name: 'Eva', phone: '+34 600 111 333' });
  const p2 = await book('192.0.2.5', free[4], { name: 'Eva', phone: '600111333' });
  const p3 = await book('192.0.2.6', free[5], { name: 'Eva', phone: '(+34) 600-111-333' });
  assert.equal(p1.status, 201, p1.text);
  assert.equal(p2.status, 201, p2.text);
  assertLimited(p3, 'contact_bookings_limited');
  // the refused ones took nothing: those times are still free
  const after = await slots('192.0.2.1', date);
  assert.ok(after.includes(free[2]) && after.includes(free[5]));
});

test('one visitor cannot hold or book more than its daily caps under invented names', async () => {
  const ip = '192.0.2.50', date = `2026-12-0${day++}`;
  const free = apart(await slots(ip, date));
  const made = [];
  for (let i = 0; i < 5; i++) made.push(await book(ip, free[i], { name: `Fake ${i}`, email: `fake${i}@example.com` }));
  assert.deepEqual(made.slice(0, 4).map((r) => r.status), [201, 201, 201, 201]);
  assertLimited(made[4], 'visitor_bookings_limited');
  const holds = [];
  const free2 = apart(await slots(ip, `2026-12-0${day++}`));
  for (let i = 0; i < 11; i++) holds.push(await w(T, ip, 'POST', '/v1/widget/holds', { service_id: svc, provider_id: pro, start: free2[i] }));
  assert.deepEqual(holds.slice(0, 10).map((r) => r.status), Array(10).fill(201), holds.map((r) => r.text).join('\n'));
  assertLimited(holds[10], 'visitor_holds_limited');
  // another visitor still books
  const other = await book('192.0.2.51', free[6], { name: 'Real', email: 'real@example.com' });
  assert.equal(other.status, 201, other.text);
});

test('the booking caps hold in the chat too: a contact at its cap cannot book by chatting from a new address', async () => {
  const chat = async (ip, when, name, email) => {
    const c = await w(T, ip, 'POST', '/v1/widget/conversations', { locale: 'es' });
    assert.equal(c.status, 201, c.text);
    const { id, token } = c.json.conversation;
    let r;
    for (const text of [`quiero un corte con Ana ${when}`, `Me llamo ${name}`, `mi email es ${email}`, 'sí, perfecto']) {
      r = await w(T, ip, 'POST', `/v1/widget/conversations/${id}/messages`, { text }, { 'x-conversation-token': token });
      assert.equal(r.status, 200, r.text);
    }
    return r.json;
  };
  // this contact booked twice through the widget (from other addresses) in the contact test
  const refused = await chat('192.0.2.130', 'el viernes a las 6 de la tarde', 'Luis', 'luis@example.com');
  assert.notEqual(refused.state, 'booked', JSON.stringify(refused.messages));
  const day = await T.admin('GET', '/v1/admin/bookings?from=2026-12-04&to=2026-12-04');
  assert.ok(!day.json.items.some((b) => b.customer.email === 'luis@example.com'), 'nothing booked for the contact');
  // another contact books by chat normally
  const ok = await chat('192.0.2.131', 'el viernes a las 5 de la tarde', 'Nuria', 'nuria@example.com');
  assert.equal(ok.state, 'booked', JSON.stringify(ok.messages));
});

test('a conversation has a pace and a length; a visitor a number of conversations per hour', async () => {
  const ip = '192.0.2.80';
  const c = await w(T, ip, 'POST', '/v1/widget/conversations', {});
  assert.equal(c.status, 201, c.text);
  const { id, token } = c.json.conversation;
  const res = [];
  for (let i = 0; i < 13; i++) res.push(await w(T, ip, 'POST', `/v1/widget/conversations/${id}/messages`, { text: `hola ${i}` }, { 'x-conversation-token': token }));
  assert.deepEqual(res.slice(0, 12).map((r) => r.status), Array(12).fill(200));
  assertLimited(res[12], 'conversation_rate_limited');
  const convs = [];
  for (let i = 0; i < 6; i++) convs.push(await w(T, ip, 'POST', '/v1/widget/conversations', {}));
  assert.deepEqual(convs.slice(0, 5).map((r) => r.status), Array(5).fill(201)); // 6 per hour, one above
  assertLimited(convs[5], 'visitor_conversations_hour_limited');
});

test('every refusal is counted by limit in /metrics, without tenant labels, and lowers the health score', async () => {
  const m = await srv.get('/metrics', { headers: { authorization: `Bearer ${PLATFORM_TOKEN}` } });
  assert.equal(m.status, 200);
  const count = (limit) => Number((m.text.match(new RegExp(`^bookchat_limited_total\\{limit="${limit}"\\} (\\d+)`, 'm')) || [])[1]);
  for (const l of ['contact_bookings_day', 'visitor_bookings_day', 'visitor_holds_day', 'conversation_message_rate', 'visitor_conversations_hour'])
    assert.ok(count(l) >= 1, `${l}: ${count(l)}`);
  assert.ok(count('visitor_requests') + count('visitor_messages_day') + count('conversation_messages') > 100);
  assert.doesNotMatch(m.text.split('\n').filter((l) => l.startsWith('bookchat_limited_total')).join('\n'), /tenant/);
  assert.equal((await srv.post('/v1/test/usage/flush', {})).status, 200);
  const h = await srv.platform('GET', '/v1/platform/health');
  assert.equal(h.status, 200, h.text);
  const row = h.json.items.find((x) => x.tenant_id === T.id);
  const abuse = row.reasons.find((r) => r.factor === 'abuse');
  assert.ok(abuse && abuse.penalty > 0 && abuse.value > 100, JSON.stringify(row.reasons));
});

test('security headers: nosniff and a Referrer-Policy on every answer, frame-ancestors on pages, HSTS on https', async () => {
  const api = await w(T, '192.0.2.90', 'GET', '/v1/widget/config');
  assert.equal(api.status, 200, api.text);
  const err = await srv.get('/v1/admin/me'); // an error answer too
  assert.equal(err.status, 401);
  for (const r of [api, err, await srv.get('/healthz')]) {
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(r.headers.get('referrer-policy'), 'strict-origin-when-cross-origin');
    assert.equal(r.headers.get('strict-transport-security'), null, 'no HSTS over plain http');
  }
  for (const [path, ancestors, xfo] of [['/admin/', "'none'", 'DENY'], ['/platform/', "'none'", 'DENY'], ['/demo/', "'self'", 'SAMEORIGIN'], ['/admin/preview.html', "'self'", 'SAMEORIGIN']]) {
    const p = await srv.get(path);
    assert.equal(p.status, 200, path);
    assert.match(p.headers.get('content-security-policy'), new RegExp(`frame-ancestors ${ancestors}(;|$)`), path);
    assert.equal(p.headers.get('x-frame-options'), xfo, path);
    assert.equal(p.headers.get('referrer-policy'), 'no-referrer', path);
    assert.equal(p.headers.get('x-content-type-options'), 'nosniff', path);
  }
  const https = await startServer({ env: { BOOKCHAT_PUBLIC_URL: 'https://book.example.com' } });
  try {
    for (const path of ['/healthz', '/admin/', '/v1/widget/config']) {
      const r = await https.get(path);
      assert.equal(r.headers.get('strict-transport-security'), 'max-age=31536000', path);
      assert.ok(r.headers.get('referrer-policy'), path);
    }
  } finally {
    await https.stop();
  }
});
