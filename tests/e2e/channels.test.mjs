// The channels screen of the admin panel (issue 25) in a browser: an owner connects a WhatsApp number (the
// dialog then shows the webhook URL and the verify token to paste at Meta) and a Telegram bot (setWebhook
// done at once, against the Bot API stand-in); no credential is shown again; a customer who asks for a person
// on WhatsApp shows in the conversations with the WhatsApp chip, and staff answer there: the answer goes out
// through the Graph API stand-in and joins the transcript; a channel is disconnected after a confirmation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { adminSignIn, NOW, expectClean, launch, makeClinic, newContext, screenshot, startServer, watch } from './harness.mjs';
import { graphStandIn, botStandIn, waText, waSign, WA_PHONE_ID } from '../api/channel_standins.mjs';

let srv, browser, clinic, graph, bot;
const ACCESS = 'EAAGm0PX4ZCpsBAKZ-e2e-access-token';
const APP_SECRET = 'e2e-app-secret-0123456789abcdef';
const BOT = '7000000009:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsZZ';

before(async () => {
  graph = await graphStandIn();
  bot = await botStandIn();
  srv = await startServer({ env: { BOOKCHAT_TEST_NOW: String(NOW), BOOKCHAT_WHATSAPP_GRAPH_URL: graph.url, BOOKCHAT_TELEGRAM_API_URL: bot.url, BOOKCHAT_CHANNEL_RETRY_MS: '50', BOOKCHAT_DISPATCHER: 'on' } });
  clinic = await makeClinic(srv);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await srv?.stop();
  await graph?.close();
  await bot?.close();
});

async function owner() {
  const ctx = await newContext(browser);
  await ctx.clock.setFixedTime(new Date((NOW + 2 * 3600) * 1000));
  const page = watch(await ctx.newPage());
  await adminSignIn(page, srv.url, clinic.owner.email, clinic.owner.password);
  return { ctx, page };
}

async function screen(page, route) {
  await page.goto(`${srv.url}/admin/#/${route}`);
  await page.locator(`main[data-screen="${route.split('?')[0]}"] .page-head`).waitFor();
  await page.locator('main .loading').waitFor({ state: 'detached' });
}

test('connect WhatsApp and Telegram, answer a hand-off on WhatsApp, disconnect', { timeout: 180000 }, async () => {
  const { ctx, page } = await owner();
  try {
    await screen(page, 'channels');
    assert.match(await page.locator('main').textContent(), /Ningún canal conectado/);
    // WhatsApp: the credentials once, then what to paste at Meta
    await page.getByRole('button', { name: 'Conectar WhatsApp' }).click();
    const d = page.getByRole('dialog');
    await d.getByLabel('Identificador del número (phone number id)').fill(WA_PHONE_ID);
    await d.getByLabel('Token de acceso').fill(ACCESS);
    await d.getByLabel('Clave secreta de la app').fill(APP_SECRET);
    const verify = await d.getByLabel('Token de verificación').inputValue();
    assert.match(verify, /^[0-9a-f]{32}$/, 'a verify token is proposed');
    await d.getByRole('button', { name: 'Conectar', exact: true }).click();
    const done = page.getByRole('dialog', { name: 'Canal conectado' });
    await done.waitFor();
    const shown = await done.textContent();
    assert.match(shown, new RegExp(`${srv.url}/v1/channels/whatsapp/[0-9A-Z]{26}`));
    assert.ok(shown.includes(verify));
    await screenshot(page, 'admin-channels-connected');
    await done.getByRole('button', { name: 'Hecho' }).click();
    await page.locator('main .channels-card table').waitFor();
    // the Meta handshake works with what the dialog showed
    const list = (await clinic.admin('GET', '/v1/admin/channels')).json.items;
    const wa = list.find((c) => c.kind === 'whatsapp');
    const hs = await srv.get(`/v1/channels/whatsapp/${wa.id}?hub.mode=subscribe&hub.verify_token=${verify}&hub.challenge=424242`);
    assert.equal(hs.text, '424242');
    // Telegram: the bot token; setWebhook is done at once
    await page.getByRole('button', { name: 'Conectar Telegram' }).click();
    await page.getByRole('dialog').getByLabel('Token del bot').fill(BOT);
    await page.getByRole('dialog').getByRole('button', { name: 'Conectar', exact: true }).click();
    await page.getByRole('dialog', { name: 'Canal conectado' }).waitFor();
    await bot.until((c) => c.some((x) => x.path === `/bot${BOT}/setWebhook`), 'setWebhook');
    await page.getByRole('dialog', { name: 'Canal conectado' }).getByRole('button', { name: 'Hecho' }).click();
    await page.locator('main .channels-card tbody tr').nth(1).waitFor();
    const html = await page.content();
    for (const secret of [ACCESS, APP_SECRET, BOT]) assert.ok(!html.includes(secret), 'a credential is shown again');

    // a customer asks for a person on WhatsApp
    const from = '34611222333';
    for (const text of ['quiero hablar con una persona', 'mi teléfono es 611 222 333']) {
      const before = graph.calls.length;
      const raw = JSON.stringify(waText(from, text));
      const r = await srv.req('POST', `/v1/channels/whatsapp/${wa.id}`, { raw, headers: { 'content-type': 'application/json', 'x-hub-signature-256': waSign(APP_SECRET, raw) } });
      assert.equal(r.status, 200, r.text);
      await graph.until((c) => c.length > before, 'the assistant answers');
    }
    await screen(page, 'conversations?filter=handoff');
    const item = page.locator('.conv-item', { has: page.locator('.channel-whatsapp') }).first();
    await item.click();
    await page.locator('.transcript-card').waitFor();
    assert.match(await page.locator('.transcript-head').textContent(), /WhatsApp/);
    await page.locator('#conv-reply').fill('Hola, soy la doctora. Te llamo ahora.');
    const before = graph.calls.length;
    await page.getByRole('button', { name: 'Enviar por WhatsApp' }).click();
    await graph.until((c) => c.slice(before).some((x) => x.body.text?.body?.startsWith('Hola, soy la doctora')), 'the staff answer');
    const sent = graph.calls.slice(before).find((x) => x.body.text?.body?.startsWith('Hola, soy la doctora'));
    assert.equal(sent.body.to, from);
    assert.equal(sent.body.text.body, 'Hola, soy la doctora. Te llamo ahora.');
    await page.locator('.bubble.staff', { hasText: 'Te llamo ahora' }).waitFor();
    await screenshot(page, 'admin-channels-reply');

    // disconnect Telegram
    await screen(page, 'channels');
    await page.locator('main .channels-card tbody tr', { hasText: 'Telegram' }).getByRole('button', { name: 'Desconectar' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Desconectar' }).click();
    await page.locator('main .channels-card tbody tr', { hasText: 'Telegram' }).waitFor({ state: 'detached' });
    assert.equal((await clinic.admin('GET', '/v1/admin/channels')).json.items.length, 1);
    expectClean(page);
  } finally {
    await ctx.close();
  }
});
