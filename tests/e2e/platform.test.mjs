// The operator console (/platform/) in a browser: sign-in with the platform token; the tenants with plan,
// status, health score and this month's usage, and the search; an operator creates a tenant, copies the
// snippet it shows once, and the snippet works on a page of another origin; plan change, suspend (the
// widget then says it is not available), reactivate, delete and restore, each checked in the API; a
// tenant's usage with its daily chart; desktop and 360 px screenshots (platform-*.png); the gzipped weight of both pages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { NOW, PLATFORM_TOKEN, expectClean, launch, makeClinic, newContext, pageServer, screenshot, startServer, watch, widget } from './harness.mjs';

let srv, browser, clinic, site;
// the second origin: serves whatever snippet the test pastes there
let sitePage = '<!doctype html><title>empty</title>';

before(async () => {
  srv = await startServer({ env: { BOOKCHAT_TEST_NOW: String(NOW) } });
  clinic = await makeClinic(srv);
  // some activity this month, so the clinic's usage has numbers and its chart has bars
  const svc = Object.values(clinic.services)[0], pro = Object.values(clinic.providers)[0];
  const slots = (await clinic.admin('GET', `/v1/admin/availability?service_id=${svc}&provider_id=${pro}&from=2026-12-01&to=2026-12-01`)).json.slots;
  for (const i of [0, 2, 4]) {
    const r = await clinic.admin('POST', '/v1/admin/bookings', { service_id: svc, provider_id: pro, start: slots[i].start, customer: { name: `Cliente ${i}`, email: `c${i}@example.com` } });
    assert.equal(r.status, 201, r.text);
  }
  assert.equal((await srv.post('/v1/test/usage/flush', {})).status, 200);
  site = await pageServer({ '/': () => sitePage });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await site?.close();
  await srv?.stop();
});

async function console_(opts = {}) {
  const ctx = await newContext(browser, { locale: 'en-GB', ...opts });
  const page = watch(await ctx.newPage());
  await page.goto(`${srv.url}/platform/`);
  return { ctx, page };
}

async function signIn(page, token = PLATFORM_TOKEN) {
  await page.locator('#token').fill(token);
  await page.getByRole('button', { name: 'Open the console' }).click();
}

const tenantsTable = (page) => page.locator('main[data-screen="tenants"] table');
const row = (page, name) => tenantsTable(page).locator('tbody tr', { hasText: name });

test('the token is checked; the tenants are listed with plan, status, health and usage, and can be searched', { timeout: 120000 }, async () => {
  const { ctx, page } = await console_();
  await signIn(page, 'not-the-token');
  await page.locator('.alert-error', { hasText: 'That token is not the platform token.' }).waitFor();
  assert.equal(await page.locator('.sidebar').count(), 0);
  await signIn(page);
  await page.locator('.sidebar').waitFor();
  const r = row(page, 'Clínica Dental Sonrisa');
  await r.waitFor();
  // usage: this month's messages against the plan, and the bookings made in before()
  const usage = (await srv.platform('GET', `/v1/platform/tenants/${clinic.id}/usage`)).json.usage;
  assert.ok(usage.totals.bookings >= 3, `bookings counted (${usage.totals.bookings})`);
  await r.locator('.usage-cell', { hasText: `${usage.totals.bookings} bookings` }).waitFor();
  assert.match(await r.locator('.usage-cell').textContent(), /^\d[\d,]* \/ 20,000/);
  const text = await r.textContent();
  assert.match(text, /PRO/);
  assert.match(text, /Active/);
  const health = (await srv.platform('GET', '/v1/platform/health')).json.items.find((x) => x.tenant_id === clinic.id);
  assert.equal(await r.locator('.score').textContent(), String(health.score));

  // a second tenant; the search narrows the list to what matches name or ID
  const lola = await srv.platform('POST', '/v1/platform/tenants', { name: 'Peluquería Lola', plan: 'FREE', empty: true });
  assert.equal(lola.status, 201, lola.text);
  const other = lola.json.tenant;
  await page.reload();
  await row(page, 'Peluquería Lola').waitFor();
  assert.ok((await tenantsTable(page).locator('tbody tr').count()) >= 2);
  await page.getByRole('searchbox', { name: 'Search by name or ID' }).fill('lola');
  await page.waitForFunction(() => document.querySelectorAll('main table tbody tr').length === 1);
  assert.match(await tenantsTable(page).locator('tbody tr').textContent(), /Peluquería Lola.*FREE/);
  await page.getByRole('searchbox').fill(other.id);
  await row(page, 'Peluquería Lola').waitFor();
  assert.equal(await tenantsTable(page).locator('tbody tr').count(), 1);
  await page.getByRole('searchbox').fill('nothing like this');
  await page.locator('main', { hasText: 'Nothing matches the search.' }).waitFor();
  expectClean(page, [/status of 401/]); // the wrong token
  await ctx.close();
});

test('an operator creates a tenant; its snippet works on a page of another origin', { timeout: 180000 }, async () => {
  const { ctx, page } = await console_();
  await signIn(page);
  await tenantsTable(page).waitFor();
  await page.getByRole('button', { name: 'New tenant' }).click();
  const dlg = page.locator('dialog.create-dialog');
  await dlg.getByLabel('Business name *').fill('Fisioterapia Norte');
  await dlg.getByLabel('Plan').selectOption('PRO');
  await dlg.getByLabel('Website(s) for the widget').fill(site.origin);
  await dlg.getByLabel('Owner’s e-mail').fill('ana@fisionorte.example');
  await dlg.getByRole('button', { name: 'Create tenant' }).click();

  // the onboarding result, shown once: tenant, login, snippet, key
  const ob = page.locator('dialog.onboard-dialog');
  await ob.waitFor();
  assert.match(await ob.locator('h2').textContent(), /Fisioterapia Norte/);
  const snippet = (await ob.locator('.snippet code').textContent()).trim();
  assert.match(snippet, /^<script src="http:\/\/127\.0\.0\.1:\d+\/widget\.js" data-key="pk_live_[^"]+" async><\/script>$/);
  const login = await ob.locator('.code-block.secret code').first().textContent();
  assert.match(login, /ana@fisionorte\.example/);
  const password = login.match(/Password: (\S+)/)[1];
  const tenantId = (await ob.locator('dl.details dd.mono').textContent()).trim();
  const made = (await srv.platform('GET', `/v1/platform/tenants/${tenantId}`)).json.tenant;
  assert.deepEqual([made.name, made.plan, made.status], ['Fisioterapia Norte', 'PRO', 'ACTIVE']);
  // the owner's login works
  assert.equal((await srv.post('/v1/auth/login', { email: 'ana@fisionorte.example', password })).status, 200);
  await screenshot(page, 'platform-onboarding-desktop');
  await ob.getByRole('button', { name: 'Done' }).click();
  await row(page, 'Fisioterapia Norte').waitFor();
  expectClean(page);

  // the snippet, pasted as it is into the other origin's page, gives a working chat
  sitePage = `<!doctype html><html lang="es"><head><meta charset="utf-8"><title>Fisioterapia Norte</title></head><body><h1>Fisioterapia Norte</h1>${snippet}</body></html>`;
  const sctx = await newContext(browser);
  const sp = watch(await sctx.newPage());
  await sp.goto(site.url);
  const w = widget(sp);
  await w.launcher.waitFor();
  await w.open();
  assert.ok((await w.chipLabels()).length > 0, 'the chat offers the sample services');
  assert.equal(await w.host.locator('.state').count(), 0, 'no "not available" state');
  expectClean(sp);
  await sctx.close();
  await ctx.close();
});

test('an operator creates a branch of an organisation', { timeout: 120000 }, async () => {
  const org = (await srv.platform('GET', '/v1/platform/tenants?limit=100')).json.items.find((x) => x.name === 'Fisioterapia Norte');
  assert.ok(org, 'the tenant of the test before');
  const { ctx, page } = await console_();
  await signIn(page);
  await tenantsTable(page).waitFor();
  await page.getByRole('button', { name: 'New tenant' }).click();
  const dlg = page.locator('dialog.create-dialog');
  await dlg.getByLabel('Business name *').fill('Fisioterapia Norte Centro');
  await dlg.getByLabel('Organisation').selectOption(org.id);
  await dlg.getByRole('button', { name: 'Create tenant' }).click();
  const ob = page.locator('dialog.onboard-dialog');
  await ob.waitFor();
  const tenantId = (await ob.locator('dl.details dd.mono').textContent()).trim();
  const made = (await srv.platform('GET', `/v1/platform/tenants/${tenantId}`)).json.tenant;
  assert.equal(made.parent_id, org.id);
  await ob.getByRole('button', { name: 'Done' }).click();
  // a branch is not offered as an organisation
  await page.getByRole('button', { name: 'New tenant' }).click();
  const labels = await page.locator('dialog.create-dialog').getByLabel('Organisation').locator('option').allInnerTexts();
  assert.ok(labels.some((l) => l.startsWith('Fisioterapia Norte ·')));
  assert.ok(!labels.some((l) => l.startsWith('Fisioterapia Norte Centro')));
  expectClean(page);
  await ctx.close();
});

test("plan change, suspend, reactivate, delete and restore from a tenant's page; its usage", { timeout: 180000 }, async () => {
  const made = await srv.platform('POST', '/v1/platform/tenants', { name: 'Centro Dental Sur', plan: 'FREE', origins: [site.origin] });
  assert.equal(made.status, 201, made.text);
  const t = made.json;
  const status = async () => (await srv.platform('GET', `/v1/platform/tenants/${t.tenant.id}`)).json.tenant;
  const { ctx, page } = await console_();
  await signIn(page);
  await tenantsTable(page).waitFor();
  await row(page, 'Centro Dental Sur').getByRole('button', { name: 'Centro Dental Sur' }).click();
  await page.locator('main[data-screen="tenant"] .limits-form').waitFor();

  // the plan
  await page.locator('#plan-select').selectOption('PRO');
  await page.getByRole('button', { name: 'Save plan and limits' }).click();
  await page.locator('.toast', { hasText: 'Plan and limits saved' }).waitFor();
  assert.equal((await status()).plan, 'PRO');

  // suspended: the widget on the business's site says it is not available
  await page.getByRole('button', { name: 'Suspend' }).click();
  await page.locator('dialog.dialog-confirm').getByRole('button', { name: 'Suspend' }).click();
  await page.locator('.toast', { hasText: 'Tenant suspended' }).waitFor();
  assert.equal((await status()).status, 'SUSPENDED');
  sitePage = `<!doctype html><html><body>${t.snippet}</body></html>`;
  const sctx = await newContext(browser);
  const sp = watch(await sctx.newPage());
  await sp.goto(site.url);
  const w = widget(sp);
  await w.launcher.waitFor();
  await w.launcher.click();
  await w.host.locator('.state').waitFor();
  assert.match(await w.panel.textContent(), /no disponible|unavailable/i);
  await sctx.close();

  await page.getByRole('button', { name: 'Reactivate' }).click();
  await page.locator('.toast', { hasText: 'Tenant active again' }).waitFor();
  assert.equal((await status()).status, 'ACTIVE');
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.locator('dialog.dialog-confirm').getByRole('button', { name: 'Delete' }).click();
  await page.locator('.toast', { hasText: 'Tenant deleted' }).waitFor();
  assert.equal((await status()).status, 'DELETED');
  await page.getByRole('button', { name: 'Restore' }).click();
  await page.locator('.toast', { hasText: 'Tenant restored' }).waitFor();
  assert.equal((await status()).status, 'ACTIVE');
  expectClean(page);

  // the clinic's usage this month: meters against its limits and a daily chart fed by the usage API
  const usage = (await srv.platform('GET', `/v1/platform/tenants/${clinic.id}/usage`)).json.usage;
  await page.goto(`${srv.url}/platform/#/tenant?id=${clinic.id}`);
  const card = page.locator('main[data-screen="tenant"] .usage-card');
  await card.locator('.chart[data-ready] canvas').first().waitFor();
  assert.equal(await card.locator('.chart').getAttribute('data-sum'), `${usage.totals.messages},${usage.totals.bookings}`);
  assert.match(await card.textContent(), new RegExp(`Bookings / month\\s*${usage.totals.bookings} / 2,000`));
  await page.locator('.health-top .big').waitFor();
  await screenshot(page, 'platform-tenant-desktop', { fullPage: true });
  expectClean(page);
  await ctx.close();
});

test('the console at desktop and 360 px, in English and Spanish', { timeout: 120000 }, async () => {
  const { ctx, page } = await console_();
  await signIn(page);
  await row(page, 'Clínica Dental Sonrisa').locator('.usage-cell', { hasText: 'bookings' }).waitFor();
  await screenshot(page, 'platform-tenants-desktop', { fullPage: true });
  await page.getByRole('button', { name: 'ES', exact: true }).click();
  await page.locator('.nav a[href="#/tenants"]', { hasText: 'Negocios' }).waitFor();
  expectClean(page);
  await ctx.close();

  const phone = await newContext(browser, { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const p = watch(await phone.newPage());
  await p.goto(`${srv.url}/platform/`);
  await p.locator('#token').fill(PLATFORM_TOKEN);
  await p.locator('form button[type="submit"]').click();
  await row(p, 'Clínica Dental Sonrisa').locator('.usage-cell', { hasText: 'citas' }).waitFor();
  const width = () => p.evaluate(() => document.documentElement.scrollWidth);
  assert.ok((await width()) <= 360, `no horizontal scroll (${await width()})`);
  await screenshot(p, 'platform-tenants-360', { fullPage: true });
  await p.goto(`${srv.url}/platform/#/tenant?id=${clinic.id}`);
  await p.locator('main[data-screen="tenant"] .usage-card .chart[data-ready]').waitFor();
  assert.ok((await width()) <= 360, `the tenant page fits (${await width()})`);
  await screenshot(p, 'platform-tenant-360', { fullPage: true });
  expectClean(p);
  await phone.close();
});

// What a browser downloads (gzipped, as served) to show each page: the HTML, its scripts and style sheets,
// and the chunks the scripts import at load. What they import() on demand is counted apart (lazy, with the
// chunks those import that the page has not loaded yet): uPlot when the first chart is drawn, and the admin
// panel's rarely used screens the first time they are opened.
test('the admin panel and the console stay small on the wire', async () => {
  const gz = async (path) => {
    const r = await fetch(srv.url + path, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(r.status, 200, path);
    assert.equal(r.headers.get('content-encoding'), 'gzip', path);
    return { size: Number(r.headers.get('content-length')), text: await r.text() };
  };
  const STATIC = /(?:^|[;}\s])import\s*[^"(]*?from\s*"([^"]+)"|^import\s*"([^"]+)"/g;
  const sizes = {};
  for (const page of ['/admin/', '/platform/']) {
    const html = await gz(page);
    const initial = new Map(), lazy = new Map(), targets = new Set();
    // one file and its static imports, each counted once, into `into`; the import() targets are noted
    const load = async (url, base, into) => {
      const abs = new URL(url, srv.url + base).pathname;
      if (initial.has(abs) || into.has(abs)) return;
      const f = await gz(abs);
      into.set(abs, f.size);
      for (const m of f.text.matchAll(STATIC)) await load(m[1] || m[2], abs, into);
      for (const m of f.text.matchAll(/import\("([^"]+)"\)/g)) targets.add(new URL(m[1], srv.url + abs).pathname);
    };
    for (const m of html.text.matchAll(/(?:src|href)="(\/assets\/[^"]+\.(?:js|css))"/g)) await load(m[1], page, initial);
    for (const abs of targets) await load(abs, abs, lazy);
    const sum = (files) => [...files].reduce((n, [, size]) => n + size, 0);
    const uplot = [...lazy].filter(([abs]) => /\/uPlot[^/]*\.js$/.test(abs));
    sizes[page] = { total: html.size + sum(initial), files: initial.size, lazy: sum(lazy), lazyFiles: lazy.size, uplot: sum(uplot) };
  }
  console.log('gzipped bytes:', JSON.stringify(sizes));
  const admin = sizes['/admin/'];
  assert.ok(admin.files >= 3 && sizes['/platform/'].files >= 3, 'scripts, shared chunk and styles found');
  assert.ok(admin.total < 60 * 1024, `admin panel ${admin.total} B`);
  assert.ok(sizes['/platform/'].total < 35 * 1024, `console ${sizes['/platform/'].total} B`);
  // uPlot is its own chunk, loaded by neither page at first
  assert.ok(admin.uplot > 10 * 1024 && admin.uplot < 30 * 1024, `uPlot loaded apart (${admin.uplot} B)`);
  assert.ok(sizes['/platform/'].uplot > 10 * 1024, `the console loads uPlot apart (${sizes['/platform/'].uplot} B)`);
  // the panel's screens opened on demand: several chunks, together less than the page itself
  assert.ok(admin.lazyFiles >= 6, `screens loaded on demand (${admin.lazyFiles} files)`);
  assert.ok(admin.lazy - admin.uplot > 5 * 1024 && admin.lazy - admin.uplot < 40 * 1024, `on-demand screens ${admin.lazy - admin.uplot} B`);
});
