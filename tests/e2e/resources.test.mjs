// The admin panel's rooms and equipment (/admin/#/resources): an owner creates a room with its units, ticks
// it on a new group service with places per session, and the API and the widget's availability show both
// (the room's unit counted, the places left). Screenshot admin-resources.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { adminSignIn, NOW, expectClean, launch, makeClinic, newContext, screenshot, startServer, watch } from './harness.mjs';

let srv, browser, clinic, allow = [];

before(async () => {
  srv = await startServer({ env: { BOOKCHAT_TEST_NOW: String(NOW) } });
  clinic = await makeClinic(srv);
  if ((await clinic.admin('GET', '/v1/admin/usage')).status === 404) allow = [/status of 404/];
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

const screen = async (page, route) => {
  await page.goto(`${srv.url}/admin/#/${route}`);
  await page.locator(`main[data-screen="${route}"] .page-head`).waitFor();
  await page.locator('main .loading').waitFor({ state: 'detached' });
};

test('an owner adds a room and a group service that needs it', { timeout: 180000 }, async () => {
  const ctx = await newContext(browser);
  const page = watch(await ctx.newPage());
  await adminSignIn(page, srv.url, clinic.owner.email, clinic.owner.password);
  await screen(page, 'resources');
  await page.getByRole('button', { name: 'Nueva sala o equipo' }).first().click();
  const dlg = page.locator('dialog.resource-dialog');
  await dlg.getByLabel('Nombre *').fill('Sala grande');
  await dlg.getByLabel('Unidades *').fill('1');
  await dlg.getByRole('button', { name: 'Crear' }).click();
  await dlg.waitFor({ state: 'detached' });
  const row = page.locator('tr', { hasText: 'Sala grande' });
  await row.waitFor();
  assert.match(await row.textContent(), /Sala grande.*1.*Ningún servicio/);
  const room = (await clinic.admin('GET', '/v1/admin/resources')).json.items.find((r) => r.name === 'Sala grande');
  assert.equal(room.quantity, 1);

  await screen(page, 'services');
  await page.getByRole('button', { name: 'Nuevo servicio' }).click();
  const sd = page.locator('dialog.service-dialog');
  await sd.getByLabel('Nombre *').fill('Taller de cepillado');
  await sd.getByLabel('Duración (minutos) *').fill('60');
  await sd.getByLabel('Plazas por sesión').fill('6');
  await sd.getByLabel('Sala grande (1)').check();
  await sd.getByRole('button', { name: 'Crear servicio' }).click();
  await sd.waitFor({ state: 'detached' });
  await page.locator('tr', { hasText: 'Taller de cepillado' }).waitFor();
  const svc = (await clinic.admin('GET', '/v1/admin/services')).json.items.find((s) => s.name === 'Taller de cepillado');
  assert.equal(svc.capacity, 6);
  assert.deepEqual(svc.resource_ids, [room.id]);
  // the widget offers its times with the places left
  const av = await clinic.widget('GET', `/v1/widget/availability?service_id=${svc.id}&provider_id=any&from=2026-12-01&to=2026-12-01`);
  assert.equal(av.status, 200, av.text);
  assert.ok(av.json.slots.length > 0 && av.json.slots.every((s) => s.seats_left === 6), av.text);

  // the room now lists the service that needs it, and cannot be deleted from its dialog
  await screen(page, 'resources');
  const used = page.locator('tr', { hasText: 'Sala grande' });
  await used.waitFor();
  assert.match(await used.textContent(), /Taller de cepillado/);
  await used.getByRole('button', { name: 'Sala grande' }).click();
  const ed = page.locator('dialog.resource-dialog');
  await ed.waitFor();
  assert.match(await ed.textContent(), /Lo necesitan: Taller de cepillado/);
  assert.equal(await ed.getByRole('button', { name: 'Eliminar' }).count(), 0);
  await screenshot(page, 'admin-resources');
  expectClean(page, allow);
  await ctx.close();
});
