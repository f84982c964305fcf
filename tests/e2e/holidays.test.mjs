// Public holidays in the admin panel's settings (issue 20): the place whose holidays close the business and
// the holidays it opens anyway, chosen in the form, saved through the settings API, shown again on reload.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { adminSignIn, NOW, expectClean, launch, makeClinic, newContext, startServer, watch } from './harness.mjs';

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

async function settingsPage() {
  const page = watch(await (await newContext(browser)).newPage());
  await adminSignIn(page, srv.url, clinic.owner.email, clinic.owner.password);
  await page.goto(`${srv.url}/admin/#/settings`);
  await page.locator('main[data-screen="settings"] .page-head').waitFor();
  await page.locator('main .loading').waitFor({ state: 'detached' });
  return page;
}

test('the holidays of Madrid and a day opened anyway: chosen, saved, shown again; none turns them off', async () => {
  let page = await settingsPage();
  await page.getByLabel('Festivos de').selectOption('ES-MD');
  await page.getByLabel('Días festivos que abrimos').fill('2026-12-24, 2026-12-31');
  await page.getByRole('button', { name: 'Guardar cambios' }).click();
  await page.getByText('Cambios guardados').first().waitFor();
  const s = (await clinic.admin('GET', '/v1/admin/settings')).json.settings;
  assert.deepEqual(s.holidays, { country: 'ES', region: 'MD' });
  assert.deepEqual(s.holidays_open, ['2026-12-24', '2026-12-31']);
  // the Inmaculada (8 Dec) is closed now for the widget as well
  const svc = (await clinic.widget('GET', '/v1/widget/services')).json.items[0];
  const av = await clinic.widget('GET', `/v1/widget/availability?service_id=${svc.id}&provider_id=any&from=2026-12-08&to=2026-12-08`);
  assert.equal(av.json.slots.length, 0);
  expectClean(page);
  await page.context().close();
  page = await settingsPage();
  assert.equal(await page.getByLabel('Festivos de').inputValue(), 'ES-MD');
  await page.getByLabel('Festivos de').selectOption('');
  await page.getByRole('button', { name: 'Guardar cambios' }).click();
  await page.getByText('Cambios guardados').first().waitFor();
  assert.equal((await clinic.admin('GET', '/v1/admin/settings')).json.settings.holidays, null);
  expectClean(page);
  await page.context().close();
});
