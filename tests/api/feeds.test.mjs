// Calendar subscription feeds (issue 19, PRODUCT.md section 12): GET /v1/feeds/{token}.ics with the token as
// the only credential, and the admin routes that show and re-create the URLs. Every feed is parsed back with
// an independent parser (Debian's python3-icalendar) and checked event by event against the bookings.
// The clock starts on Monday 2026-11-30 08:00 UTC; the tenant is in Europe/Madrid.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startServer, errorCode, makeTenant, makeUser, makeHaircutTeam } from './harness.mjs';

const NOW = Date.UTC(2026, 10, 30, 8, 0, 0) / 1000;
let srv, T, B, svc, ana, luis, bAna;
const urls = new Set();

// The feed as python3-icalendar reads it: the calendar's properties, its VTIMEZONEs and every VEVENT.
const PARSE = `
import sys, json
from icalendar import Calendar
cal = Calendar.from_ical(sys.stdin.buffer.read())
def t(v):
    return v.dt.isoformat() if v is not None else None
out = {"method": str(cal.get("method")), "version": str(cal.get("version")), "prodid": str(cal.get("prodid")),
       "tz": str(cal.get("x-wr-timezone")), "name": str(cal.get("x-wr-calname")), "zones": [], "events": []}
for c in cal.walk():
    if c.name == "VTIMEZONE":
        out["zones"].append(str(c.get("tzid")))
    if c.name == "VEVENT":
        out["events"].append({"uid": str(c.get("uid")), "summary": str(c.get("summary")),
            "description": str(c.get("description")) if c.get("description") is not None else None,
            "start": t(c.get("dtstart")), "end": t(c.get("dtend")), "stamp": t(c.get("dtstamp")),
            "modified": t(c.get("last-modified")), "sequence": int(c.get("sequence", 0)),
            "status": str(c.get("status")), "props": sorted(set(k for k in c.keys()))})
print(json.dumps(out))
`;
function parse(ics) {
  const r = spawnSync('/usr/bin/python3', ['-c', PARSE], { input: ics, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const iso = (s) => new Date(s).toISOString().replace('.000Z', '+00:00');

async function book(t, start, { service = svc, provider = ana, customer, notes } = {}) {
  const r = await t.widget('POST', '/v1/widget/bookings', {
    body: { service_id: service, provider_id: provider, start, customer: customer ?? { name: 'Eve Stone', email: 'eve@example.com', phone: '+34 600 111 222' }, notes },
  });
  assert.equal(r.status, 201, r.text);
  return r.json.booking;
}

async function feedUrl(t, scope, method = 'GET') {
  const r = await t.admin(method, scope === 'all' ? '/v1/admin/feed' : `/v1/admin/providers/${scope}/feed`);
  assert.equal(r.status, 200, r.text);
  const u = r.json.feed.url;
  assert.match(u, /^http:\/\/127\.0\.0\.1:\d+\/v1\/feeds\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}\.ics$/);
  urls.add(u);
  return u;
}

async function fetchFeed(u, headers = {}) {
  const r = await fetch(u, { headers });
  return { status: r.status, headers: r.headers, text: await r.text() };
}

async function feed(u) {
  const r = await fetchFeed(u);
  assert.equal(r.status, 200, r.text);
  return { r, cal: parse(r.text) };
}

const item = async (t, id) => (await t.admin('GET', `/v1/admin/bookings/${id}`)).json.booking;

before(async () => {
  srv = await startServer({ env: { BOOKCHAT_TEST_NOW: String(NOW) } });
  T = await makeTenant(srv, { name: 'Studio Nine', plan: 'BUSINESS', timezone: 'Europe/Madrid', locale: 'en' });
  B = await makeTenant(srv, { name: 'Other Shop', plan: 'BUSINESS', timezone: 'America/New_York' });
  for (const t of [T, B]) await srv.platform('PATCH', `/v1/platform/tenants/${t.id}`, { limits: { rate_per_s: 100000, burst: 100000 } });
  ({ s: svc, a: ana, l: luis } = await makeHaircutTeam(T));
  bAna = (await makeHaircutTeam(B)).a;
});
after(async () => { await srv.stop(); });

test('a professional\'s feed holds its bookings, the tenant feed all; every event checked with python3-icalendar', async () => {
  const mine = [
    await book(T, '2026-12-02T10:00:00+01:00', { notes: 'First visit' }),
    await book(T, '2026-12-03T09:30:00+01:00', { customer: { name: 'Bob Ray', email: 'bob@example.com' } }),
  ];
  const his = await book(T, '2026-12-02T10:00:00+01:00', { provider: luis });
  const { r, cal } = await feed(await feedUrl(T, ana));
  assert.equal(r.headers.get('content-type'), 'text/calendar; charset=utf-8');
  assert.equal(r.headers.get('cache-control'), 'private, max-age=300');
  assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
  assert.match(r.headers.get('etag'), /^"[0-9a-f]{32}"$/);
  // RFC 5545 framing: CRLF everywhere, lines of at most 75 octets
  for (const line of r.text.split('\r\n').slice(0, -1)) {
    assert.ok(!line.includes('\n'), 'a bare LF');
    assert.ok(Buffer.byteLength(line) <= 75, `a line longer than 75 octets: ${line}`);
  }
  assert.equal(cal.version, '2.0');
  assert.equal(cal.method, 'PUBLISH');
  assert.equal(cal.tz, 'Europe/Madrid');
  assert.deepEqual(cal.zones, ['Europe/Madrid']);
  assert.equal(cal.name, 'Studio Nine — Ana');
  assert.equal(cal.events.length, 2);
  for (const b of mine) {
    const e = cal.events.find((x) => x.uid === `${b.id}@bookchat`);
    assert.ok(e, `no event for ${b.id}`);
    const it = await item(T, b.id);
    assert.equal(e.summary, `Haircut — ${it.customer.name}`);
    assert.equal(e.start, iso(b.start));
    assert.equal(e.end, iso(b.end));
    assert.equal(e.status, 'CONFIRMED');
    assert.ok(e.sequence >= 1);
    assert.ok(e.description.includes(`Code: ${b.code}`), e.description);
    assert.ok(e.description.includes('Professional: Ana'));
    assert.ok(e.description.includes(`Customer: ${it.customer.name}`));
    assert.ok(e.description.includes(`E-mail: ${it.customer.email}`));
    assert.ok(e.stamp && e.modified, 'DTSTAMP and LAST-MODIFIED');
    for (const p of ['UID', 'DTSTAMP', 'DTSTART', 'DTEND', 'SEQUENCE', 'SUMMARY', 'DESCRIPTION', 'STATUS', 'LAST-MODIFIED']) assert.ok(e.props.includes(p), p);
  }
  assert.ok(cal.events.find((x) => x.uid === `${mine[0].id}@bookchat`).description.includes('Phone: +34 600 111 222'));
  assert.ok(cal.events.find((x) => x.uid === `${mine[0].id}@bookchat`).description.includes('Notes: First visit'));
  assert.ok(!cal.events.some((x) => x.uid === `${his.id}@bookchat`), 'Luis\'s booking is not in Ana\'s feed');
  const all = (await feed(await feedUrl(T, 'all'))).cal;
  assert.equal(all.name, 'Studio Nine');
  assert.deepEqual(all.events.map((e) => e.uid).sort(), [...mine, his].map((b) => `${b.id}@bookchat`).sort());
  const luisFeed = (await feed(await feedUrl(T, luis))).cal;
  assert.deepEqual(luisFeed.events.map((e) => e.uid), [`${his.id}@bookchat`]);
});

test('a cancellation shows STATUS:CANCELLED with a higher SEQUENCE; a reschedule moves DTSTART with a higher SEQUENCE', async () => {
  const u = await feedUrl(T, luis);
  const b = await book(T, '2026-12-04T11:00:00+01:00', { provider: luis });
  const c = await book(T, '2026-12-04T12:00:00+01:00', { provider: luis });
  const before = (await feed(u)).cal.events;
  const seq = (evs, id) => evs.find((e) => e.uid === `${id}@bookchat`);
  const cancel = await T.widget('POST', `/v1/widget/bookings/${b.code}/cancel`, { body: { manage_token: b.manage_token } });
  assert.equal(cancel.status, 200, cancel.text);
  const move = await T.widget('POST', `/v1/widget/bookings/${c.code}/reschedule`, { body: { manage_token: c.manage_token, start: '2026-12-07T09:00:00+01:00' } });
  assert.equal(move.status, 200, move.text);
  const afterEvs = (await feed(u)).cal.events;
  const cb = seq(afterEvs, b.id), cc = seq(afterEvs, c.id);
  assert.equal(cb.status, 'CANCELLED');
  assert.ok(cb.sequence > seq(before, b.id).sequence, `${cb.sequence} > ${seq(before, b.id).sequence}`);
  assert.equal(cb.sequence, (await item(T, b.id)).version ?? cb.sequence);
  assert.equal(cc.status, 'CONFIRMED');
  assert.equal(cc.start, iso('2026-12-07T09:00:00+01:00'));
  assert.equal(cc.end, iso('2026-12-07T09:30:00+01:00'));
  assert.ok(cc.sequence > seq(before, c.id).sequence);
});

test('ETag and If-None-Match: 304 while nothing changed, a new ETag after a booking', async () => {
  const u = await feedUrl(T, ana);
  const a = await fetchFeed(u);
  const etag = a.headers.get('etag');
  const again = await fetchFeed(u);
  assert.equal(again.headers.get('etag'), etag, 'the same bookings give the same bytes');
  assert.equal(again.text, a.text);
  const nm = await fetchFeed(u, { 'if-none-match': etag });
  assert.equal(nm.status, 304);
  assert.equal(nm.text, '');
  assert.equal(nm.headers.get('etag'), etag);
  assert.equal((await fetchFeed(u, { 'if-none-match': `"x", ${etag}` })).status, 304);
  assert.equal((await fetchFeed(u, { 'if-none-match': '"0123"' })).status, 200);
  await book(T, '2026-12-08T09:00:00+01:00');
  const changed = await fetchFeed(u, { 'if-none-match': etag });
  assert.equal(changed.status, 200);
  assert.notEqual(changed.headers.get('etag'), etag);
});

test('GET shows the same URL again; POST re-creates it and the old one is gone at once', async () => {
  for (const scope of [ana, 'all']) {
    const u1 = await feedUrl(T, scope);
    assert.equal(await feedUrl(T, scope), u1, 'GET shows the current URL');
    const u2 = await feedUrl(T, scope, 'POST');
    assert.notEqual(u2, u1);
    const old = await fetchFeed(u1);
    assert.equal(old.status, 404);
    assert.equal(JSON.parse(old.text).error.message, 'No such feed.');
    assert.equal((await fetchFeed(u2)).status, 200);
    assert.equal(await feedUrl(T, scope), u2);
  }
  const audit = await T.admin('GET', '/v1/admin/audit');
  assert.equal(audit.status, 200);
  assert.ok(JSON.stringify(audit.json).includes('admin.providers.feed.renew') || JSON.stringify(audit.json).includes(`/v1/admin/providers/${ana}/feed`), 'the re-creation is audited');
});

test('roles and tenants: a viewer may see the URL but not re-create it; another tenant\'s professional is 404', async () => {
  const viewer = await makeUser(srv, T, 'viewer');
  const v = await viewer.admin('GET', `/v1/admin/providers/${ana}/feed`);
  assert.equal(v.status, 200, v.text);
  assert.equal(v.json.feed.url, await feedUrl(T, ana));
  assert.equal((await viewer.admin('GET', '/v1/admin/feed')).status, 200);
  for (const p of [`/v1/admin/providers/${ana}/feed`, '/v1/admin/feed']) {
    const r = await viewer.admin('POST', p);
    assert.equal(r.status, 403, r.text);
  }
  assert.equal(await feedUrl(T, ana), v.json.feed.url, 'the refused POST changed nothing');
  for (const m of ['GET', 'POST']) {
    const r = await T.admin(m, `/v1/admin/providers/${bAna}/feed`);
    assert.equal(r.status, 404, r.text);
    assert.equal(errorCode(r), 'not_found');
    for (const bad of ['nope', 'all', '..%2F..', 'x'.repeat(80)]) assert.equal((await T.admin(m, `/v1/admin/providers/${bad}/feed`)).status, 404, bad);
  }
  assert.equal((await srv.get(`/v1/admin/providers/${ana}/feed`)).status, 401);
});

test('tampered, foreign and malformed tokens are 404 "No such feed."', async () => {
  const u = await feedUrl(T, ana);
  const tok = u.match(/\/v1\/feeds\/(.+)\.ics$/)[1];
  const [name, mac] = tok.split('.');
  const flip = (s, i) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
  const bTok = (await feedUrl(B, bAna)).match(/\/v1\/feeds\/(.+)\.ics$/)[1];
  const forged = [
    `${name}.${flip(mac, 0)}`, `${name}.${flip(mac, 21)}`, `${flip(name, 2)}.${mac}`,
    // B's MAC on a name that says T, and T's MAC on B's name
    `${name}.${bTok.split('.')[1]}`, `${bTok.split('.')[0]}.${mac}`,
    // the scope changed to "all" or to Luis with Ana's MAC
    `${Buffer.from(`${T.id}|all`).toString('base64url')}.${mac}`,
    `${Buffer.from(`${T.id}|${luis}`).toString('base64url')}.${mac}`,
    `${Buffer.from(`${T.id}|${ana}|1`).toString('base64url')}.${mac}`,
    name, mac, '.', `${name}.`, `.${mac}`, 'x'.repeat(300), `${name}.${mac}.x`, '%00', `${name}%0a.${mac}`,
  ];
  for (const f of forged) {
    const r = await fetchFeed(`${srv.url}/v1/feeds/${f}.ics`);
    assert.equal(r.status, 404, `${f}: ${r.text}`);
    // a NUL is refused before routing (any 404 then); every token that reaches the route gets the feed's own
    if (f !== '%00') assert.equal(JSON.parse(r.text).error.message, 'No such feed.', f);
  }
  assert.equal((await fetchFeed(`${srv.url}/v1/feeds/${tok}`)).status, 404, 'without .ics');
  assert.equal((await fetchFeed(u)).status, 200, 'the real one still works');
});

test('a hostile customer name (commas, semicolons, backslashes, newlines, unicode) parses back identically', async () => {
  const x = await makeTenant(srv, { name: 'Café, "Ñandú"; \\ Bar', plan: 'BUSINESS', timezone: 'Europe/Madrid', locale: 'es' });
  await srv.platform('PATCH', `/v1/platform/tenants/${x.id}`, { limits: { rate_per_s: 100000, burst: 100000 } });
  const o = await makeHaircutTeam(x);
  const name = 'Zoë O\'Brien, Jr.; "the \\ one" — 日本語 🙂 ' + 'ñ'.repeat(40);
  const notes = 'line one\nline two, with; commas\\ and\nATTENDEE:mailto:evil@example.com\nEND:VEVENT';
  const b = await book(x, '2026-12-02T10:00:00+01:00', { service: o.s, provider: o.a, customer: { name, email: 'zoe@example.com' }, notes });
  const stored = await item(x, b.id);
  const { r, cal } = await feed(await feedUrl(x, o.a));
  assert.equal(cal.events.length, 1, 'the notes made no event of their own');
  const e = cal.events[0];
  assert.equal(e.summary, `Haircut — ${stored.customer.name}`);
  assert.equal(stored.customer.name, name);
  // the tenant's language (es) for the description's words
  assert.ok(e.description.includes(`Cliente: ${name}\n`), e.description);
  assert.ok(e.description.endsWith(`Notas: ${notes}`), e.description);
  assert.ok(!e.props.includes('ATTENDEE'), 'no property was injected');
  assert.equal(cal.name, 'Café, "Ñandú"; \\ Bar — Ana');
  assert.ok(!/\r\nATTENDEE/.test(r.text) && !/\r\nEND:VEVENT\r\nEND:VEVENT/.test(r.text));
});

test('a deleted professional\'s feed is gone; a suspended or deleted tenant\'s feeds are 404', async () => {
  const x = await makeTenant(srv, { name: 'Soon suspended', plan: 'BUSINESS', timezone: 'Europe/Madrid' });
  await srv.platform('PATCH', `/v1/platform/tenants/${x.id}`, { limits: { rate_per_s: 100000, burst: 100000 } });
  const o = await makeHaircutTeam(x);
  const pu = await feedUrl(x, o.l), au = await feedUrl(x, 'all');
  assert.equal((await x.admin('DELETE', `/v1/admin/providers/${o.l}`)).status, 204);
  assert.equal((await fetchFeed(pu)).status, 404);
  assert.equal((await fetchFeed(au)).status, 200);
  assert.equal((await srv.platform('PATCH', `/v1/platform/tenants/${x.id}`, { status: 'SUSPENDED' })).status, 200);
  const s = await fetchFeed(au);
  assert.equal(s.status, 404);
  assert.equal(JSON.parse(s.text).error.message, 'No such feed.');
  assert.equal((await srv.platform('DELETE', `/v1/platform/tenants/${x.id}`)).status, 200);
  assert.equal((await fetchFeed(au)).status, 404);
  assert.equal((await srv.platform('POST', `/v1/platform/tenants/${x.id}/restore`)).status, 200);
  assert.equal((await fetchFeed(au)).status, 200, 'a restored tenant\'s feed works again');
});

test('no feed token appears in the server\'s log lines', async () => {
  assert.ok(urls.size >= 6);
  await new Promise((r) => setTimeout(r, 100));
  const log = srv.logs.join('\n');
  assert.ok(log.includes('"route":"feeds.get"'), 'the feed requests are logged');
  assert.ok(log.includes('"path":"/v1/feeds/{token}.ics"'), 'as the route pattern');
  assert.ok(log.includes('"path":"/v1/feeds/(redacted)"'), 'a near miss (no .ics) is redacted too');
  for (const u of urls) {
    const tok = u.match(/\/v1\/feeds\/(.+)\.ics$/)[1];
    for (const spelling of [tok, tok.split('.')[1]]) assert.ok(!log.includes(spelling), `a token leaked into the log: ${spelling}`);
  }
});

test('the feed is rate-limited per client address (visitor limits on)', async () => {
  const s2 = await startServer({ env: { BOOKCHAT_VISITOR_LIMITS: 'on' } });
  try {
    const x = await makeTenant(s2, { name: 'Limited', plan: 'BUSINESS' });
    await s2.platform('PATCH', `/v1/platform/tenants/${x.id}`, { limits: { rate_per_s: 100000, burst: 100000 } });
    const u = (await x.admin('GET', '/v1/admin/feed')).json.feed.url;
    let limited = null;
    for (let i = 0; i < 200 && !limited; i++) {
      const r = await fetch(u);
      await r.arrayBuffer();
      if (r.status === 429) limited = r;
      else assert.equal(r.status, 200);
    }
    assert.ok(limited, 'no 429 after 200 requests');
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
  } finally {
    await s2.stop();
  }
});
