// Public holidays (docs/holidays.md): the tenant names its place in the settings, the holidays of that place
// close the day in availability and at the booking commit unless the tenant opens the date, and bad places
// or dates are refused with nothing stored. The server's clock starts at Monday 2026-11-30 08:00 UTC; the
// tenant is in Europe/Madrid; 2026-12-08 (Tuesday) is the Inmaculada Concepción, a national holiday in Spain.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, errorCode, makeTenant, dumpTenant } from './harness.mjs';

const NOW = Date.UTC(2026, 10, 30, 8, 0, 0) / 1000;
let srv, T, svc, ana;

const settings = (body) => T.admin('PATCH', '/v1/admin/settings', body);
const starts = async (from, to) => {
  const r = await T.widget('GET', `/v1/widget/availability?${new URLSearchParams({ service_id: svc, provider_id: ana, from, to })}`);
  assert.equal(r.status, 200, r.text);
  return r.json.slots.map((s) => s.start);
};
const days = (list) => [...new Set(list.map((s) => s.slice(0, 10)))];
const book = (start) => T.widget('POST', '/v1/widget/bookings',
  { body: { service_id: svc, provider_id: ana, start, customer: { name: 'Marta Ruiz', email: 'marta@example.com' } } });

before(async () => {
  srv = await startServer({ env: { BOOKCHAT_TEST_NOW: String(NOW) } });
  T = await makeTenant(srv, { name: 'Peluquería', plan: 'BUSINESS', timezone: 'Europe/Madrid' });
  svc = (await T.admin('POST', '/v1/admin/services', { name: 'Corte', duration_min: 30 })).json.service.id;
  ana = (await T.admin('POST', '/v1/admin/providers', { name: 'Ana', service_ids: [svc] })).json.provider.id;
  const weekly = [1, 2, 3, 4, 5].map((weekday) => ({ weekday, start: '09:00', end: '13:00' }));
  const r = await T.admin('PUT', `/v1/admin/providers/${ana}/availability`, { weekly });
  assert.equal(r.status, 200, r.text);
});
after(async () => { await srv.stop(); });

test('without a place no day is a holiday; the settings say so', async () => {
  const s = await T.admin('GET', '/v1/admin/settings');
  assert.equal(s.status, 200, s.text);
  assert.equal(s.json.settings.holidays, null);
  assert.deepEqual(s.json.settings.holidays_open, []);
  assert.deepEqual(days(await starts('2026-12-07', '2026-12-09')), ['2026-12-07', '2026-12-08', '2026-12-09']);
});

test('ES/MD closes 8 December (Inmaculada) but not the 9th; a booking on the holiday is refused', async () => {
  const r = await settings({ holidays: { country: 'ES', region: 'MD' } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.settings.holidays, { country: 'ES', region: 'MD' });
  assert.deepEqual(await starts('2026-12-08', '2026-12-08'), []);
  assert.ok((await starts('2026-12-09', '2026-12-09')).includes('2026-12-09T09:00:00+01:00'));
  assert.deepEqual(days(await starts('2026-12-07', '2026-12-09')), ['2026-12-07', '2026-12-09']);
  // a start outside opening hours is not bookable (as on any closed day): the commit checks it too
  const b = await book('2026-12-08T09:00:00+01:00');
  assert.equal(b.status, 400, b.text);
  assert.equal(errorCode(b), 'invalid_request');
  assert.match(b.json.error.message, /not a bookable time/);
  const h = await T.widget('POST', '/v1/widget/holds', { body: { service_id: svc, provider_id: ana, start: '2026-12-08T10:00:00+01:00' } });
  assert.equal(h.status, 400, h.text);
  const list = await T.admin('GET', '/v1/admin/bookings?from=2026-12-08&to=2026-12-08');
  assert.equal(list.json.items.length, 0);
  // the 9th books as usual
  const ok = await book('2026-12-09T09:00:00+01:00');
  assert.equal(ok.status, 201, ok.text);
});

test('holidays_open reopens the date, and only that one', async () => {
  let r = await settings({ holidays_open: ['2026-12-08', '2026-12-25'] });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.settings.holidays, { country: 'ES', region: 'MD' }, 'the place is kept');
  assert.ok((await starts('2026-12-08', '2026-12-08')).includes('2026-12-08T09:00:00+01:00'));
  // Friday 2026-12-25 is open too; Thursday 2027-01-01 (not listed) stays closed
  assert.ok((await starts('2026-12-25', '2026-12-25')).length > 0);
  assert.deepEqual(await starts('2027-01-01', '2027-01-01'), []);
  const b = await book('2026-12-08T11:00:00+01:00');
  assert.equal(b.status, 201, b.text);
  r = await settings({ holidays_open: [] });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(await starts('2026-12-08', '2026-12-08'), []);
});

test('a new place replaces the old one whole; null turns holidays off', async () => {
  let r = await settings({ holidays: { country: 'US' } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.settings.holidays, { country: 'US' }, 'no region left over from ES/MD');
  assert.ok((await starts('2026-12-08', '2026-12-08')).length > 0);
  assert.deepEqual(await starts('2026-11-26', '2026-11-26'), [], 'Thanksgiving');
  assert.deepEqual(await starts('2026-12-25', '2026-12-25'), []);
  r = await settings({ holidays: { country: 'GB', region: 'SCT' } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(await starts('2026-11-30', '2026-11-30'), [], "St Andrew's Day");
  r = await settings({ holidays: null });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.settings.holidays, null);
  assert.ok((await starts('2026-12-25', '2026-12-25')).length > 0);
});

test('unknown places and bad dates are refused with 400 and nothing stored', async () => {
  await settings({ holidays: { country: 'ES', region: 'CT' }, holidays_open: ['2026-12-26'] });
  const before = await dumpTenant(srv, T.id);
  const bad = [
    { holidays: { country: 'FR' } },
    { holidays: { country: 'ES', region: 'XX' } },
    { holidays: { country: 'US', region: 'MD' } },
    { holidays: { country: 'es', region: 'md' } },
    { holidays: { region: 'MD' } },
    { holidays: { country: 'ES', region: 'MD', city: 'Madrid' } },
    { holidays: { country: 'E\nS' } },
    { holidays: { country: 'ES', region: 'M\r\nD' } },
    { holidays: { country: 'ES', region: '' } },
    { holidays: { country: 34 } },
    { holidays: 'ES' },
    { holidays: ['ES', 'MD'] },
    { holidays_open: ['2026-02-30'] },
    { holidays_open: ['2026-12-8'] },
    { holidays_open: ['tomorrow'] },
    { holidays_open: ['2026-12-08T00:00:00Z'] },
    { holidays_open: [20261208] },
    { holidays_open: [null] },
    { holidays_open: '2026-12-08' },
    { holidays_open: null },
    { holidays_open: Array(367).fill('2026-12-08') },
    { holidays: { country: 'ES', region: 'MD' }, holidays_open: ['nope'] },
  ];
  for (const body of bad) {
    const r = await settings(body);
    assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.status} ${r.text}`);
    assert.equal(errorCode(r), 'invalid_request');
  }
  assert.deepEqual(await dumpTenant(srv, T.id), before);
  const s = await T.admin('GET', '/v1/admin/settings');
  assert.deepEqual(s.json.settings.holidays, { country: 'ES', region: 'CT' });
  assert.deepEqual(s.json.settings.holidays_open, ['2026-12-26']);
});
