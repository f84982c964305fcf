// Calendars in the admin panel (issue 19): on the professionals screen, each professional's calendar dialog
// shows the secret subscription URL (copied to the clipboard, reset with a confirmation: the old URL is 404
// at once) and edits the external calendars (saved on the professional, each with its sync status); the
// settings screen shows the whole business's URL. A viewer sees the URL but cannot reset it.
// The external calendars part runs against the contract of PRODUCT.md section 12 (external_calendars on the
// professional, GET /v1/admin/providers/{id}/calendars), which the "busy times in" half of the issue serves.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { adminSignIn, NOW, expectClean, launch, makeClinic, newContext, startServer, watch } from './harness.mjs';
import { makeUser } from '../api/harness.mjs';
import { createServer } from 'node:http';

let srv, browser, clinic, viewer, icsServer;
const allow = [];
const MARTA = 'Dra. Marta López';

before(async () => {
  // a professional's own calendar, served on loopback (allowed by webhook_allow_private, as in tests only)
  icsServer = createServer((req, res) => {
    res.setHeader('content-type', 'text/calendar');
    res.end('BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//e2e//EN\r\nBEGIN:VEVENT\r\nUID:e2e-1\r\n' +
      'DTSTAMP:20261201T000000Z\r\nDTSTART:20261201T100000Z\r\nDTEND:20261201T110000Z\r\nSUMMARY:Dentist\r\n' +
      'END:VEVENT\r\nEND:VCALENDAR\r\n');
  });
  await new Promise((r) => icsServer.listen(0, '127.0.0.1', r));
  srv = await startServer({ env: { BOOKCHAT_TEST_NOW: String(NOW), BOOKCHAT_WEBHOOK_ALLOW_PRIVATE: 'true', BOOKCHAT_CALENDAR_POLL_INTERVAL: '1' } });
  clinic = await makeClinic(srv);
  viewer = await makeUser(srv, clinic, 'viewer');
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await srv?.stop();
  await new Promise((r) => (icsServer ? icsServer.close(r) : r()));
});

async function waitUntil(fn, ms = 15000) {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function signIn(email, password) {
  const ctx = await newContext(browser);
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: srv.url });
  const page = watch(await ctx.newPage());
  await adminSignIn(page, srv.url, email, password);
  return page;
}

const screen = async (page, route) => {
  await page.goto(`${srv.url}/admin/#/${route}`);
  await page.locator(`main[data-screen="${route}"] .page-head`).waitFor();
  await page.locator('main .loading').waitFor({ state: 'detached' });
};

// Opens the calendar dialog of a professional; returns the dialog locator once its URL is shown.
async function openCalendar(page, name) {
  await screen(page, 'professionals');
  await page.locator(`.pro-card[data-id="${clinic.providers[name]}"] [data-action="calendar"]`).click();
  const dlg = page.locator('dialog.cal-dialog');
  await dlg.waitFor();
  await assert.doesNotReject(dlg.locator('.feed-url').evaluate((el) => new Promise((ok, no) => {
    const t0 = Date.now();
    const poll = () => (el.value ? ok() : Date.now() - t0 > 10000 ? no(new Error('no URL')) : setTimeout(poll, 50));
    poll();
  })));
  return dlg;
}

const status = async (url) => (await fetch(url)).status;

// Saves the calendar dialog: it closes, or the test fails with the error the dialog shows.
async function save(dlg) {
  await dlg.locator('button[type=submit]').click();
  const err = dlg.locator('.dialog-error:not([hidden])');
  await Promise.race([dlg.waitFor({ state: 'detached' }), err.waitFor()]);
  if (await dlg.count()) assert.fail(`the dialog did not save: ${await err.textContent()}`);
}

// Resets the URL in box (a locator holding .feed-url) through the confirmation; returns [old, new].
async function reset(page, box) {
  const before = await box.locator('.feed-url').inputValue();
  await box.getByRole('button', { name: 'Restablecer enlace' }).click();
  const confirm = page.locator('dialog.dialog-confirm');
  await confirm.waitFor();
  assert.match(await confirm.locator('.confirm-text').textContent(), /dejará de funcionar/);
  await confirm.locator('button[type=submit]').click();
  await page.waitForFunction(([sel, old]) => document.querySelector(sel)?.value && document.querySelector(sel).value !== old, [box === page ? '.feed-url' : await box.evaluate((el) => (el.matches('dialog') ? 'dialog.cal-dialog .feed-url' : '.tenant-feed .feed-url')), before]);
  return [before, await box.locator('.feed-url').inputValue()];
}

test('a professional\'s subscription URL: shown, copied, reset (the old one is 404 at once)', async () => {
  const page = await signIn(clinic.owner.email, clinic.owner.password);
  const dlg = await openCalendar(page, MARTA);
  const url = await dlg.locator('.feed-url').inputValue();
  const api = (await clinic.admin('GET', `/v1/admin/providers/${clinic.providers[MARTA]}/feed`)).json.feed.url;
  assert.equal(url, api, 'the URL the API shows');
  assert.match(url, /\/v1\/feeds\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.ics$/);
  const feed = await fetch(url);
  assert.equal(feed.status, 200);
  assert.match(await feed.text(), /^BEGIN:VCALENDAR\r\n/);
  // the steps for Google, Outlook and Apple
  await dlg.locator('.feed-help summary').click();
  const help = await dlg.locator('.feed-help').textContent();
  for (const w of ['Google Calendar', 'Desde URL', 'Outlook', 'Suscribirse desde la web', 'Apple', 'Nueva suscripción de calendario']) assert.ok(help.includes(w), w);
  await dlg.locator('.feed-row button.copy').click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), url);
  const [old, fresh] = await reset(page, dlg);
  assert.equal(old, url);
  assert.notEqual(fresh, url);
  assert.equal(await status(old), 404, 'the old URL stops working at once');
  assert.equal(await status(fresh), 200);
  assert.equal((await clinic.admin('GET', `/v1/admin/providers/${clinic.providers[MARTA]}/feed`)).json.feed.url, fresh);
  expectClean(page, allow);
  await page.context().close();
});

test('the whole business\'s subscription URL on the settings screen', async () => {
  const page = await signIn(clinic.owner.email, clinic.owner.password);
  await screen(page, 'settings');
  const box = page.locator('.tenant-feed');
  await page.waitForFunction(() => document.querySelector('.tenant-feed .feed-url')?.value);
  const url = await box.locator('.feed-url').inputValue();
  assert.equal(url, (await clinic.admin('GET', '/v1/admin/feed')).json.feed.url);
  assert.equal(await status(url), 200);
  const [old, fresh] = await reset(page, box);
  assert.equal(old, url);
  assert.equal(await status(old), 404);
  assert.equal(await status(fresh), 200);
  expectClean(page);
  await page.context().close();
});

test('a viewer sees the URL and can copy it, but has no reset and no calendar editing', async () => {
  const page = await signIn(viewer.email, 'correct-horse-battery');
  const dlg = await openCalendar(page, MARTA);
  const url = await dlg.locator('.feed-url').inputValue();
  assert.equal(await status(url), 200);
  assert.equal(await dlg.getByRole('button', { name: 'Restablecer enlace' }).count(), 0);
  assert.equal(await dlg.locator('.cal-new').count(), 0);
  expectClean(page, allow);
  await page.context().close();
});

test('external calendars: added in the dialog, saved on the professional, shown with their status', async () => {
  const page = await signIn(clinic.owner.email, clinic.owner.password);
  const ext = `http://127.0.0.1:${icsServer.address().port}/private-0123/basic.ics`;
  let dlg = await openCalendar(page, MARTA);
  await dlg.locator('.cal-new').fill('not a url');
  await dlg.getByRole('button', { name: 'Añadir' }).click();
  assert.equal(await dlg.locator('.cal-item').count(), 0, 'a bad address is not added');
  await dlg.locator('.cal-new').fill(ext);
  await dlg.getByRole('button', { name: 'Añadir' }).click();
  assert.equal(await dlg.locator('.cal-item').count(), 1);
  assert.equal(await dlg.locator('.cal-item .cal-url').textContent(), ext);
  await save(dlg);
  const p = (await clinic.admin('GET', `/v1/admin/providers/${clinic.providers[MARTA]}`)).json.provider;
  assert.deepEqual(p.external_calendars, [{ url: ext }], 'the professional holds the calendar');
  // opened again once the poller has read it: the saved calendar, in sync
  let last; // what the poller last said, for the message should it never say ok
  await waitUntil(async () => {
    last = (await clinic.admin('GET', `/v1/admin/providers/${clinic.providers[MARTA]}/calendars`)).json.items?.[0];
    return last?.status === 'ok';
  }).catch(() => assert.fail(`the calendar's status never became ok: ${JSON.stringify(last)}`));
  dlg = await openCalendar(page, MARTA);
  await dlg.locator('.cal-item .cal-status').filter({ hasText: /Sincronizado/ }).waitFor();
  // removed and saved: the professional holds none
  await dlg.locator('.cal-item .cal-remove').click();
  await save(dlg);
  const q = (await clinic.admin('GET', `/v1/admin/providers/${clinic.providers[MARTA]}`)).json.provider;
  assert.deepEqual(q.external_calendars || [], []);
  await page.context().close();
});
