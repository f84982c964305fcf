// The bookings calendar of the admin panel draws the busy times of a professional's own calendar (busy
// times in, docs/calendars.md) as greyed blocks, in the week and the day views, in Spanish and English
// (screenshots admin-busy-*.png). The calendar is an ICS file served by this test; the server polls it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { NOW, expectClean, launch, makeClinic, newContext, screenshot, startServer, watch } from './harness.mjs';

let srv, browser, clinic, feeds, marta;
const ICS = [
  'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//busy//EN',
  'BEGIN:VEVENT', 'UID:dentist-meeting', 'DTSTAMP:20261101T000000Z',
  'DTSTART;TZID=Europe/Madrid:20261201T100000', 'DTEND;TZID=Europe/Madrid:20261201T113000', 'SUMMARY:Private', 'END:VEVENT',
  'END:VCALENDAR', '',
].join('\r\n');

before(async () => {
  feeds = await new Promise((resolve) => {
    const s = http.createServer((req, res) => (res.writeHead(200, { 'content-type': 'text/calendar' }), res.end(ICS)));
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
  srv = await startServer({
    env: { BOOKCHAT_TEST_NOW: String(NOW), BOOKCHAT_WEBHOOK_ALLOW_PRIVATE: 'true', BOOKCHAT_CALENDAR_POLL_INTERVAL: '1', BOOKCHAT_CALENDAR_POLLER: 'on' },
  });
  clinic = await makeClinic(srv);
  marta = clinic.providers['Dra. Marta López'];
  const url = `http://127.0.0.1:${feeds.address().port}/marta.ics`;
  const r = await clinic.admin('PATCH', `/v1/admin/providers/${marta}`, { external_calendars: [{ url }] });
  assert.equal(r.status, 200, r.text);
  for (let i = 0; i < 60; i++) {
    const c = await clinic.admin('GET', `/v1/admin/providers/${marta}/calendars`);
    if (c.json.items[0].status === 'ok') break;
    await new Promise((res) => setTimeout(res, 250));
  }
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await srv?.stop();
  feeds?.close();
});

test('busy blocks of the own calendar are greyed in the week and day views', { timeout: 180000 }, async () => {
  for (const [lang, label] of [['es', 'Ocupado (calendario propio)'], ['en', 'Busy (own calendar)']]) {
    const ctx = await newContext(browser, { locale: lang === 'es' ? 'es-ES' : 'en-GB' });
    await ctx.clock.setFixedTime(new Date((NOW + 2 * 3600) * 1000));
    const page = watch(await ctx.newPage());
    await page.goto(`${srv.url}/admin/`);
    await page.evaluate((l) => localStorage.setItem('bookchat-admin-lang', JSON.stringify(l)), lang);
    await page.reload();
    await page.locator('#login-email').fill(clinic.owner.email);
    await page.locator('#login-password').fill(clinic.owner.password);
    await page.locator('#login-password').press('Enter');
    await page.locator('.sidebar').waitFor();
    for (const view of ['week', 'day']) {
      await page.goto(`${srv.url}/admin/#/bookings?view=${view}&date=2026-12-01`);
      await page.locator('main[data-screen="bookings"] .page-head').waitFor();
      const block = page.locator(`.cal-col[data-day="2026-12-01"] .cal-busy[data-provider="${marta}"]`);
      await block.waitFor();
      assert.equal(await block.count(), 1);
      const title = await block.getAttribute('title');
      assert.ok(title.includes('10:00–11:30'), title);
      // 90 minutes tall: one and a half hours of the grid (the grid's hour: the distance of two hour labels)
      const box = await block.boundingBox();
      const tops = await page.locator('.cal-times span').evaluateAll((els) => els.slice(0, 2).map((e) => parseFloat(e.style.top)));
      const hour = tops[1] - tops[0];
      assert.ok(Math.abs(box.height - 1.5 * hour) <= 3, `height ${box.height} for an hour of ${hour}`);
      if (lang === 'es' || view === 'day') assert.ok((await block.textContent()).includes(label), await block.textContent());
      // the other professional's column (day view) has none
      if (view === 'day') assert.equal(await page.locator('.cal-busy').count(), 1);
      await screenshot(page, `admin-busy-${view}-${lang}`);
    }
    expectClean(page);
    await ctx.close();
  }
});
