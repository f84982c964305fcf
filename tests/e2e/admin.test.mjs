// The admin panel (/admin/) in a browser: a booking made in the widget shows in the calendar and is
// handled there; an admin creates a service and the widget offers it; a viewer gets no edit controls and
// the API refuses the write anyway; the settings' live preview follows the edits; the dashboard at desktop
// and 360 px, in Spanish and English (screenshots admin-*.png); a screen loaded on demand shows the loading
// state while its chunk arrives and explains a chunk that fails. Also checks that every word the panel
// uses exists in both languages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adminSignIn, NOW, expectClean, launch, makeClinic, newContext, screenshot, startServer, watch, widget } from './harness.mjs';
import { makeUser } from '../api/harness.mjs';

const WEB = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');
let srv, browser, clinic, viewer, allow = [];

before(async () => {
  srv = await startServer({ env: { BOOKCHAT_TEST_NOW: String(NOW) } });
  clinic = await makeClinic(srv);
  viewer = await makeUser(srv, clinic, 'viewer');
  // a server without the usage API answers 404 there: the dashboard says so, the browser logs the 404
  if ((await clinic.admin('GET', '/v1/admin/usage')).status === 404) allow = [/status of 404/];
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

// A context whose clock says Monday 30 November 2026, 11:00 in Madrid (the server's NOW plus two hours).
async function staffContext(opts) {
  const ctx = await newContext(browser, opts);
  await ctx.clock.setFixedTime(new Date((NOW + 2 * 3600) * 1000));
  return ctx;
}

async function signIn(ctx, email, password) {
  const page = watch(await ctx.newPage());
  await adminSignIn(page, srv.url, email, password);
  return page;
}
const owner = (ctx) => signIn(ctx, clinic.owner.email, clinic.owner.password);
const screen = async (page, route, name) => {
  await page.goto(`${srv.url}/admin/#/${route}`);
  await page.locator(`main[data-screen="${name || route.split('?')[0]}"] .page-head`).waitFor();
  await page.locator('main .loading').waitFor({ state: 'detached' });
};

test('every word the panel and the console use exists in Spanish and English', async () => {
  for (const dir of ['admin', 'platform']) {
    const { TEXTS } = await import(join(WEB, dir, 'i18n.js'));
    const files = [join(WEB, dir), join(WEB, dir, 'screens'), join(WEB, 'shared')].flatMap((d) => {
      try {
        return readdirSync(d).filter((f) => f.endsWith('.js') && f !== 'i18n.js').map((f) => join(d, f));
      } catch {
        return [];
      }
    });
    const used = new Set();
    for (const f of files) for (const m of readFileSync(f, 'utf8').matchAll(/\bt\('([a-zA-Z0-9_.]*[a-zA-Z0-9_])'(?!\s*\+)/g)) used.add(m[1]);
    assert.ok(used.size > 30, `${dir}: keys found`);
    for (const lang of Object.keys(TEXTS)) assert.deepEqual([...used].filter((k) => !(k in TEXTS[lang])), [], `${dir}/${lang}: missing words`);
    assert.deepEqual(Object.keys(TEXTS.es).sort(), Object.keys(TEXTS.en).sort(), `${dir}: the same keys in both languages`);
  }
});

test('a booking made in the widget is in the admin calendar, where staff handle it', { timeout: 180000 }, async () => {
  // the customer books on the demo page
  const cctx = await newContext(browser);
  const site = watch(await cctx.newPage());
  await site.goto(`${srv.url}/demo/?key=${encodeURIComponent(clinic.key)}`);
  const w = widget(site);
  await w.launcher.waitFor();
  await w.open();
  await w.tap('Limpieza dental');
  await w.tap('Dra. Marta López');
  await w.tapFirst();
  const time = await w.tapFirst();
  await w.say('Lucía Pérez');
  await w.say('lucia@example.com');
  await w.tap('Sí, confirmar');
  await w.card.waitFor();
  const code = (await w.card.locator('.code').textContent()).trim();
  const booked = (await clinic.admin('GET', '/v1/admin/bookings?from=2026-11-30&to=2027-01-31')).json.items.find((b) => b.code === code);
  const day = booked.start.slice(0, 10);
  expectClean(site);
  await cctx.close();

  // the clinic sees it in the week calendar, at its time, and opens it
  const ctx = await staffContext();
  const page = await owner(ctx);
  await screen(page, `bookings?view=week&date=${day}`, 'bookings');
  const ev = page.locator(`.cal-ev[data-code="${code}"]`);
  await ev.waitFor();
  assert.match(await ev.textContent(), new RegExp(`${time}.*Lucía Pérez.*Limpieza dental`));
  assert.equal(await ev.evaluate((e) => e.closest('.cal-col').dataset.day), day);
  await ev.click();
  const dlg = page.locator('dialog.booking-dialog');
  await dlg.waitFor();
  const text = await dlg.textContent();
  for (const s of ['Limpieza dental', 'Dra. Marta López', 'lucia@example.com', code, 'Chat', 'Confirmada']) assert.ok(text.includes(s), `the booking shows ${s}`);
  // staff move it to 12:00 with the form
  await dlg.getByRole('button', { name: 'Cambiar hora' }).click();
  const form = page.locator('dialog.booking-form-dialog');
  await form.locator('.slot', { hasText: '12:00' }).click();
  await form.getByRole('button', { name: 'Mover la cita' }).click();
  await form.waitFor({ state: 'detached', timeout: 10000 }).catch(async (e) => assert.fail(`${e.message}\n${await form.textContent()}`));
  await page.locator(`.cal-ev[data-code="${code}"] .ev-time`, { hasText: '12:00' }).waitFor();
  assert.equal((await clinic.admin('GET', `/v1/admin/bookings/${booked.id}`)).json.booking.start, `${day}T12:00:00+01:00`);

  // the day view has it in Marta's column at 12:00; the customer did not come: the status changes in the API
  await screen(page, `bookings?view=day&date=${day}`, 'bookings');
  const moved = page.locator(`.cal-ev[data-code="${code}"]`);
  await moved.locator('.ev-time', { hasText: '12:00' }).waitFor();
  await moved.click();
  const dlg2 = page.locator('dialog.booking-dialog');
  await dlg2.getByRole('button', { name: 'No se presentó' }).click();
  await dlg2.waitFor({ state: 'detached' });
  await page.locator(`.cal-ev.st-no_show[data-code="${code}"]`).waitFor();
  assert.equal((await clinic.admin('GET', `/v1/admin/bookings/${booked.id}`)).json.booking.status, 'no_show');

  // a booking on a customer's behalf from the list view
  await screen(page, `bookings?view=list&from=${day}&to=${day}`, 'bookings');
  await page.getByRole('button', { name: 'Nueva cita' }).click();
  const nf = page.locator('dialog.booking-form-dialog');
  await nf.locator('#bk-service').selectOption({ label: 'Revisión · 20 min' });
  await nf.locator('#bk-provider').selectOption({ label: 'Dr. Javier Ruiz' });
  await nf.locator('#bk-date').fill(day);
  await nf.locator('#bk-date').dispatchEvent('change');
  await nf.locator('.slot', { hasText: '16:00' }).click();
  await nf.locator('#bk-name').fill('Pablo Gómez');
  await nf.locator('#bk-phone').fill('612 345 678');
  await nf.getByRole('button', { name: 'Crear cita' }).click();
  await nf.waitFor({ state: 'detached', timeout: 10000 }).catch(async (e) => assert.fail(`${e.message}\n${await nf.locator('.dialog-error').textContent()}`));
  await page.locator('table.table', { hasText: 'Pablo Gómez' }).waitFor();
  const made = (await clinic.admin('GET', `/v1/admin/bookings?from=${day}&to=${day}`)).json.items.find((b) => b.customer.name === 'Pablo Gómez');
  assert.equal(made.start, `${day}T16:00:00+01:00`);
  assert.equal(made.provider_id, clinic.providers['Dr. Javier Ruiz']);
  assert.equal(made.source, 'admin');
  expectClean(page, allow);
  await ctx.close();
});

test('an admin creates a service and the widget offers it', { timeout: 180000 }, async () => {
  const ctx = await staffContext();
  const page = await owner(ctx);
  await screen(page, 'services');
  await page.getByRole('button', { name: 'Nuevo servicio' }).click();
  const dlg = page.locator('dialog.service-dialog');
  await dlg.getByLabel('Nombre *').fill('Ortodoncia invisible');
  await dlg.getByLabel('Descripción').fill('Primera visita de valoración.');
  await dlg.getByLabel('Duración (minutos) *').fill('45');
  await dlg.getByLabel('Precio (€)').fill('60');
  // both professionals are ticked by default; Javier does not do it
  await dlg.getByLabel('Dr. Javier Ruiz').uncheck();
  await dlg.getByRole('button', { name: 'Crear servicio' }).click();
  await dlg.waitFor({ state: 'detached' });
  const row = page.locator('tr', { hasText: 'Ortodoncia invisible' });
  await row.waitFor();
  assert.match(await row.textContent(), /45 min.*60\s?€.*Dra\. Marta López/);
  expectClean(page, allow);

  // the widget on the clinic's page offers it, with the professional who does it
  const site = watch(await ctx.newPage());
  await site.goto(`${srv.url}/demo/?key=${encodeURIComponent(clinic.key)}`);
  const w = widget(site);
  await w.launcher.waitFor();
  await w.open();
  assert.ok((await w.chipLabels()).includes('Ortodoncia invisible'), 'the new service is a choice');
  await w.tap('Ortodoncia invisible');
  // only Marta offers it: the chat does not ask for a professional and goes straight to the days
  assert.doesNotMatch(await w.log.textContent(), /Javier Ruiz/);
  assert.ok((await w.chipLabels()).some((l) => /\d/.test(l)), 'days are offered');
  expectClean(site);
  await ctx.close();
});

test('a viewer sees no edit controls, and the API refuses the write', { timeout: 180000 }, async () => {
  const ctx = await staffContext();
  const page = await signIn(ctx, viewer.email, 'correct-horse-battery');
  assert.equal(await page.locator('.sidebar [data-role]').textContent(), 'Solo lectura');
  assert.equal(await page.locator('.nav a[href="#/users"], .nav a[href="#/audit"]').count(), 0, 'no users or audit for viewers');
  await page.locator('main[data-screen="dashboard"] .stats').waitFor();
  const noButton = async (name) => assert.equal(await page.getByRole('button', { name, exact: true }).count(), 0, `no "${name}"`);
  await noButton('Nueva cita');
  assert.equal(await page.locator('a', { hasText: 'Nueva cita' }).count(), 0);

  await screen(page, 'services');
  await noButton('Nuevo servicio');
  await page.locator('.view-only').waitFor();
  await page.getByRole('button', { name: 'Limpieza dental' }).click();
  const dlg = page.locator('dialog.service-dialog');
  await dlg.locator('dl.details').waitFor();
  assert.equal(await dlg.locator('input, select, textarea').count(), 0, 'read-only details, no fields');
  assert.deepEqual(await dlg.locator('.dialog-foot button').allTextContents(), ['Cerrar']);
  await dlg.getByRole('button', { name: 'Cerrar' }).first().click();

  await screen(page, 'professionals');
  await noButton('Nuevo profesional');
  assert.equal(await page.getByRole('button', { name: 'Editar' }).count(), 0);
  await screen(page, 'bookings?view=week&date=2026-12-01', 'bookings');
  await noButton('Nueva cita');
  await screen(page, 'exceptions');
  await noButton('Nuevo cierre o apertura');
  await screen(page, 'widget');
  for (const name of ['Nueva clave', 'Rotar', 'Revocar']) await noButton(name);
  await screen(page, 'assistant');
  assert.equal(await page.locator('input[name="mode"]:not([disabled])').count(), 0, 'the mode cannot be changed');
  await noButton('Guardar cambios');
  await screen(page, 'settings');
  await page.locator('.settings-form dl.details').first().waitFor();
  assert.equal(await page.locator('.settings-form').locator('input, select, textarea').count(), 0, 'settings are shown, not editable');
  await noButton('Guardar cambios');
  await screen(page, 'users', 'dashboard'); // not for viewers: back to the dashboard

  // the API refuses what the page does not offer, with the viewer's own session
  const res = await page.evaluate(async () => {
    const { token } = JSON.parse(localStorage.getItem('bookchat-admin-session'));
    const call = async (method, path, body) => {
      const r = await fetch(path, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      return [r.status, (await r.json()).error?.code];
    };
    return [await call('PATCH', '/v1/admin/settings', { widget: { title: 'Hacked' } }), await call('POST', '/v1/admin/services', { name: 'Nope', duration_min: 30 })];
  });
  assert.deepEqual(res, [
    [403, 'forbidden'],
    [403, 'forbidden'],
  ]);
  assert.equal((await clinic.admin('GET', '/v1/admin/settings')).json.settings.widget.title, 'Clínica Dental Sonrisa');
  expectClean(page, [...allow, /status of 403/]);
  await ctx.close();
});

test('the dashboard, the calendar and the settings at desktop and 360 px, in Spanish and English', { timeout: 180000 }, async () => {
  // a few more bookings so the day and the week have something in them
  const svc = Object.values(clinic.services), pro = Object.values(clinic.providers);
  const people = ['Ana García', 'Luis Martín', 'Carmen Ruiz', 'Jorge Díaz', 'Elena Torres', 'Marta Gil'];
  for (let i = 0; i < people.length; i++) {
    const day = ['2026-11-30', '2026-11-30', '2026-12-01', '2026-12-02', '2026-12-02', '2026-12-03'][i];
    const av = (await clinic.admin('GET', `/v1/admin/availability?service_id=${svc[i % 3]}&provider_id=${pro[i % 2]}&from=${day}&to=${day}`)).json.slots;
    const slot = av[(i * 5 + 3) % av.length];
    const r = await clinic.admin('POST', '/v1/admin/bookings', { service_id: svc[i % 3], provider_id: pro[i % 2], start: slot.start, customer: { name: people[i], email: `p${i}@example.com` } });
    assert.equal(r.status, 201, r.text);
  }
  assert.ok((await srv.post('/v1/test/usage/flush', {})).status < 300, 'usage flushed');
  const ctx = await staffContext();
  const page = await owner(ctx);
  await page.locator('main[data-screen="dashboard"] .stats').waitFor();
  const todays = page.locator('.today-card .bookings-list li');
  await todays.first().waitFor();
  assert.ok((await todays.count()) >= 2, "today's bookings are listed");
  assert.match(await page.locator('.usage-card').textContent(), /20\.000/, "the plan's message limit");
  // this month's usage per day, drawn by uPlot from GET /v1/admin/usage: one chart for messages, one for bookings
  const charts = page.locator('.usage-card .chart');
  await page.locator('.usage-card .chart[data-ready] canvas').nth(1).waitFor();
  assert.equal(await charts.count(), 2);
  const usage = (await clinic.admin('GET', '/v1/admin/usage')).json.usage;
  assert.ok(usage.totals.bookings >= people.length, `bookings counted (${usage.totals.bookings})`);
  assert.deepEqual(await charts.evaluateAll((els) => els.map((e) => Number(e.dataset.sum))), [usage.totals.messages, usage.totals.bookings]);
  assert.ok((await page.locator('.usage-card .chart canvas').first().evaluate((c) => c.getBoundingClientRect().width)) > 200, 'the chart fills its card');
  await screenshot(page, 'admin-dashboard-desktop', { fullPage: true });
  await screen(page, 'bookings?view=week&date=2026-11-30', 'bookings');
  await page.locator('.cal-ev').first().waitFor();
  await screenshot(page, 'admin-calendar-week');
  await screen(page, 'settings');
  await page.frameLocator('.preview-frame').locator('[data-bookchat] .title').waitFor();
  await screenshot(page, 'admin-settings');

  // English: the switch changes the panel's words (and is remembered)
  await page.getByRole('button', { name: 'EN', exact: true }).click();
  await page.locator('.nav a[href="#/bookings"]', { hasText: 'Bookings' }).waitFor();
  await screen(page, 'dashboard');
  assert.match(await page.locator('.today-card h2').textContent(), /^Today · Monday, (30 November|November 30)/);
  await page.reload();
  await page.locator('.nav a[href="#/bookings"]', { hasText: 'Bookings' }).waitFor();
  await screenshot(page, 'admin-dashboard-desktop-en', { fullPage: true });
  expectClean(page, allow);
  await ctx.close();

  // a phone: nothing wider than the screen; the menu opens from the top bar
  const phone = await staffContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const p = await signIn(phone, clinic.owner.email, clinic.owner.password);
  await p.locator('main[data-screen="dashboard"] .stats').waitFor();
  await p.locator('.today-card .bookings-list li').first().waitFor();
  const width = () => p.evaluate(() => document.documentElement.scrollWidth);
  assert.ok((await width()) <= 360, `no horizontal scroll (${await width()})`);
  await screenshot(p, 'admin-dashboard-360', { fullPage: true });
  await p.getByRole('button', { name: 'Menú' }).click();
  await p.locator('.app.nav-open .sidebar a[href="#/services"]').click();
  await p.locator('main[data-screen="services"] .table').waitFor();
  assert.ok((await width()) <= 360, 'the services list fits');
  await screen(p, 'bookings?view=day&date=2026-11-30', 'bookings');
  await p.locator('.cal-ev').first().waitFor();
  assert.ok((await width()) <= 360, 'the calendar scrolls inside its card');
  await screenshot(p, 'admin-calendar-360');
  expectClean(p, allow);
  await phone.close();
});

test("the settings' preview shows the widget as it is being edited; saving applies it", { timeout: 180000 }, async () => {
  const ctx = await staffContext();
  const page = await owner(ctx);
  await screen(page, 'settings');
  const frame = page.frameLocator('.preview-frame');
  const title = frame.locator('[data-bookchat] .title');
  await title.waitFor();
  assert.equal(await title.textContent(), 'Clínica Dental Sonrisa');
  await page.getByLabel('Título del chat').fill('Sonrisa · Citas');
  await page.getByLabel('Color').fill('#7c3aed');
  await page.getByLabel('Saludo').fill('¡Bienvenido a Sonrisa!');
  await frame.locator('[data-bookchat] .title', { hasText: 'Sonrisa · Citas' }).waitFor();
  await frame.locator('[data-bookchat] .msg.bot', { hasText: '¡Bienvenido a Sonrisa!' }).waitFor();
  const bg = await frame.locator('[data-bookchat] .head').evaluate((e) => getComputedStyle(e).backgroundColor);
  assert.equal(bg, 'rgb(124, 58, 237)');
  // nothing is saved until asked, and the preview made no conversation
  assert.equal((await clinic.admin('GET', '/v1/admin/settings')).json.settings.widget.title, 'Clínica Dental Sonrisa');
  const convs = (await clinic.admin('GET', '/v1/admin/conversations')).json.items.length;
  await page.getByRole('button', { name: 'Guardar cambios' }).click();
  await page.locator('.toast', { hasText: 'Cambios guardados' }).waitFor();
  const s = (await clinic.admin('GET', '/v1/admin/settings')).json.settings.widget;
  assert.deepEqual([s.title, s.color, s.greeting], ['Sonrisa · Citas', '#7c3aed', '¡Bienvenido a Sonrisa!']);
  assert.equal((await clinic.admin('GET', '/v1/admin/conversations')).json.items.length, convs);
  expectClean(page, allow);
  await ctx.close();
});

// The rarely used screens are chunks fetched when first opened (admin.js, ROUTES): the usual loading state
// shows while one downloads, and a chunk that cannot be fetched is explained in the panel's language, with
// a way to retry, instead of a blank screen.
test('a screen loaded on demand shows the loading state, then itself; a chunk that fails is explained', { timeout: 180000 }, async () => {
  const ctx = await staffContext();
  const page = await owner(ctx);
  await page.locator('main[data-screen="dashboard"] .stats').waitFor();

  // the users screen's chunk is held back: the screen says it is loading until it arrives
  let release;
  const held = new Promise((r) => (release = r));
  let asked = 0;
  const usersChunk = /\/assets\/chunks\/users-[A-Z0-9]+\.js$/;
  await ctx.route(usersChunk, async (route) => {
    asked++;
    await held;
    await route.continue();
  });
  await page.goto(`${srv.url}/admin/#/users`);
  const loading = page.locator('main[data-screen="users"] .loading');
  await loading.waitFor();
  assert.match(await loading.textContent(), /Cargando/);
  assert.equal(asked, 1, 'the chunk is fetched when the screen is opened');
  release();
  await page.locator('main[data-screen="users"] .page-head').waitFor();
  await loading.waitFor({ state: 'detached' });
  assert.match(await page.locator('main .table').textContent(), new RegExp(clinic.owner.email.replace(/[.+]/g, '\\$&')));
  await ctx.unroute(usersChunk);

  // the audit log's chunk cannot be fetched: an error in Spanish, then in English after switching
  const auditChunk = /\/assets\/chunks\/audit-[A-Z0-9]+\.js$/;
  await ctx.route(auditChunk, (route) => route.abort());
  await page.goto(`${srv.url}/admin/#/audit`);
  const alert = page.locator('main[data-screen="audit"] [role="alert"]');
  await alert.waitFor();
  assert.match(await alert.textContent(), /No se ha podido descargar esta pantalla/);
  assert.equal(await page.locator('main .page-head').count(), 0);
  await page.getByRole('button', { name: 'EN', exact: true }).click();
  await page.locator('main[data-screen="audit"] [role="alert"]', { hasText: 'This screen could not be downloaded' }).waitFor();

  // back online, "Try again" reloads the page and the screen opens
  await ctx.unroute(auditChunk);
  await alert.getByRole('button', { name: 'Try again' }).click();
  await page.locator('main[data-screen="audit"] .page-head').waitFor();
  await page.locator('main .loading').waitFor({ state: 'detached' });
  expectClean(page, [...allow, /Failed to load resource: net::ERR_FAILED/]);
  await ctx.close();
});
