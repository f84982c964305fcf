// The demo clinic page with the widget: a customer books using the buttons (typing only their name and
// contact), and again by typing in Spanish; the booking is then in the clinic's calendar; the conversation
// survives a reload and is shared with another tab; the widget's size is measured; screenshots of the
// page and the widget at desktop and 360 px widths go to test-artifacts/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { NOW, expectClean, launch, makeClinic, newContext, screenshot, startServer, watch, widget } from './harness.mjs';

let srv, browser, clinic;

before(async () => {
  srv = await startServer({ env: { BOOKCHAT_TEST_NOW: String(NOW) } });
  clinic = await makeClinic(srv);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

const demoUrl = () => `${srv.url}/demo/?key=${encodeURIComponent(clinic.key)}`;

async function openDemo(ctx, url = demoUrl()) {
  const page = watch(await ctx.newPage());
  await page.goto(url);
  await widget(page).launcher.waitFor();
  return page;
}

test('the demo page shows the clinic from the API and embeds the widget', { timeout: 120000 }, async () => {
  const ctx = await newContext(browser);
  const page = await openDemo(ctx);
  await page.locator('body[data-filled="api"]').waitFor({ state: 'attached' });
  assert.deepEqual(await page.locator('#services h3').allTextContents(), ['Blanqueamiento', 'Limpieza dental', 'Revisión']);
  assert.match(await page.locator('#services').textContent(), /45\s?€/);
  assert.deepEqual(await page.locator('#team h3').allTextContents(), ['Dr. Javier Ruiz', 'Dra. Marta López']);
  assert.equal(await page.locator('[data-business-address]').textContent(), 'Calle de Alcalá 120, 28009 Madrid');
  const w = widget(page);
  // branding from /v1/widget/config: the clinic's colour on the launcher
  assert.equal(await w.launcher.evaluate((b) => getComputedStyle(b).backgroundColor), 'rgb(15, 118, 110)');
  await screenshot(page, 'demo-desktop', { fullPage: true });
  expectClean(page);
  await ctx.close();
});

test('a customer books with the buttons; the booking is in the calendar', { timeout: 120000 }, async () => {
  const ctx = await newContext(browser);
  const page = await openDemo(ctx);
  const w = widget(page);
  await w.open();
  assert.match(await w.log.textContent(), /Clínica Dental Sonrisa/);
  assert.deepEqual(await w.chipLabels().then((l) => l.slice(0, 3)), ['Blanqueamiento', 'Limpieza dental', 'Revisión']);
  await screenshot(page, 'widget-desktop-open');
  await w.tap('Limpieza dental');
  await w.tap('Dra. Marta López');
  const day = await w.tapFirst();
  assert.match(day, /\d/, 'days are offered as buttons');
  const time = await w.tapFirst();
  assert.match(time, /^\d{1,2}:\d{2}$/);
  await w.say('Lucía Pérez');
  await w.say('lucia@example.com');
  assert.match(await w.lastText(), /Lucía Pérez/);
  await w.tap('Sí, confirmar');
  await w.card.waitFor();
  const code = (await w.card.locator('.code').textContent()).trim();
  assert.match(code, /^[A-Z2-9]{6}$/);
  assert.match(await w.card.textContent(), /Limpieza dental/);
  assert.match(await w.card.textContent(), /Dra\. Marta López/);
  assert.match(await w.card.textContent(), new RegExp(time));
  // the "add to calendar" link serves the booking as iCalendar
  const ics = await w.card.locator('a.ics').getAttribute('href');
  const r = await fetch(ics);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /text\/calendar/);
  assert.match(await r.text(), /BEGIN:VEVENT[\s\S]*Limpieza dental/);
  await screenshot(page, 'widget-desktop-booked');
  // staff see it
  const list = await clinic.admin('GET', '/v1/admin/bookings?from=2026-11-30&to=2027-01-31');
  const b = list.json.items.find((x) => x.code === code);
  assert.ok(b, `booking ${code} is in the admin list`);
  assert.equal(b.customer.email, 'lucia@example.com');
  assert.equal(b.provider_id, clinic.providers['Dra. Marta López']);
  assert.equal(b.source, 'chat');
  expectClean(page);
  await ctx.close();
});

test('a customer books by typing in Spanish', { timeout: 120000 }, async () => {
  const ctx = await newContext(browser);
  const page = await openDemo(ctx);
  const w = widget(page);
  await w.open();
  await w.say('Hola, quiero una limpieza con el doctor Ruiz el jueves a las 10');
  assert.match(await w.lastText(), /Limpieza dental con Dr\. Javier Ruiz, jueves 3 de diciembre a las 10:00/);
  await w.say('Me llamo Pablo Gómez');
  await w.say('mi teléfono es 612 345 678');
  assert.match(await w.lastText(), /Pablo Gómez/);
  await w.say('sí, perfecto');
  await w.card.waitFor();
  const code = (await w.card.locator('.code').textContent()).trim();
  assert.match(await w.card.textContent(), /jueves, 3 de diciembre, 10:00–10:30/i);
  const b = (await clinic.admin('GET', '/v1/admin/bookings?from=2026-12-03&to=2026-12-03')).json.items.find((x) => x.code === code);
  assert.equal(b.start, '2026-12-03T10:00:00+01:00');
  assert.equal(b.provider_id, clinic.providers['Dr. Javier Ruiz']);
  expectClean(page);
  await ctx.close();
});

test('the conversation survives a reload and is shared with another tab', { timeout: 120000 }, async () => {
  const ctx = await newContext(browser);
  const a = await openDemo(ctx);
  const wa = widget(a);
  await wa.open();
  await wa.tap('Blanqueamiento');
  const chipsBefore = await wa.chipLabels();
  await a.reload();
  await wa.launcher.waitFor();
  // the panel was open: it opens again after the navigation, with the same messages and choices
  await wa.panel.waitFor({ state: 'visible' });
  await wa.chips.waitFor();
  assert.match(await wa.log.textContent(), /Blanqueamiento/);
  assert.deepEqual(await wa.chipLabels(), chipsBefore);
  // a second tab of the same site continues the same conversation
  const b = await openDemo(ctx);
  const wb = widget(b);
  await wb.launcher.click();
  await wb.chips.waitFor();
  assert.deepEqual(await wb.chipLabels(), chipsBefore);
  await wb.tap('Dr. Javier Ruiz');
  // … and the first tab follows (a storage event reloads its transcript)
  await a.waitForFunction(() => /Dr\. Javier Ruiz/.test(document.querySelector('[data-bookchat]').shadowRoot.querySelector('.log').textContent));
  // starting over gives both a new conversation
  await wb.host.locator('.tool').first().click();
  await wb.chips.waitFor();
  assert.equal(await wb.host.locator('.msg.user').count(), 0);
  await a.waitForFunction(() => document.querySelector('[data-bookchat]').shadowRoot.querySelectorAll('.msg.user').length === 0);
  expectClean(a);
  expectClean(b);
  await ctx.close();
});

test('keyboard: Enter sends, Escape closes and gives focus back to the launcher', { timeout: 120000 }, async () => {
  const ctx = await newContext(browser);
  const page = await openDemo(ctx);
  const w = widget(page);
  await w.launcher.focus();
  await page.keyboard.press('Enter');
  await w.chips.waitFor();
  assert.equal(await w.launcher.getAttribute('aria-expanded'), 'true');
  assert.equal(await w.panel.getAttribute('role'), 'dialog');
  assert.equal(await w.log.getAttribute('role'), 'log');
  // the text field has the focus: type and send with the keyboard only
  const n = await w.botMessages.count();
  await page.keyboard.type('¿a qué hora abrís?');
  await page.keyboard.press('Enter');
  await w.settle(n);
  assert.match(await w.log.textContent(), /lunes – viernes: 09:00–14:00, 16:00–20:00/);
  await page.keyboard.press('Escape');
  await w.panel.waitFor({ state: 'hidden' });
  assert.equal(await w.launcher.getAttribute('aria-expanded'), 'false');
  assert.equal(await page.evaluate(() => document.querySelector('[data-bookchat]').shadowRoot.activeElement?.className), 'launcher');
  expectClean(page);
  await ctx.close();
});

test('at 360 px the panel fills the phone screen and stays usable', { timeout: 120000 }, async () => {
  const ctx = await newContext(browser, { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const page = await openDemo(ctx);
  const w = widget(page);
  await screenshot(page, 'demo-360', { fullPage: true });
  await w.open();
  const box = await w.panel.boundingBox();
  assert.deepEqual([box.x, box.y, box.width, box.height], [0, 0, 360, 740]);
  await w.tap('Revisión');
  // every quick reply fits on the screen
  for (const b of await w.chips.getByRole('button').all()) {
    const r = await b.boundingBox();
    assert.ok(r.x >= 0 && r.x + r.width <= 360, 'chip inside the screen');
  }
  await screenshot(page, 'widget-360');
  // the close button in the panel's header closes it on a phone (the launcher is hidden behind it)
  await w.host.getByRole('button', { name: 'Cerrar el chat' }).last().click();
  await w.panel.waitFor({ state: 'hidden' });
  expectClean(page);
  await ctx.close();
});

test('widget.js is small, compressed, cached briefly and revalidated', { timeout: 60000 }, async () => {
  const r = await fetch(`${srv.url}/widget.js`, { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-encoding'), 'gzip');
  assert.equal(r.headers.get('cache-control'), 'public, max-age=300');
  const etag = r.headers.get('etag');
  const plain = Buffer.from(await r.arrayBuffer()); // fetch has decoded it
  // the bytes on the wire: ask without fetch's automatic decoding
  const raw = await new Promise((resolve, reject) => {
    import('node:http').then(({ get }) =>
      get(`${srv.url}/widget.js`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
        const parts = [];
        res.on('data', (d) => parts.push(d));
        res.on('end', () => resolve(Buffer.concat(parts)));
      }).on('error', reject),
    );
  });
  assert.deepEqual(gunzipSync(raw), plain);
  console.log(`widget.js: ${plain.length} bytes minified, ${raw.length} bytes gzipped`);
  assert.ok(raw.length < 25 * 1024, `widget.js is ${raw.length} bytes gzipped, over 25 KB`);
  const again = await fetch(`${srv.url}/widget.js`, { headers: { 'accept-encoding': 'gzip', 'if-none-match': etag } });
  assert.equal(again.status, 304);
  // and what the browser transferred on the demo page
  const ctx = await newContext(browser);
  const page = await openDemo(ctx);
  const size = await page.evaluate(() => performance.getEntriesByType('resource').find((e) => e.name.endsWith('/widget.js'))?.encodedBodySize);
  assert.ok(size > 0 && size < 25 * 1024, `transferred ${size} bytes`);
  await ctx.close();
});
