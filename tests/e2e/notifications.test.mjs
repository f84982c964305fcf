// The admin panel's Notifications screen (issue 18) against the real endpoints: the banner when the server
// has no SMTP, staff addresses with validation, customer e-mails on/off, reminders, a template with its live
// preview (rendered by the server, shown in a sandboxed iframe), a webhook added (its secret shown once),
// tested (a real delivery to a local receiver), paused, rotated and deleted, the failed e-mails list, and a
// viewer who only reads. Each change is checked through the API too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { adminSignIn, NOW, expectClean, launch, makeClinic, newContext, screenshot, startServer, watch } from './harness.mjs';
import { makeUser } from '../api/harness.mjs';

let srv, browser, clinic, receiver;
const received = [];

before(async () => {
  // webhook_allow_private: the receiver is a local http server
  srv = await startServer({ env: { BOOKCHAT_TEST_NOW: String(NOW), BOOKCHAT_WEBHOOK_ALLOW_PRIVATE: 'true' } });
  clinic = await makeClinic(srv);
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await new Promise((r) => (receiver ? receiver.close(r) : r()));
  await srv?.stop();
});

// the sandboxed preview inherits the panel's CSP (no inline styles): the browser says so in the console
// The preview iframe (sandbox="", srcdoc) runs nothing and inherits the page's CSP: its inline styles are
// refused, and so is the script Playwright's fake clock injects into every frame, the sandboxed one too.
const PREVIEW_CSP = [/inline style/, /Refused to load the stylesheet/,
  /Blocked script execution in 'about:(srcdoc|blank)' because the document's frame is sandboxed/];

async function signIn(ctx, email, password) {
  const page = watch(await ctx.newPage());
  await ctx.clock.setFixedTime(new Date((NOW + 2 * 3600) * 1000));
  await adminSignIn(page, srv.url, email, password);
  await page.goto(`${srv.url}/admin/#/notifications`);
  await page.locator('main[data-screen="notifications"] .page-head').waitFor();
  await page.locator('main .loading').first().waitFor({ state: 'detached' });
  return page;
}

const settings = async () => (await clinic.admin('GET', '/v1/admin/settings/notifications')).json;

test('e-mails, reminders and a template with its live preview, saved through the API', { timeout: 120000 }, async () => {
  const ctx = await newContext(browser);
  const p = await signIn(ctx, clinic.owner.email, clinic.owner.password);
  try {
    assert.equal((await settings()).email_enabled, false);
    await p.getByText('El correo está desactivado en este servidor: el operador debe configurar smtp_url.').waitFor();
    assert.ok(await p.getByRole('link', { name: 'Avisos' }).isVisible(), 'the screen is in the sidebar');

    // staff addresses: a bad one and a repeated one are refused before anything is sent
    await p.getByRole('button', { name: 'Añadir email' }).click();
    await p.getByLabel('Email del equipo 1').fill('no-es-un-email');
    await p.getByRole('button', { name: 'Guardar cambios' }).click();
    await p.getByText('No parece un email válido.').waitFor();
    assert.equal(await p.getByLabel('Email del equipo 1').getAttribute('aria-invalid'), 'true');
    assert.deepEqual((await settings()).notifications.staff_emails, [], 'nothing saved');
    await p.getByLabel('Email del equipo 1').fill('recepcion@clinica.example');
    await p.getByRole('button', { name: 'Añadir email' }).click();
    await p.getByLabel('Email del equipo 2').fill('Recepcion@clinica.example');
    await p.getByRole('button', { name: 'Guardar cambios' }).click();
    await p.getByText('Está repetido.').waitFor();
    await p.getByRole('button', { name: 'Quitar el 2.º' }).click();

    // customer e-mails off; a reminder two hours before, beside the default day before
    await p.getByLabel('Enviar correos a los clientes').uncheck();
    assert.equal(await p.getByLabel('Recordatorio 1').inputValue(), '24');
    await p.getByRole('button', { name: 'Añadir recordatorio' }).click();
    await p.getByLabel('Recordatorio 2').fill('2');

    // the customer's confirmation in Spanish, reworded: the preview fills the placeholders
    await p.locator('#tpl-audience').selectOption('customer');
    await p.locator('#tpl-event').selectOption('booking.created');
    await p.locator('#tpl-lang').selectOption('es');
    await p.locator('#tpl-subject').fill('Tu cita {{code}} en {{business}}');
    await p.locator('#tpl-text').fill('Hola {{customer_name}}: te esperamos el {{start_local}}.');
    await p.locator('.pv-subject', { hasText: 'Clínica Dental Sonrisa' }).waitFor();
    assert.doesNotMatch(await p.locator('.pv-subject').textContent(), /\{\{/);
    assert.match(await p.locator('.pv-text').textContent(), /^Hola .+: te esperamos el .+\./);
    const frame = p.locator('iframe.pv-html');
    assert.equal(await frame.getAttribute('sandbox'), '', 'the preview can run nothing');
    assert.ok((await frame.getAttribute('srcdoc')).length > 20);
    assert.match(await p.locator('.tpl-status').textContent(), /Texto propio/);
    await screenshot(p, 'notifications-settings');

    await p.getByRole('button', { name: 'Guardar cambios' }).click();
    await p.getByText('Cambios guardados').waitFor();
    const n = (await settings()).notifications;
    assert.deepEqual(n.staff_emails, ['recepcion@clinica.example']);
    assert.equal(n.customer_emails, false);
    assert.deepEqual(n.reminders.map((r) => r.before_min).sort((a, b) => a - b), [120, 1440]);
    assert.equal(n.templates['booking.created'].es.subject, 'Tu cita {{code}} en {{business}}');

    // after the reload the screen shows what was saved
    await p.locator('main .loading').first().waitFor({ state: 'detached' });
    await p.getByLabel('Email del equipo 1').waitFor();
    assert.equal(await p.getByLabel('Email del equipo 1').inputValue(), 'recepcion@clinica.example');
    assert.equal(await p.getByLabel('Enviar correos a los clientes').isChecked(), false);
    assert.equal(await p.locator('#tpl-subject').inputValue(), 'Tu cita {{code}} en {{business}}');
    expectClean(p, PREVIEW_CSP);
  } finally {
    await ctx.close();
  }
});

test('a webhook: added with its secret shown once, tested for real, paused, rotated, deleted', { timeout: 120000 }, async () => {
  const ctx = await newContext(browser);
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: srv.url });
  const p = await signIn(ctx, clinic.owner.email, clinic.owner.password);
  const url = `http://127.0.0.1:${receiver.address().port}/hook`;
  try {
    await p.getByText('Sin webhooks').waitFor();
    await p.getByRole('button', { name: 'Añadir webhook' }).click();
    const dlg = p.getByRole('dialog', { name: 'Añadir webhook' });
    await dlg.getByLabel('URL').fill(url);
    await dlg.getByLabel('Descripción').fill('CRM');
    await dlg.getByRole('button', { name: 'Crear webhook' }).click();
    const secretDlg = p.getByRole('dialog', { name: 'Webhook creado' });
    await secretDlg.waitFor();
    const secret = (await secretDlg.locator('.code-block code').textContent()).trim();
    assert.match(secret, /^whsec_/);
    assert.match(await secretDlg.textContent(), /no se volverá a mostrar/);
    await secretDlg.getByRole('button', { name: 'Copiar' }).click();
    assert.equal(await p.evaluate(() => navigator.clipboard.readText()), secret);
    await secretDlg.getByRole('button', { name: 'Hecho' }).click();
    const row = p.locator('.webhooks-card tr', { hasText: url });
    await row.waitFor();
    assert.match(await row.textContent(), /Activo/);
    const list = (await clinic.admin('GET', '/v1/admin/webhooks')).json.items;
    assert.equal(list.length, 1);
    assert.equal(list[0].url, url);
    assert.equal(list[0].secret, undefined, 'the list never shows the secret');

    // a test delivery reaches the receiver, signed, and shows up as delivered
    await row.getByRole('button', { name: 'Probar' }).click();
    await p.getByText('Prueba enviada').waitFor();
    for (let i = 0; i < 100 && !received.length; i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(received.length >= 1, 'the receiver got the test delivery');
    assert.match(received[0].headers['webhook-signature'], /^v1,/);
    await row.getByRole('button', { name: 'Entregas' }).click();
    const log = p.getByRole('dialog', { name: `Entregas de ${url}` });
    for (let i = 0; i < 50 && !(await log.getByText('Entregado').count()); i++) {
      await log.getByRole('button', { name: 'Actualizar' }).click();
      await p.waitForTimeout(200);
    }
    await log.getByText('Entregado').first().waitFor();
    await screenshot(p, 'notifications-deliveries');
    await log.getByRole('button', { name: 'Cerrar' }).last().click();

    // pause, rotate, delete
    await row.getByRole('button', { name: 'Pausar' }).click();
    await p.locator('.webhooks-card tr', { hasText: url }).getByText('Pausado').waitFor();
    assert.equal((await clinic.admin('GET', '/v1/admin/webhooks')).json.items[0].enabled, false);
    await p.locator('.webhooks-card tr', { hasText: url }).getByRole('button', { name: 'Rotar secreto' }).click();
    await p.getByRole('dialog', { name: '¿Rotar el secreto?' }).getByRole('button', { name: 'Rotar secreto' }).click();
    const rotated = p.getByRole('dialog', { name: 'Secreto rotado' });
    await rotated.waitFor();
    const secret2 = (await rotated.locator('.code-block code').textContent()).trim();
    assert.match(secret2, /^whsec_/);
    assert.notEqual(secret2, secret);
    await rotated.getByRole('button', { name: 'Hecho' }).click();
    await p.locator('.webhooks-card tr', { hasText: url }).getByRole('button', { name: 'Eliminar' }).click();
    await p.getByRole('dialog', { name: '¿Eliminar el webhook?' }).getByRole('button', { name: 'Eliminar' }).click();
    await p.getByText('Sin webhooks').waitFor();
    assert.deepEqual((await clinic.admin('GET', '/v1/admin/webhooks')).json.items, []);

    // the failed e-mails: none on this server
    await p.locator('.failed-card').getByText('Ningún correo fallido').waitFor();
    expectClean(p, PREVIEW_CSP);
  } finally {
    await ctx.close();
  }
});

test('a viewer reads the settings and the webhooks, and is offered no change', { timeout: 120000 }, async () => {
  await clinic.admin('POST', '/v1/admin/webhooks', { url: `http://127.0.0.1:${receiver.address().port}/viewer`, events: ['booking.created'], description: 'Para ver' });
  const viewer = await makeUser(srv, clinic, 'viewer');
  const ctx = await newContext(browser);
  const p = await signIn(ctx, viewer.email, 'correct-horse-battery');
  try {
    await p.locator('.view-only').waitFor();
    // PRODUCT.md gives these settings and the webhooks to owners and admins: a server may let viewers read
    // them (then they are shown as text) or refuse them (403, then each card says the role does not allow it)
    for (const box of ['.notif-settings', '.notif-webhooks', '.notif-failed']) await p.locator(`${box} .loading`).waitFor({ state: 'detached' });
    const refused = (box) => p.locator(box).getByText('Tu rol no permite hacer esto.').count();
    if (!(await refused('.notif-settings'))) await p.getByText('recepcion@clinica.example').waitFor();
    if (!(await refused('.notif-webhooks'))) await p.locator('.webhooks-card tr', { hasText: '/viewer' }).waitFor();
    for (const name of ['Añadir email', 'Añadir recordatorio', 'Guardar cambios', 'Añadir webhook', 'Probar', 'Pausar', 'Eliminar', 'Rotar secreto'])
      assert.equal(await p.getByRole('button', { name }).count(), 0, `a viewer is offered "${name}"`);
    if (await p.locator('#tpl-subject').count()) assert.equal(await p.locator('#tpl-subject').getAttribute('readonly'), '');
    expectClean(p, [...PREVIEW_CSP, /status of 403/]);
  } finally {
    await ctx.close();
  }
});
