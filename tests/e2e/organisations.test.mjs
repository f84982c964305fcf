// The admin panel of an organisation (issue 22, docs/organisations.md): its owner switches between the
// organisation and a branch; the panel then shows and changes the branch's data (X-Tenant-Id), remembers
// the choice on reload, and a branch's own staff get no switcher.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { adminSignIn, NOW, expectClean, launch, makeClinic, makeTenant, newContext, screenshot, startServer, watch } from './harness.mjs';

let srv, browser, org, branch;

before(async () => {
  srv = await startServer({ env: { BOOKCHAT_TEST_NOW: String(NOW) } });
  org = await makeClinic(srv, { name: 'Clínicas Sol' });
  branch = await makeTenant(srv, { name: 'Sol Chamberí', parent_id: org.id, locale: 'es', timezone: 'Europe/Madrid' });
  const made = await branch.admin('POST', '/v1/admin/services', { name: 'Ortodoncia', duration_min: 45 });
  assert.equal(made.status, 201, made.text);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

async function signIn(who) {
  const page = watch(await (await newContext(browser)).newPage());
  await adminSignIn(page, srv.url, who.owner.email, who.owner.password);
  return page;
}

async function services(page) {
  await page.goto(`${srv.url}/admin/#/services`);
  await page.locator('main[data-screen="services"] .table').waitFor();
  return page.locator('main[data-screen="services"] .table').innerText();
}

test('the organisation\'s owner switches to a branch, sees and changes its catalogue, and back', async () => {
  const page = await signIn(org);
  const sw = page.getByLabel('Organización o sede');
  assert.equal(await sw.inputValue(), org.id);
  assert.deepEqual(await sw.locator('option').allInnerTexts(), ['Clínicas Sol (organización)', 'Sol Chamberí']);
  let text = await services(page);
  assert.match(text, /Limpieza dental/);
  assert.doesNotMatch(text, /Ortodoncia/);
  await sw.selectOption(branch.id);
  await page.locator('.brand small', { hasText: 'Sol Chamberí' }).waitFor();
  text = await services(page);
  assert.match(text, /Ortodoncia/);
  assert.doesNotMatch(text, /Limpieza dental/);
  // a change made here is the branch's
  await page.getByRole('button', { name: /Nuevo servicio/ }).click();
  await page.getByLabel('Nombre').first().fill('Implantes');
  await page.getByRole('button', { name: /Guardar|Crear/ }).last().click();
  await page.locator('main[data-screen="services"] .table', { hasText: 'Implantes' }).waitFor();
  const mine = (await branch.admin('GET', '/v1/admin/services')).json.items.map((s) => s.name);
  assert.ok(mine.includes('Implantes'), mine.join());
  const orgs = (await org.admin('GET', '/v1/admin/services')).json.items.map((s) => s.name);
  assert.ok(!orgs.includes('Implantes'));
  // remembered on reload
  await page.reload();
  await page.locator('.brand small', { hasText: 'Sol Chamberí' }).waitFor();
  await page.getByLabel('Organización o sede').selectOption(org.id);
  await page.locator('.brand small', { hasText: 'Clínicas Sol' }).waitFor();
  assert.match(await services(page), /Limpieza dental/);
  expectClean(page);
  await page.context().close();
});

test('the organisation\'s dashboard shows its branches side by side, and opens one', async () => {
  const page = await signIn(org);
  await page.goto(`${srv.url}/admin/#/dashboard`);
  const cardEl = page.locator('.org-card');
  await cardEl.waitFor();
  const text = await cardEl.innerText();
  assert.match(text, /Tus centros este mes \(1\)/);
  assert.match(text, /Clínicas Sol/);
  assert.match(text, /Sol Chamberí/);
  assert.match(text, /Total de la organización/);
  await screenshot(page, 'admin-organisation', { fullPage: true });
  await cardEl.getByRole('button', { name: 'Sol Chamberí' }).click();
  await page.locator('.brand small', { hasText: 'Sol Chamberí' }).waitFor();
  // a branch's dashboard has no organisation card
  await page.locator('main[data-screen="dashboard"] .stats').waitFor();
  assert.equal(await page.locator('.org-card').count(), 0);
  await page.getByLabel('Organización o sede').selectOption(org.id);
  await page.locator('.org-card').waitFor();
  expectClean(page);
  await page.context().close();
});

test('a branch\'s own owner gets no switcher', async () => {
  const page = await signIn(branch);
  await page.locator('.brand small', { hasText: 'Sol Chamberí' }).waitFor();
  assert.equal(await page.locator('[data-testid="branch-switch"]').count(), 0);
  expectClean(page);
  await page.context().close();
});
