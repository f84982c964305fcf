// Busy times in (docs/calendars.md, PRODUCT.md section 12): a professional's own calendars, served by a
// local HTTP server in this test, are polled by the real server (calendar_poller on, every second,
// webhook_allow_private so that 127.0.0.1 may be fetched) and block availability and the booking commit;
// several processes share the polling through a lease, and a suspended tenant's calendars rest.
// The server's clock starts at Monday 2026-11-30 08:00 UTC; the tenant is in Europe/Madrid.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHash } from 'node:crypto';
import { startServer, errorCode, makeTenant, dumpTenant, Server } from './harness.mjs';

const NOW = Date.UTC(2026, 10, 30, 8, 0, 0) / 1000;
const pollerEnv = {
  BOOKCHAT_TEST_NOW: String(NOW), BOOKCHAT_WEBHOOK_ALLOW_PRIVATE: 'true',
  BOOKCHAT_CALENDAR_POLL_INTERVAL: '1', BOOKCHAT_CALENDAR_POLLER: 'on',
};
let srv, strict, T, svc, ana, luis, eva, feeds, feedUrl;

// ---- the calendars' server ----
const files = new Map(); // path -> ICS text
const seen = []; // {path, ifNoneMatch, status}
const lease = { now: 0, max: 0, total: 0 }; // fetches of /lease.ics in flight
function startFeeds() {
  return new Promise((resolve) => {
    const s = http.createServer((req, res) => {
      const path = req.url;
      const rec = { path, ifNoneMatch: req.headers['if-none-match'] || null, status: 200 };
      seen.push(rec);
      if (path === '/slow.ics') return; // never answers: the fetch times out
      if (path === '/lease.ics') { // answers after 700 ms, counting the fetches in flight
        lease.total++;
        lease.max = Math.max(lease.max, ++lease.now);
        setTimeout(() => {
          lease.now--;
          res.writeHead(200, { 'content-type': 'text/calendar' });
          res.end(cal());
        }, 700);
        return;
      }
      if (path === '/redirect.ics') {
        rec.status = 302;
        res.writeHead(302, { location: 'http://127.0.0.1:1/private.ics' });
        return res.end();
      }
      if (path === '/huge.ics') { // over the 2 MiB limit
        res.writeHead(200, { 'content-type': 'text/calendar', 'content-length': 3 << 20 });
        return res.end(Buffer.alloc(3 << 20, 'x'));
      }
      const body = files.get(path);
      if (body === undefined) { rec.status = 404; res.writeHead(404); return res.end(); }
      const etag = '"' + createHash('sha256').update(body).digest('hex').slice(0, 16) + '"';
      if (rec.ifNoneMatch === etag) { rec.status = 304; res.writeHead(304, { etag }); return res.end(); }
      res.writeHead(200, { 'content-type': 'text/calendar', etag });
      res.end(body);
    });
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

const cal = (...events) => ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//feeds//EN', MADRID, ...events, 'END:VCALENDAR', ''].join('\r\n');
const MADRID = ['BEGIN:VTIMEZONE', 'TZID:Europe/Madrid',
  'BEGIN:DAYLIGHT', 'TZOFFSETFROM:+0100', 'TZOFFSETTO:+0200', 'TZNAME:CEST', 'DTSTART:19700329T020000', 'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU', 'END:DAYLIGHT',
  'BEGIN:STANDARD', 'TZOFFSETFROM:+0200', 'TZOFFSETTO:+0100', 'TZNAME:CET', 'DTSTART:19701025T030000', 'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU', 'END:STANDARD',
  'END:VTIMEZONE'].join('\r\n');
const ev = (uid, ...lines) => ['BEGIN:VEVENT', `UID:${uid}`, 'DTSTAMP:20261101T000000Z', ...lines, 'END:VEVENT'].join('\r\n');

// Ana's calendar: a weekly 10:00-11:00 (Tuesdays) with the 8th excluded and the 15th moved to 16:00, an
// all-day event on Thursday the 3rd, a transparent event on the 2nd, and a weekly Sunday 12:00 across the
// spring DST change (2027-03-21 CET, 2027-03-28 CEST).
const ANA_ICS = cal(
  ev('weekly', 'DTSTART;TZID=Europe/Madrid:20261201T100000', 'DTEND;TZID=Europe/Madrid:20261201T110000', 'RRULE:FREQ=WEEKLY;COUNT=10',
    'EXDATE;TZID=Europe/Madrid:20261208T100000'),
  ev('weekly', 'RECURRENCE-ID;TZID=Europe/Madrid:20261215T100000', 'DTSTART;TZID=Europe/Madrid:20261215T160000', 'DTEND;TZID=Europe/Madrid:20261215T170000'),
  ev('allday', 'DTSTART;VALUE=DATE:20261203', 'DTEND;VALUE=DATE:20261204', 'SUMMARY:Holiday'),
  ev('free', 'DTSTART;TZID=Europe/Madrid:20261202T120000', 'DTEND;TZID=Europe/Madrid:20261202T130000', 'TRANSP:TRANSPARENT'),
  ev('dst', 'DTSTART;TZID=Europe/Madrid:20270321T120000', 'DURATION:PT1H', 'RRULE:FREQ=WEEKLY;COUNT=2'),
);
// the busy local intervals that calendar means, per date
const ANA_BUSY = {
  '2026-12-01': [['10:00', '11:00']],
  '2026-12-02': [],
  '2026-12-03': [['00:00', '24:00']],
  '2026-12-08': [],
  '2026-12-15': [['16:00', '17:00']],
  '2027-03-21': [['12:00', '13:00']],
  '2027-03-28': [['12:00', '13:00']],
};

const slots = async (pro, date) => {
  const r = await T.widget('GET', `/v1/widget/availability?service_id=${svc}&provider_id=${pro}&from=${date}&to=${date}`);
  assert.equal(r.status, 200, r.text);
  return r.json.slots.map((s) => s.start);
};
const hhmm = (iso) => iso.slice(11, 16);
const overlaps = (start, busy) => busy.some(([f, t]) => {
  const s = hhmm(start), e = addMin(s, 30);
  return s < t && e > f;
});
function addMin(hm, m) {
  const [h, mm] = hm.split(':').map(Number);
  const x = h * 60 + mm + m;
  return `${String(Math.floor(x / 60)).padStart(2, '0')}:${String(x % 60).padStart(2, '0')}`;
}
async function until(what, fn, ms = 15000) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > ms) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
const calendars = async (pro) => {
  const r = await T.admin('GET', `/v1/admin/providers/${pro}/calendars`);
  assert.equal(r.status, 200, r.text);
  return r.json.items;
};

before(async () => {
  feeds = await startFeeds();
  feedUrl = (p) => `http://127.0.0.1:${feeds.address().port}${p}`;
  files.set('/ana.ics', ANA_ICS);
  srv = await startServer({ env: pollerEnv });
  T = await makeTenant(srv, { name: 'Clínica', plan: 'BUSINESS', timezone: 'Europe/Madrid' });
  await srv.platform('PATCH', `/v1/platform/tenants/${T.id}`, { limits: { rate_per_s: 100000, burst: 100000 } });
  const st = await T.admin('PATCH', '/v1/admin/settings', { booking: { max_days_ahead: 150 } });
  assert.equal(st.status, 200, st.text);
  svc = (await T.admin('POST', '/v1/admin/services', { name: 'Consulta', duration_min: 30 })).json.service.id;
  const weekly = [];
  for (let d = 1; d <= 7; d++) weekly.push({ weekday: d, start: '09:00', end: '19:00' });
  const mk = async (name, extra = {}) => {
    const p = await T.admin('POST', '/v1/admin/providers', { name, service_ids: [svc], ...extra });
    assert.equal(p.status, 201, p.text);
    const id = p.json.provider.id;
    assert.equal((await T.admin('PUT', `/v1/admin/providers/${id}/availability`, { weekly })).status, 200);
    return p.json.provider;
  };
  const a = await mk('Ana', { external_calendars: [{ url: feedUrl('/ana.ics') }] });
  assert.deepEqual(a.external_calendars, [{ url: feedUrl('/ana.ics') }]);
  ana = a.id;
  luis = (await mk('Luis')).id;
  eva = (await mk('Eva')).id; // never has a calendar: the baseline
  // a server without the operator's override, for the address rules
  strict = await startServer({ env: { BOOKCHAT_CALENDAR_POLLER: 'off' } });
});
after(async () => {
  await srv.stop();
  await strict.stop();
  feeds.closeAllConnections();
  feeds.close();
});

test('the calendar is fetched and its busy times block availability slot by slot', async () => {
  const items = await until('the first fetch', async () => {
    const c = await calendars(ana);
    return c[0].status === 'ok' && c;
  });
  assert.equal(items.length, 1);
  assert.equal(items[0].url, feedUrl('/ana.ics'));
  assert.equal(items[0].last_error, null);
  assert.ok(items[0].last_ok_at && items[0].last_attempt_at);
  assert.ok(items[0].events >= 8, JSON.stringify(items[0]));
  for (const [date, busy] of Object.entries(ANA_BUSY)) {
    const base = await slots(eva, date);
    assert.ok(base.length > 30, `${date}: the baseline has slots`);
    const want = base.filter((s) => !overlaps(s, busy));
    assert.deepEqual(await slots(ana, date), want, `${date}: slots of Ana`);
  }
  // the offsets of the DST change are the tenant's
  assert.ok((await slots(ana, '2027-03-28')).includes('2027-03-28T13:00:00+02:00'));
  // the bookings calendar's blocks
  const b = await T.admin('GET', `/v1/admin/busy?from=2026-12-01&to=2026-12-03&provider_id=${ana}`);
  assert.equal(b.status, 200, b.text);
  assert.deepEqual(b.json.items, [
    { provider_id: ana, from: '2026-12-01T10:00:00+01:00', to: '2026-12-01T11:00:00+01:00' },
    { provider_id: ana, from: '2026-12-03T00:00:00+01:00', to: '2026-12-04T00:00:00+01:00' },
  ]);
  const all = await T.admin('GET', '/v1/admin/busy?from=2026-12-01&to=2026-12-31');
  assert.ok(all.json.items.every((i) => i.provider_id === ana));
  for (const q of ['from=2026-12-01', 'from=2026-12-01&to=2027-03-01', 'from=2026-12-05&to=2026-12-01', 'from=x&to=y'])
    assert.equal((await T.admin('GET', `/v1/admin/busy?${q}`)).status, 400, q);
  assert.equal((await T.admin('GET', '/v1/admin/providers/01ZZZZZZZZZZZZZZZZZZZZZZZZ/calendars')).status, 404);
});

test('a widget booking on a blocked time is refused; a free one next to it is taken', async () => {
  const customer = { name: 'Marta Ruiz', email: 'marta@example.com' };
  const no = await T.widget('POST', '/v1/widget/bookings', { body: { service_id: svc, provider_id: ana, start: '2026-12-01T10:30:00+01:00', customer } });
  assert.equal(no.status, 409, no.text);
  assert.equal(errorCode(no), 'slot_unavailable');
  const ok = await T.widget('POST', '/v1/widget/bookings', { body: { service_id: svc, provider_id: ana, start: '2026-12-01T11:00:00+01:00', customer } });
  assert.equal(ok.status, 201, ok.text);
});

test('conditional GET: the server sees If-None-Match and answers 304; a changed file changes availability', async () => {
  await until('a 304', async () => seen.some((s) => s.path === '/ana.ics' && s.status === 304 && s.ifNoneMatch));
  assert.equal((await calendars(ana))[0].status, 'ok');
  // the weekly meeting moves to 17:00 on the 1st (and everything else goes)
  files.set('/ana.ics', cal(ev('moved', 'DTSTART;TZID=Europe/Madrid:20261201T170000', 'DTEND;TZID=Europe/Madrid:20261201T180000')));
  const t0 = Date.now();
  await until('the new availability', async () => {
    const s = await slots(ana, '2026-12-01');
    return s.includes('2026-12-01T10:00:00+01:00') && !s.includes('2026-12-01T17:00:00+01:00');
  }, 10000);
  assert.ok(Date.now() - t0 < 10000);
  assert.deepEqual(await slots(ana, '2026-12-03'), await slots(eva, '2026-12-03'));
});

test('bad feeds: bounded time, a clear status, the last good copy kept, others unaffected', async () => {
  files.set('/luis.ics', cal(ev('l1', 'DTSTART;TZID=Europe/Madrid:20261202T150000', 'DTEND;TZID=Europe/Madrid:20261202T160000')));
  let r = await T.admin('PATCH', `/v1/admin/providers/${luis}`, { external_calendars: [{ url: feedUrl('/luis.ics') }] });
  assert.equal(r.status, 200, r.text);
  await until('Luis fetched', async () => (await calendars(luis))[0].status === 'ok');
  const luisSlots = await slots(luis, '2026-12-02');
  assert.ok(!luisSlots.includes('2026-12-02T15:00:00+01:00'));
  // now the good address answers something that is not ICS, and four bad ones join it
  files.set('/luis.ics', '<html><body>Please sign in</body></html>');
  files.set('/endless.ics', cal(ev('m', 'DTSTART:20200101T000000Z', 'DURATION:PT1M', 'RRULE:FREQ=MINUTELY')));
  const bad = ['/huge.ics', '/endless.ics', '/slow.ics', '/redirect.ics'];
  r = await T.admin('PATCH', `/v1/admin/providers/${luis}`, { external_calendars: ['/luis.ics', ...bad].map((p) => ({ url: feedUrl(p) })) });
  assert.equal(r.status, 200, r.text);
  const t0 = Date.now();
  const items = await until('every feed judged', async () => {
    const c = await calendars(luis);
    return c.every((i) => i.status === 'error') && c;
  }, 25000);
  assert.ok(Date.now() - t0 < 25000);
  const err = Object.fromEntries(items.map((i) => [new URL(i.url).pathname, i.last_error]));
  assert.match(err['/luis.ics'], /not an iCalendar/);
  assert.match(err['/huge.ics'], /too large/);
  assert.match(err['/endless.ics'], /too many events/);
  assert.match(err['/slow.ics'], /timeout/i);
  assert.match(err['/redirect.ics'], /redirect not followed/);
  assert.ok(!seen.some((s) => s.path === '/private.ics'), 'the redirect was not followed');
  // the last good copy of /luis.ics still blocks 15:00; its last success is kept
  assert.ok(items[0].last_ok_at);
  assert.deepEqual(await slots(luis, '2026-12-02'), luisSlots);
  // Ana and Eva are not affected
  assert.deepEqual(await slots(eva, '2026-12-02'), await slots(ana, '2026-12-02'));
  // removing the calendars removes their busy times
  r = await T.admin('PATCH', `/v1/admin/providers/${luis}`, { external_calendars: [] });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(await calendars(luis), []);
  assert.deepEqual(await slots(luis, '2026-12-02'), await slots(eva, '2026-12-02'));
  // and their pointers leave the poller's queue (dropped as stale when due)
  const queue = async () => (await srv.get(`/v1/test/items?pk=${encodeURIComponent('XCALQ#0')}`)).json.items;
  assert.ok((await queue()).some((q) => q.provider_id === ana), 'Ana is still polled');
  await until('Luis out of the queue', async () => !(await queue()).some((q) => q.provider_id === luis));
});

test('three processes on one store: one fetch of a calendar at a time (the lease)', async () => {
  const others = [];
  for (let i = 0; i < 2; i++) others.push(await new Server({ dataDir: srv.dataDir, env: pollerEnv }).start());
  // the test clocks of the three processes in step, so that a calendar falls due in all of them at once
  const clock = async (s, advance_s = 0) => (await s.post('/v1/test/clock', { advance_s })).json.now;
  for (const o of others) {
    const lag = (await clock(srv)) - (await clock(o));
    if (lag > 0) await clock(o, lag);
  }
  try {
    const p = await T.admin('POST', '/v1/admin/providers', { name: 'Leo', service_ids: [svc], external_calendars: [{ url: feedUrl('/lease.ics') }] });
    assert.equal(p.status, 201, p.text);
    await until('several fetches', async () => lease.total >= 4, 20000);
    assert.equal(lease.max, 1, 'two processes fetched the same calendar at once');
    assert.equal((await calendars(p.json.provider.id))[0].status, 'ok');
    assert.equal((await T.admin('DELETE', `/v1/admin/providers/${p.json.provider.id}`)).status, 204);
  } finally {
    for (const o of others) await o.stop();
  }
});

test('bad external_calendars are refused with 400 and nothing is stored', async () => {
  const before = await dumpTenant(srv, T.id);
  const u = (p) => ({ url: feedUrl(p) });
  const cases = [
    ['not an array', { url: feedUrl('/a.ics') }],
    ['a string item', [feedUrl('/a.ics')]],
    ['extra field', [{ url: feedUrl('/a.ics'), name: 'x' }]],
    ['more than 5', [1, 2, 3, 4, 5, 6].map((i) => u(`/c${i}.ics`))],
    ['duplicates', [u('/a.ics'), u('/a.ics')]],
    ['too long', [{ url: feedUrl('/' + 'a'.repeat(2100)) }]],
    ['CR/LF', [{ url: feedUrl('/a.ics\r\nX-Evil: 1') }]],
    ['ftp', [{ url: 'ftp://127.0.0.1/a.ics' }]],
    ['credentials', [{ url: 'https://user:pw@93.184.216.34/a.ics' }]],
  ];
  for (const [what, v] of cases) {
    const r = await T.admin('PATCH', `/v1/admin/providers/${eva}`, { external_calendars: v });
    assert.equal(r.status, 400, `${what}: ${r.status} ${r.text}`);
    assert.equal(errorCode(r), 'invalid_request');
  }
  const c = await T.admin('POST', '/v1/admin/providers', { name: 'Zoe', service_ids: [svc], external_calendars: [u('/a.ics'), u('/a.ics')] });
  assert.equal(c.status, 400, c.text);
  assert.deepEqual(await dumpTenant(srv, T.id), before);
  // without the operator's override: private addresses and plain http are refused
  const S = await makeTenant(strict, { name: 'Strict' });
  const p = await S.admin('POST', '/v1/admin/providers', { name: 'Pat' });
  assert.equal(p.status, 201, p.text);
  const sBefore = await dumpTenant(strict, S.id);
  for (const url of ['https://127.0.0.1/a.ics', 'https://10.1.2.3/a.ics', 'https://169.254.169.254/latest', 'https://[::1]/a.ics', 'http://93.184.216.34/a.ics']) {
    const r = await S.admin('PATCH', `/v1/admin/providers/${p.json.provider.id}`, { external_calendars: [{ url }] });
    assert.equal(r.status, 400, `${url}: ${r.status} ${r.text}`);
    assert.match(r.json.error.message, /external calendar URL/);
  }
  assert.deepEqual(await dumpTenant(strict, S.id), sBefore);
});

// last: it moves the server's clock an hour on (the admin tokens of the tests above expire)
test('a suspended tenant\'s calendars rest, and are polled again after it is reactivated', async () => {
  const U = await makeTenant(srv, { name: 'Suspendida', timezone: 'Europe/Madrid' });
  files.set('/u.ics', cal());
  const p = await U.admin('POST', '/v1/admin/providers', { name: 'Uma', external_calendars: [{ url: feedUrl('/u.ics') }] });
  assert.equal(p.status, 201, p.text);
  const hits = () => seen.filter((x) => x.path === '/u.ics').length;
  await until('U polled', async () => hits() >= 2);
  assert.equal((await srv.platform('PATCH', `/v1/platform/tenants/${U.id}`, { status: 'SUSPENDED' })).status, 200);
  await new Promise((r) => setTimeout(r, 1500)); // a fetch in flight may still finish
  const frozen = hits();
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal(hits(), frozen, 'a suspended tenant\'s calendar was fetched');
  assert.equal((await srv.platform('PATCH', `/v1/platform/tenants/${U.id}`, { status: 'ACTIVE' })).status, 200);
  await srv.post('/v1/test/clock', { advance_s: 3600 }); // the hourly look
  await until('U polled again', async () => hits() > frozen);
});
