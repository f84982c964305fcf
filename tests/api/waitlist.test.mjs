// The waitlist (docs/waitlist.md): joining and its bad input, an offer on a cancellation (the e-mail caught by
// the test SMTP server, the signed webhook), accepting it (once), expiry on the test clock passing the offer
// to the next entry, a reschedule and a removed closure freeing time, staff removal, and a direct booking
// racing an offer's acceptance (never both).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { startServer, makeTenant, makeUser, errorCode, must, cli, waitFor } from './harness.mjs';
import { startMailCatcher } from './lib/mailcatcher.mjs';

async function hookReceiver() {
  const h = { calls: [] };
  h.server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      h.calls.push({ headers: req.headers, body });
      res.end('ok');
    });
  });
  await new Promise((r) => h.server.listen(0, '127.0.0.1', r));
  h.url = `http://127.0.0.1:${h.server.address().port}/hook`;
  h.stop = () => new Promise((r) => h.server.close(r));
  return h;
}


// A store of the test's own on DynamoDB (its notification and waitlist queues are global to a table).
async function ownStore() {
  const base = process.env.BOOKCHAT_STORE;
  if (!base || !base.startsWith('dynamodb:')) return {};
  const store = base.replace(/^dynamodb:\/\/[^?]+/, `dynamodb://bc-wait-${Math.random().toString(36).slice(2, 10)}`);
  const r = await cli(['store', 'init', '--store', store]);
  assert.equal(r.code, 0, r.stderr);
  return { store };
}

const day = (n) => new Date(Date.now() + n * 86400e3).toISOString().slice(0, 10);

let smtp, hooks, srv, T, other, S, P, hookSecret, dayN = 3;
before(async () => {
  smtp = await startMailCatcher();
  hooks = await hookReceiver();
  srv = await startServer({
    ...(await ownStore()),
    env: { BOOKCHAT_SMTP_URL: smtp.url, BOOKCHAT_MAIL_FROM: 'citas@bookchat.test', BOOKCHAT_WEBHOOK_ALLOW_PRIVATE: 'true', BOOKCHAT_DISPATCHER: 'on', BOOKCHAT_PUBLIC_URL: 'https://book.example.com' },
  });
  T = await makeTenant(srv, { name: 'Spa Aurora', locale: 'en', timezone: 'UTC' });
  other = await makeTenant(srv, { name: 'Other', timezone: 'UTC' });
  await must(srv.platform('PATCH', `/v1/platform/tenants/${T.id}`, { limits: { rate_per_s: 100000, burst: 100000, providers: 10 } }), 'limits');
  // one professional, one hour a day, one-hour service: one time a day, easy to fill
  S = (await must(T.admin('POST', '/v1/admin/services', { name: 'Massage', duration_min: 60 }), 'service')).service.id;
  P = (await must(T.admin('POST', '/v1/admin/providers', { name: 'Eva', service_ids: [S] }), 'provider')).provider.id;
  const weekly = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '09:00', end: '10:00' }));
  await must(T.admin('PUT', `/v1/admin/providers/${P}/availability`, { weekly }), 'hours');
  await must(T.admin('PATCH', '/v1/admin/settings', { booking: { slot_step_min: 60, waitlist_offer_min: 1 } }), 'settings');
  const h = await must(T.admin('POST', '/v1/admin/webhooks', { url: hooks.url, events: ['waitlist.offered'] }), 'webhook');
  hookSecret = h.webhook.secret;
});
after(async () => {
  await srv?.stop();
  await smtp?.stop();
  await hooks?.stop();
});

// The one time of a fresh date, booked by a filler customer: the day is full. Returns {date, start, booking}.
async function fullDay() {
  const date = day(dayN++);
  const av = await T.widget('GET', `/v1/widget/availability?service_id=${S}&provider_id=any&from=${date}&to=${date}`);
  assert.equal(av.status, 200, av.text);
  assert.equal(av.json.slots.length, 1, av.text);
  const start = av.json.slots[0].start;
  const b = await T.widget('POST', '/v1/widget/bookings', { body: { service_id: S, provider_id: P, start, customer: { name: 'Filler', email: `filler-${date}@example.com` } } });
  assert.equal(b.status, 201, b.text);
  return { date, start, booking: b.json.booking };
}

async function join(date, who, extra = {}) {
  const r = await T.widget('POST', '/v1/widget/waitlist', { body: { service_id: S, date, customer: { name: who, email: `${who}@example.com` }, ...extra } });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.waitlist.status, 'waiting');
  return r.json.waitlist.id;
}

const list = async (date) => (await must(T.admin('GET', `/v1/admin/waitlist?date=${date}`), 'list')).items;
const entry = async (date, id) => (await list(date)).find((e) => e.id === id);
const cancel = (b) => must(T.admin('PATCH', `/v1/admin/bookings/${b.id}`, { status: 'cancelled' }), 'cancel');

// The offer's e-mail to who, and the token of its accept link.
async function offerMail(who, id) {
  const m = await smtp.waitFor((x) => x.envelope.rcptTo.includes(`${who}@example.com`) && x.mail.text.includes(id), 10000);
  const link = m.mail.text.match(/https:\/\/book\.example\.com\/manage\/\?waitlist=\S+/);
  assert.ok(link, m.mail.text);
  const u = new URL(link[0]);
  assert.equal(u.searchParams.get('waitlist'), id);
  return { mail: m.mail, token: u.searchParams.get('token') };
}

const accept = (id, token) => srv.post(`/v1/widget/waitlist/${id}/accept`, { token });

test('joining: the entry is listed for staff; bad input and foreign ids are refused with nothing stored', async () => {
  const date = day(2);
  const id = await join(date, 'ana', { window: { from: '08:00', to: '12:00' }, lang: 'es' });
  let items = await list(date);
  assert.equal(items.length, 1);
  assert.equal(items[0].id, id);
  assert.deepEqual(items[0].window, { from: '08:00', to: '12:00' });
  assert.equal(items[0].customer.email, 'ana@example.com');
  const foreignSvc = (await must(other.admin('POST', '/v1/admin/services', { name: 'X', duration_min: 30 }), 'svc')).service.id;
  const lonely = (await must(T.admin('POST', '/v1/admin/providers', { name: 'Lonely', service_ids: [] }), 'pro')).provider.id;
  const c = { name: 'Bea', email: 'bea@example.com' };
  const bad = [
    [{ service_id: 'NOPE00000000000000000000000', date, customer: c }, 404],
    [{ service_id: foreignSvc, date, customer: c }, 404],
    [{ service_id: S, provider_id: 'NOPE00000000000000000000000', date, customer: c }, 404],
    [{ service_id: S, provider_id: lonely, date, customer: c }, 400],
    [{ service_id: S, date: '2026-13-01', customer: c }, 400],
    [{ service_id: S, date: '2020-01-01', customer: c }, 400],
    [{ service_id: S, date: day(400), customer: c }, 400],
    [{ service_id: S, date: 'tomorrow!!', customer: c }, 400],
    [{ service_id: S, date, window: { from: '12:00', to: '09:00' }, customer: c }, 400],
    [{ service_id: S, date, window: { from: '9:00', to: '12:00' }, customer: c }, 400],
    [{ service_id: S, date, window: { from: '09:00' }, customer: c }, 400],
    [{ service_id: S, date, customer: { name: 'Bea' } }, 400],
    [{ service_id: S, date, customer: { name: 'Bea', email: 'not-an-address' } }, 400],
    [{ service_id: S, date, customer: { name: 'Bea\r\nBcc: x@y.z', email: 'bea@example.com' } }, 400],
    [{ service_id: S, date, customer: c, extra: 1 }, 400],
    [{ service_id: S, customer: c }, 400],
    [{ service_id: S, date, customer: { name: 'Ana', email: 'ANA@example.com' } }, 409], // already waiting
  ];
  for (const [body, status] of bad) {
    const r = await T.widget('POST', '/v1/widget/waitlist', { body });
    assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
    errorCode(r);
  }
  items = await list(date);
  assert.equal(items.length, 1, 'nothing stored by bad input');
  // the other tenant sees nothing; a viewer lists but cannot remove; bad dates are a 400
  assert.equal((await must(other.admin('GET', `/v1/admin/waitlist?date=${date}`), 'other')).items.length, 0);
  assert.equal((await other.admin('DELETE', `/v1/admin/waitlist/${id}`)).status, 404);
  const v = await makeUser(srv, T, 'viewer');
  assert.equal((await v.admin('GET', `/v1/admin/waitlist?date=${date}`)).status, 200);
  assert.equal((await v.admin('DELETE', `/v1/admin/waitlist/${id}`)).status, 403);
  assert.equal((await T.admin('GET', '/v1/admin/waitlist?date=yesterday')).status, 400);
  assert.equal((await T.admin('GET', '/v1/admin/waitlist')).status, 400);
  // the offer time setting: 1..1440 minutes
  for (const v of [0, 1441, '15', null]) assert.equal((await T.admin('PATCH', '/v1/admin/settings', { booking: { waitlist_offer_min: v } })).status, 400, String(v));
  assert.equal((await must(T.admin('GET', '/v1/admin/settings'), 'settings')).settings.booking.waitlist_offer_min, 1);
  // no widget key: refused
  assert.equal((await T.widget('POST', '/v1/widget/waitlist', { body: bad[0][0], key: 'pk_live_nope' })).status, 401);
  // staff remove it
  assert.equal((await T.admin('DELETE', `/v1/admin/waitlist/${id}`)).status, 204);
  assert.equal((await entry(date, id)).status, 'removed');
});

test('a flood by one visitor stops at the per-visitor cap', async () => {
  const s2 = await startServer({ env: { BOOKCHAT_VISITOR_LIMITS: 'on', BOOKCHAT_VISITOR_WAITLIST_DAY: '3' } });
  try {
    const t = await makeTenant(s2, { timezone: 'UTC' });
    await s2.platform('PATCH', `/v1/platform/tenants/${t.id}`, { limits: { rate_per_s: 1000, burst: 1000 } });
    const svc = (await must(t.admin('POST', '/v1/admin/services', { name: 'Cut', duration_min: 30 }), 'svc')).service.id;
    const codes = [];
    for (let i = 0; i < 6; i++) {
      const r = await t.widget('POST', '/v1/widget/waitlist', { body: { service_id: svc, date: day(1 + i), customer: { name: `F${i}`, email: `f${i}@example.com` } } });
      codes.push(r.status);
      if (r.status === 429) {
        assert.equal(errorCode(r), 'visitor_waitlist_limited');
        assert.ok(Number(r.headers.get('retry-after')) > 0);
      }
    }
    assert.deepEqual(codes, [201, 201, 201, 429, 429, 429]);
    let stored = 0;
    for (let i = 0; i < 6; i++) stored += (await must(t.admin('GET', `/v1/admin/waitlist?date=${day(1 + i)}`), 'l')).items.length;
    assert.equal(stored, 3);
  } finally {
    await s2.stop();
  }
});

test('a cancellation offers the time to the first entry: e-mail, signed webhook; accepting books it, once', async () => {
  const { date, start, booking } = await fullDay();
  const a = await join(date, 'alba');
  const b = await join(date, 'bruno');
  assert.equal((await entry(date, a)).status, 'waiting');
  const before = hooks.calls.length;
  await cancel(booking);
  const ea = await entry(date, a);
  assert.equal(ea.status, 'offered');
  assert.equal(ea.offer.start, start);
  assert.equal(ea.offer.provider_id, P);
  assert.equal((await entry(date, b)).status, 'waiting', 'one freed time, one customer');
  // the e-mail, with the accept link
  const { mail, token } = await offerMail('alba', a);
  assert.match(mail.subject, /freed up/);
  assert.match(mail.html, /Book this time/);
  // the webhook: signed, no token and no hold in it
  const call = await waitFor('the webhook', () => hooks.calls.slice(before).find((c) => c.body.includes(a)));
  const payload = new Webhook(hookSecret).verify(call.body, call.headers);
  assert.equal(payload.type, 'waitlist.offered');
  assert.equal(payload.data.waitlist.id, a);
  assert.equal(payload.data.waitlist.status, 'offered');
  assert.equal(payload.data.waitlist.offer.start, start);
  assert.ok(!call.body.includes(token), 'the accept token stays out of webhooks');
  assert.ok(!call.body.includes('hold_id'));
  // the held time is not bookable directly
  const direct = await T.widget('POST', '/v1/widget/bookings', { body: { service_id: S, provider_id: P, start, customer: { name: 'Sly', email: 'sly@example.com' } } });
  assert.equal(direct.status, 409, direct.text);
  assert.equal(errorCode(direct), 'slot_unavailable');
  // a wrong token, another entry's id, a token of another tenant: not found
  assert.equal((await accept(a, token.slice(0, -2) + (token.endsWith('xx') ? 'yy' : 'xx'))).status, 404);
  assert.equal((await accept(b, token)).status, 404);
  assert.equal((await accept(a, 'bm9wZQ.AAAAAAAAAAAAAAAAAAAAAA')).status, 404);
  assert.equal((await srv.post(`/v1/widget/waitlist/${a}/accept`, {})).status, 400);
  // accept: booked at the offered time
  const ok = await accept(a, token);
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.json.booking.start, start);
  assert.equal(ok.json.booking.status, 'confirmed');
  assert.equal(ok.json.booking.customer.email, 'alba@example.com');
  assert.ok(ok.json.booking.manage_token);
  const done = await entry(date, a);
  assert.equal(done.status, 'booked');
  assert.equal(done.booking_id, ok.json.booking.id);
  // twice: refused, nothing changed
  const again = await accept(a, token);
  assert.equal(again.status, 409, again.text);
  errorCode(again);
  const bookings = (await must(T.admin('GET', `/v1/admin/bookings?from=${date}&to=${date}&status=confirmed`), 'bookings')).items;
  assert.equal(bookings.length, 1);
  assert.equal(bookings[0].id, ok.json.booking.id);
  assert.equal((await entry(date, b)).status, 'waiting');
});

test('silence: the offer expires and passes to the next entry; accepting after expiry is refused', async () => {
  const { date, start, booking } = await fullDay();
  const a = await join(date, 'carla');
  const b = await join(date, 'dario');
  await cancel(booking);
  assert.equal((await entry(date, a)).status, 'offered');
  const { token } = await offerMail('carla', a);
  await srv.post('/v1/test/clock', { advance_s: 61 }); // waitlist_offer_min is 1
  await waitFor('the offer to pass on', async () => (await entry(date, b)).status === 'offered');
  assert.equal((await entry(date, a)).status, 'expired');
  const late = await accept(a, token);
  assert.equal(late.status, 410, late.text);
  assert.equal(errorCode(late), 'gone');
  const next = await offerMail('dario', b);
  assert.equal((await entry(date, b)).offer.start, start);
  // staff remove the offered entry: its time is free again (nobody else waits)
  assert.equal((await T.admin('DELETE', `/v1/admin/waitlist/${b}`)).status, 204);
  assert.equal((await entry(date, b)).status, 'removed');
  assert.equal((await accept(b, next.token)).status, 410);
  const direct = await T.widget('POST', '/v1/widget/bookings', { body: { service_id: S, provider_id: P, start, customer: { name: 'Eli', email: 'eli@example.com' } } });
  assert.equal(direct.status, 201, direct.text);
});

test('a reschedule away from a time and a removed closure free time for the waitlist', async () => {
  const full = await fullDay();
  const a = await join(full.date, 'elena');
  const to = day(dayN++);
  const moved = await T.admin('PATCH', `/v1/admin/bookings/${full.booking.id}`, { start: `${to}T09:00:00+00:00` });
  assert.equal(moved.status, 200, moved.text);
  assert.equal((await entry(full.date, a)).status, 'offered');
  // a closed day: nothing free, a customer waits; the closure goes, the offer comes
  const closed = day(dayN++);
  const ex = await must(T.admin('POST', '/v1/admin/exceptions', { provider_id: null, from: closed, to: closed, kind: 'closed', start: null, end: null, reason: 'Inventory' }), 'exception');
  const av = await T.widget('GET', `/v1/widget/availability?service_id=${S}&provider_id=any&from=${closed}&to=${closed}`);
  assert.equal(av.json.slots.length, 0);
  const c = await join(closed, 'fabio');
  assert.equal((await entry(closed, c)).status, 'waiting');
  assert.equal((await T.admin('DELETE', `/v1/admin/exceptions/${ex.exception.id}`)).status, 204);
  const e = await entry(closed, c);
  assert.equal(e.status, 'offered');
  assert.equal(e.offer.start, `${closed}T09:00:00+00:00`);
});

test('a direct booking racing an offer acceptance: never both', async () => {
  for (let round = 0; round < 3; round++) {
    const { date, start, booking } = await fullDay();
    const who = `gala${round}`;
    const a = await join(date, who);
    await cancel(booking);
    const { token } = await offerMail(who, a);
    const direct = Array.from({ length: 6 }, (_, i) => T.widget('POST', '/v1/widget/bookings', { body: { service_id: S, provider_id: P, start, customer: { name: 'Racer', email: `racer${round}-${i}@example.com` } } }));
    const acc = [accept(a, token), accept(a, token)];
    const res = await Promise.all([...acc, ...direct]);
    const wins = res.filter((r) => r.status === 201);
    assert.equal(wins.length, 1, res.map((r) => `${r.status} ${r.text.slice(0, 80)}`).join('\n'));
    assert.ok(res.slice(0, 2).some((r) => r.status === 201), 'the held time goes to the accepted offer');
    for (const r of res) if (r.status !== 201) assert.equal(r.status, 409, r.text);
    const bookings = (await must(T.admin('GET', `/v1/admin/bookings?from=${date}&to=${date}&status=confirmed`), 'bookings')).items;
    assert.equal(bookings.length, 1);
    assert.equal(bookings[0].customer.email, `${who}@example.com`);
  }
});

// A conversation of the widget: tap(payload) / say(text); the last answer's messages and quick replies.
async function chat(t, locale) {
  const r = await t.widget('POST', '/v1/widget/conversations', { body: { locale } });
  assert.equal(r.status, 201, r.text);
  const { id, token } = r.json.conversation;
  const c = { id, token, last: r.json.messages };
  const send = async (body) => {
    const res = await t.widget('POST', `/v1/widget/conversations/${id}/messages`, { body, headers: { 'x-conversation-token': token } });
    assert.equal(res.status, 200, res.text);
    c.last = res.json.messages;
    return c;
  };
  c.tap = (action) => send({ action });
  c.say = (text) => send({ text });
  c.text = () => c.last.map((m) => m.text).join('\n');
  c.replies = () => c.last.flatMap((m) => m.quick_replies || []);
  c.transcript = async () => (await must(t.widget('GET', `/v1/widget/conversations/${id}`, { headers: { 'x-conversation-token': token } }), 'transcript')).messages;
  return c;
}

for (const [locale, label, joined, offerWords] of [
  ['es', 'Avisadme si se libera', /estás en la lista de espera/, /Se ha liberado una hora/],
  ['en', 'Tell me if a time frees up', /you're on the waitlist/, /A time has freed up/],
]) {
  test(`the chat (${locale}) offers the waitlist of a full day, joins, and gets the offer back in the open conversation`, async () => {
    const { date, start, booking } = await fullDay();
    const c = await chat(T, locale);
    await c.tap(`svc:${S}`);
    await c.tap(`day:${date}`);
    const q = c.replies().find((x) => x.label === label);
    assert.ok(q, `${c.text()} ${JSON.stringify(c.replies())}`);
    assert.equal(q.payload, `waitlist:${date}`);
    await c.tap(q.payload);
    await c.say(`Hugo ${locale}`);
    await c.say(`hugo-${locale}@example.com`);
    assert.match(c.text(), joined);
    const e = (await list(date)).find((x) => x.customer.email === `hugo-${locale}@example.com`);
    assert.ok(e, 'joined');
    assert.equal(e.source, 'chat');
    assert.equal(e.lang, locale);
    // a payload with a bad date or window changes nothing
    for (const bad of ['waitlist:2026-02-30', 'waitlist:nope', `waitlist:${date}|10:00|09:00`]) {
      await c.tap(bad);
      assert.equal((await list(date)).length, 1, bad);
    }
    await cancel(booking);
    assert.equal((await entry(date, e.id)).status, 'offered');
    const msgs = await c.transcript();
    const offer = msgs.find((m) => m.waitlist_offer);
    assert.ok(offer, JSON.stringify(msgs.slice(-2)));
    assert.match(offer.text, offerWords);
    const u = new URL(offer.waitlist_offer.path, srv.url);
    assert.equal(u.pathname, '/manage/');
    assert.equal(u.searchParams.get('waitlist'), e.id);
    const ok = await accept(e.id, u.searchParams.get('token'));
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.json.booking.start, start);
    // the e-mail in the customer's language
    const m = await smtp.waitFor((x) => x.envelope.rcptTo.includes(`hugo-${locale}@example.com`) && x.mail.text.includes(e.id), 10000);
    assert.match(m.mail.subject, locale === 'es' ? /Se ha liberado/ : /freed up/);
  });
}

test('a window with nothing free offers the waitlist of that window', async () => {
  const date = day(dayN++); // 09:00 is free, the afternoon is not
  const c = await chat(T, 'en');
  await c.tap(`svc:${S}`);
  await c.tap(`day:${date}`);
  await c.say('between 4 pm and 6 pm');
  assert.match(c.text(), /nothing free/i);
  const q = c.replies().find((x) => x.payload.startsWith('waitlist:'));
  assert.ok(q, JSON.stringify(c.replies()));
  assert.equal(q.payload, `waitlist:${date}|16:00|18:00`);
  await c.tap(q.payload);
  await c.say('Iris');
  await c.say('iris@example.com');
  const e = (await list(date)).find((x) => x.customer.email === 'iris@example.com');
  assert.deepEqual(e.window, { from: '16:00', to: '18:00' });
});

test('two processes on one store pass an expired offer on once', async () => {
  // a second serve process on the same store: both run the expiry worker (leased timers, version-checked
  // entries), so the next entry gets one offer and the one after it none
  const second = await startServer({ ...(srv.opts.store ? { store: srv.opts.store } : { dataDir: srv.dataDir }), env: srv.opts.env });
  try {
    const { date, booking } = await fullDay();
    const a = await join(date, 'jana');
    const b = await join(date, 'kike');
    const c = await join(date, 'lola');
    await cancel(booking);
    assert.equal((await entry(date, a)).status, 'offered');
    await Promise.all([srv.post('/v1/test/clock', { advance_s: 61 }), second.post('/v1/test/clock', { advance_s: 61 })]);
    await waitFor('the offer to pass on', async () => (await entry(date, b)).status === 'offered');
    await new Promise((r) => setTimeout(r, 2500)); // both workers have passed over the timer by now
    const eb = await entry(date, b);
    assert.equal(eb.offers, 1);
    assert.equal((await entry(date, a)).status, 'expired');
    assert.equal((await entry(date, c)).status, 'waiting');
    await offerMail('kike', b);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(smtp.messages.filter((m) => m.envelope.rcptTo.includes('kike@example.com')).length, 1, 'one e-mail');
  } finally {
    await second.stop();
  }
});
