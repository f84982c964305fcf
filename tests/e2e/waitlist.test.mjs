// The waitlist in the browser (docs/waitlist.md): the widget's chat offers the waitlist of a closed day and
// joins it; the admin panel's waitlist of that day shows the customer; the closure goes, the offer comes back
// in the chat (after a reload) with its button; the accept page books the held time; the panel shows it
// booked, and staff remove another entry with the trash button.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { NOW, adminSignIn, expectClean, launch, makeClinic, newContext, pageServer, screenshot, snippet, startServer, watch, widget } from './harness.mjs';

const DAY = '2026-12-02'; // a Wednesday, closed below
let srv, browser, site, clinic, closure;

before(async () => {
  srv = await startServer({ env: { BOOKCHAT_TEST_NOW: String(NOW) } });
  const routes = {};
  site = await pageServer(routes);
  clinic = await makeClinic(srv, { origins: [site.origin] });
  routes['/'] = `<!doctype html><html lang="es"><head><meta charset="utf-8"><title>Clínica</title></head><body><p>Clínica</p>${snippet(srv.url, clinic.key)}</body></html>`;
  const ex = await clinic.admin('POST', '/v1/admin/exceptions', { provider_id: null, from: DAY, to: DAY, kind: 'closed', start: null, end: null, reason: 'Inventario' });
  assert.equal(ex.status, 201, ex.text);
  closure = ex.json.exception.id;
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await site?.close();
  await srv?.stop();
});

async function waitlistPage(ctx) {
  const page = watch(await ctx.newPage());
  await adminSignIn(page, srv.url, clinic.owner.email, clinic.owner.password);
  await page.goto(`${srv.url}/admin/#/waitlist?date=${DAY}`);
  await page.locator('main[data-screen="waitlist"] .page-head').waitFor();
  await page.locator('main .loading').waitFor({ state: 'detached' });
  return page;
}

test('the chat joins the waitlist of a closed day, the panel lists it, the freed time is offered and booked', { timeout: 120000 }, async () => {
  const ctx = await newContext(browser);
  const page = watch(await ctx.newPage());
  await page.goto(site.origin + '/');
  const w = widget(page);
  await w.launcher.waitFor();
  await w.open();
  await w.tap('Limpieza dental');
  await w.tap('Me da igual');
  await w.say('el 2 de diciembre');
  assert.match(await w.lastText(), /no hay huecos libres/i);
  await w.tap('Avisadme si se libera');
  await w.say('Nuria Vidal');
  await w.say('nuria@example.com');
  assert.match(await w.botMessages.filter({ hasText: 'lista de espera' }).last().textContent(), /estás en la lista de espera/);
  await screenshot(page, 'waitlist-chat-joined');

  // the staff's view of the day
  const admin = await waitlistPage(ctx);
  const row = admin.locator('main table tbody tr', { hasText: 'Nuria Vidal' });
  await row.waitFor();
  assert.match(await row.textContent(), /Limpieza dental/);
  assert.match(await row.textContent(), /Esperando/);
  // a second entry, from the widget API, that staff remove
  const svc = clinic.services['Limpieza dental'];
  const j = await clinic.widget('POST', '/v1/widget/waitlist', { body: { service_id: svc, date: DAY, customer: { name: 'Óscar Gil', phone: '+34 600 111 222' } } });
  assert.equal(j.status, 201, j.text);
  await admin.reload();
  const oscar = admin.locator('main table tbody tr', { hasText: 'Óscar Gil' });
  await oscar.waitFor();
  await oscar.getByRole('button', { name: 'Quitar a Óscar Gil de la lista' }).click();
  await admin.getByRole('dialog').getByRole('button', { name: 'Eliminar' }).click();
  await admin.locator('main table tbody tr', { hasText: 'Óscar Gil' }).filter({ hasText: 'Quitada' }).waitFor();
  await screenshot(admin, 'waitlist-admin-day');

  // the closure goes: Nuria gets the first time of the day, held for her
  const del = await clinic.admin('DELETE', `/v1/admin/exceptions/${closure}`);
  assert.equal(del.status, 204);
  await admin.reload();
  await admin.locator('main table tbody tr', { hasText: 'Nuria Vidal' }).filter({ hasText: 'Oferta enviada' }).waitFor();

  // the offer is in her chat after a reload, with its button to the accept page
  await page.reload();
  await w.launcher.waitFor();
  const link = w.log.locator('a.offer');
  await link.waitFor({ state: 'attached' }); // the widget restores its conversation on load (and its panel)
  if (!(await w.panel.isVisible())) await w.launcher.click();
  await link.waitFor();
  const href = await link.getAttribute('href');
  assert.ok(href.startsWith(`${srv.url}/manage/?waitlist=`), href);
  assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
  const accept = watch(await ctx.newPage());
  await accept.goto(href);
  await accept.getByRole('button', { name: 'Reservar esta hora' }).click();
  await accept.getByText('Hecho: la hora es tuya.').waitFor();
  await accept.getByText('Cita confirmada').waitFor();
  await screenshot(accept, 'waitlist-accepted');
  // accepted once: the same link again says so
  const again = watch(await ctx.newPage());
  await again.goto(href);
  await again.getByRole('button', { name: 'Reservar esta hora' }).click();
  await again.getByText('Ya aceptada').waitFor();

  await admin.reload();
  await admin.locator('main table tbody tr', { hasText: 'Nuria Vidal' }).filter({ hasText: 'Reservada' }).waitFor();
  const bookings = (await clinic.admin('GET', `/v1/admin/bookings?from=${DAY}&to=${DAY}&status=confirmed`)).json.items;
  assert.equal(bookings.length, 1);
  assert.equal(bookings[0].customer.email, 'nuria@example.com');
  for (const p of [page, admin, accept, again]) expectClean(p, [/status of 409/]);
  await ctx.close();
});
