// Channels (PRODUCT.md section 15): the booking chat over WhatsApp (Cloud API) and Telegram (Bot API), against
// stand-ins of Meta's Graph API and the Bot API (channel_standins.mjs): the verification handshake,
// signatures and secret tokens, a whole booking in Spanish on WhatsApp and in English on Telegram, retries,
// redeliveries, status callbacks, bad input, isolation between tenants, staff answering a hand-off on its
// channel, and credentials that never come back. The clock starts on Monday 2026-11-30 at 09:00 in Madrid.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, makeTenant, makeUser, errorCode, dumpTenant, cli, ownStore, waitFor } from './harness.mjs';
import { graphStandIn, botStandIn, waText, waButton, waStatus, waSign, waEnvelope, tgText, tgCallback, WA_PHONE_ID } from './channel_standins.mjs';

const NOW = Date.UTC(2026, 10, 30, 8, 0, 0) / 1000;
const WA = { access_token: 'EAAGm0PX4ZCpsBAKZAtest-access-token-123', app_secret: 'f3a9c1e0b7d24e6a9c8b7a6f5e4d3c2b', verify_token: 'clinic-verify-2026' };
const TG = { bot_token: '7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw', secret_token: 'tg-secret-token-0123456789abcdef' };
let srv, graph, bot, ES, EN, waCh, tgCh, store;

async function catalog(t, names) {
  const s1 = await t.admin('POST', '/v1/admin/services', { name: names.s1, duration_min: 30, price: 18, synonyms: names.syn1 });
  const ids = { s1: s1.json.service.id };
  const weekly = [];
  for (let d = 1; d <= 5; d++) weekly.push({ weekday: d, start: '09:00', end: '13:00' }, { weekday: d, start: '15:00', end: '19:00' });
  for (const n of names.pros) {
    const p = await t.admin('POST', '/v1/admin/providers', { name: n, service_ids: [ids.s1] });
    ids[n] = p.json.provider.id;
    await t.admin('PUT', `/v1/admin/providers/${p.json.provider.id}/availability`, { weekly });
  }
  return ids;
}

function waPost(channelId, payload, { secret = WA.app_secret, signature, raw } = {}) {
  const body = raw ?? JSON.stringify(payload);
  const headers = { 'content-type': 'application/json' };
  const sig = signature === undefined ? waSign(secret, body) : signature;
  if (sig) headers['x-hub-signature-256'] = sig;
  return srv.req('POST', `/v1/channels/whatsapp/${channelId}`, { raw: body, headers });
}

function tgPost(channelId, update, { secret = TG.secret_token, raw } = {}) {
  const headers = { 'content-type': 'application/json' };
  if (secret) headers['x-telegram-bot-api-secret-token'] = secret;
  return srv.req('POST', `/v1/channels/telegram/${channelId}`, { raw: raw ?? JSON.stringify(update), headers });
}

// Sends one delivery and returns the calls the stand-in got for it, once they stopped coming.
async function exchange(stand, send, { min = 1 } = {}) {
  const before = stand.calls.length;
  const res = await send();
  assert.equal(res.status, 200, res.text);
  await stand.until((c) => c.length >= before + min, 'an answer');
  await settle(stand);
  return stand.calls.slice(before).filter((c) => !c.failed);
}

// Waits until a stand-in got no call for 300 ms (the chain of an answer has gone out).
async function settle(stand) {
  let n;
  do { n = stand.calls.length; await new Promise((r) => setTimeout(r, 300)); } while (stand.calls.length !== n);
}

const waTextOf = (calls) => calls.map((c) => c.body.text?.body ?? c.body.interactive?.body?.text ?? '').join('\n');
const waButtons = (calls) => calls.flatMap((c) => c.body.interactive?.action?.buttons?.map((b) => b.reply) ?? c.body.interactive?.action?.sections?.flatMap((s) => s.rows) ?? []);
const tgTextOf = (calls) => calls.filter((c) => c.path.endsWith('/sendMessage')).map((c) => c.body.text).join('\n');
const tgButtons = (calls) => calls.flatMap((c) => c.body.reply_markup?.inline_keyboard?.flat() ?? []);

before(async () => {
  store = await ownStore('channels');
  graph = await graphStandIn();
  bot = await botStandIn();
  srv = await startServer({
    env: {
      ...store,
      BOOKCHAT_TEST_NOW: String(NOW),
      BOOKCHAT_WHATSAPP_GRAPH_URL: graph.url,
      BOOKCHAT_TELEGRAM_API_URL: bot.url,
      BOOKCHAT_CHANNEL_RETRY_MS: '50',
      // answers leave through the outbox (docs/channels.md): this server dispatches (api-dynamo turns it off)
      BOOKCHAT_DISPATCHER: 'on',
    },
  });
  ES = await makeTenant(srv, { name: 'Peluquería Ana', plan: 'BUSINESS', timezone: 'Europe/Madrid', locale: 'es' });
  ES.ids = await catalog(ES, { s1: 'Corte de pelo', syn1: ['corte'], pros: ['Ana', 'Luis'] });
  EN = await makeTenant(srv, { name: 'Studio Nine', plan: 'BUSINESS', timezone: 'America/New_York', locale: 'en' });
  EN.ids = await catalog(EN, { s1: 'Haircut', syn1: ['cut', 'trim'], pros: ['John', 'Mary'] });
  const w = await ES.admin('POST', '/v1/admin/channels', { kind: 'whatsapp', phone_number_id: WA_PHONE_ID, ...WA, template_name: 'staff_reply', template_lang: 'es' });
  assert.equal(w.status, 201, w.text);
  waCh = w.json.channel;
  const t = await EN.admin('POST', '/v1/admin/channels', { kind: 'telegram', name: 'Studio Nine bot', ...TG });
  assert.equal(t.status, 201, t.text);
  tgCh = t.json.channel;
});
after(async () => {
  await srv.stop();
  await graph.close();
  await bot.close();
});

test('configuration: credentials are stored sealed and never returned', async () => {
  assert.equal(waCh.kind, 'whatsapp');
  assert.equal(waCh.phone_number_id, WA_PHONE_ID);
  assert.equal(waCh.webhook_url, `${srv.url}/v1/channels/whatsapp/${waCh.id}`);
  const list = await ES.admin('GET', '/v1/admin/channels');
  assert.equal(list.status, 200);
  assert.equal(list.json.items.length, 1);
  const one = await ES.admin('GET', `/v1/admin/channels/${waCh.id}`);
  for (const r of [JSON.stringify(waCh), list.text, one.text]) {
    for (const v of Object.values(WA)) assert.ok(!r.includes(v), `a credential came back: ${r}`);
    assert.ok(!r.includes('secrets_box'));
  }
  const tgList = await EN.admin('GET', '/v1/admin/channels');
  for (const v of Object.values(TG)) assert.ok(!tgList.text.includes(v));
  // the store holds them only sealed
  const dump = JSON.stringify(await dumpTenant(srv, ES.id));
  for (const v of Object.values(WA)) assert.ok(!dump.includes(v), 'a credential is in the store in the clear');
  assert.ok(!srv.logs.join('\n').includes(WA.access_token), 'a credential was logged');
});

test('configuration: bad input is refused and nothing is stored', async () => {
  const bad = [
    {},
    { kind: 'sms' },
    { kind: 'whatsapp', phone_number_id: 'abc', ...WA },
    { kind: 'whatsapp', phone_number_id: WA_PHONE_ID, access_token: WA.access_token, app_secret: WA.app_secret },
    { kind: 'whatsapp', phone_number_id: WA_PHONE_ID, ...WA, access_token: 'bad token\r\nX-Injected: 1' },
    { kind: 'telegram', bot_token: 'not-a-bot-token' },
    { kind: 'telegram', bot_token: TG.bot_token, secret_token: 'has spaces in it, sixteen+' },
  ];
  for (const body of bad) {
    const r = await ES.admin('POST', '/v1/admin/channels', body);
    assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
  }
  const list = await ES.admin('GET', '/v1/admin/channels');
  assert.equal(list.json.items.length, 1);
});

test('whatsapp: the verification handshake', async () => {
  const base = `/v1/channels/whatsapp/${waCh.id}`;
  const ok = await srv.get(`${base}?hub.mode=subscribe&hub.verify_token=${WA.verify_token}&hub.challenge=1158201444`);
  assert.equal(ok.status, 200);
  assert.equal(ok.text, '1158201444');
  assert.equal((await srv.get(`${base}?hub.mode=subscribe&hub.verify_token=wrong-token&hub.challenge=1158201444`)).status, 403);
  assert.equal((await srv.get(`${base}?hub.mode=unsubscribe&hub.verify_token=${WA.verify_token}&hub.challenge=1`)).status, 403);
  assert.equal((await srv.get(`${base}?hub.mode=subscribe&hub.verify_token=${WA.verify_token}&hub.challenge=a%0d%0aSet-Cookie:x`)).status, 400);
  assert.equal((await srv.get(`/v1/channels/whatsapp/01JUNKNOWNCHANNEL000000000?hub.mode=subscribe&hub.verify_token=${WA.verify_token}&hub.challenge=1`)).status, 404);
  // the Telegram channel's id is no WhatsApp channel
  assert.equal((await srv.get(`/v1/channels/whatsapp/${tgCh.id}?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1`)).status, 404);
});

test('whatsapp: a whole booking in Spanish', async () => {
  const from = '34600111222';
  let calls = await exchange(graph, () => waPost(waCh.id, waText(from, 'hola, quiero un corte con Ana el jueves a las 5 de la tarde')));
  const first = calls[0];
  assert.equal(first.path, `/v21.0/${WA_PHONE_ID}/messages`);
  assert.equal(first.headers.authorization, `Bearer ${WA.access_token}`);
  assert.equal(first.body.messaging_product, 'whatsapp');
  assert.equal(first.body.to, from);
  assert.match(waTextOf(calls), /Corte de pelo con Ana, jueves 3 de diciembre a las 17:00/);
  calls = await exchange(graph, () => waPost(waCh.id, waText(from, 'Me llamo Marta Ruiz')));
  calls = await exchange(graph, () => waPost(waCh.id, waText(from, 'mi email es marta@example.com')));
  assert.match(waTextOf(calls), /A nombre de Marta Ruiz \(marta@example.com\)/);
  // three quick replies: reply buttons
  const last = calls.at(-1).body;
  assert.equal(last.type, 'interactive');
  assert.equal(last.interactive.type, 'button');
  const yes = waButtons(calls).find((b) => b.title === 'Sí, confirmar');
  assert.ok(yes, JSON.stringify(waButtons(calls)));
  calls = await exchange(graph, () => waPost(waCh.id, waButton(from, yes)));
  const list = await ES.admin('GET', '/v1/admin/bookings?from=2026-12-03&to=2026-12-03');
  const b = list.json.items.find((x) => x.customer.email === 'marta@example.com');
  assert.ok(b, 'booked');
  // the confirmation carries the booking's code and its manage page, which works
  assert.ok(waTextOf(calls).includes(b.code), waTextOf(calls));
  const link = waTextOf(calls).match(/https?:\/\/\S+\/manage\/\?code=[A-Z2-9]{6}&token=\S+/);
  assert.ok(link, waTextOf(calls));
  const u = new URL(link[0]);
  const manage = await srv.get(`/v1/manage/booking?token=${encodeURIComponent(u.searchParams.get('token'))}`);
  assert.equal(manage.status, 200, manage.text);
  assert.equal(manage.json.booking.code, b.code);
  assert.equal(b.start, '2026-12-03T17:00:00+01:00');
  // staff see the conversation and its channel
  const convs = await ES.admin('GET', '/v1/admin/conversations');
  const conv = convs.json.items.find((c) => c.channel?.sender === from);
  assert.ok(conv, convs.text);
  assert.deepEqual(conv.channel, { kind: 'whatsapp', id: waCh.id, sender: from });
  assert.equal(conv.status, 'booked');
});

test('whatsapp: more than three quick replies come as a list, and a list reply is understood', async () => {
  const from = '34600333444';
  let calls = await exchange(graph, () => waPost(waCh.id, waText(from, 'quiero un corte')));
  // the professionals (Ana, Luis, any, back) are four: a list
  const list = calls.at(-1).body.interactive;
  assert.equal(list.type, 'list', JSON.stringify(calls.at(-1).body));
  assert.ok(list.action.button.length <= 20);
  assert.ok(list.action.sections[0].rows.length <= 10);
  const ana = list.action.sections[0].rows.find((r) => r.title === 'Ana');
  calls = await exchange(graph, () => waPost(waCh.id, waButton(from, { id: ana.id, title: ana.title, description: '' }, 'list_reply')));
  assert.match(waTextOf(calls), /día/i);
  // the same person continues the same conversation
  const convs = await ES.admin('GET', '/v1/admin/conversations');
  assert.equal(convs.json.items.filter((c) => c.channel?.sender === from).length, 1);
});

test('whatsapp: signatures, redeliveries, statuses, bad and oversized payloads', async () => {
  const from = '34600555666';
  const msg = waText(from, 'hola');
  const n0 = graph.calls.length;
  // unsigned, forged, signed with another secret
  assert.equal((await waPost(waCh.id, msg, { signature: null })).status, 401);
  assert.equal((await waPost(waCh.id, msg, { signature: 'sha256=' + '0'.repeat(64) })).status, 401);
  assert.equal((await waPost(waCh.id, msg, { secret: 'another-app-secret' })).status, 401);
  assert.equal(errorCode(await waPost(waCh.id, msg, { signature: 'sha1=abc' })), 'unauthorized');
  // a signature over other bytes than those sent
  assert.equal((await waPost(waCh.id, null, { raw: JSON.stringify(msg) + ' ', signature: waSign(WA.app_secret, JSON.stringify(msg)) })).status, 401);
  // unknown channel: 404 before any signature
  assert.equal((await waPost('01JUNKNOWNCHANNEL000000000', msg)).status, 404);
  assert.equal((await waPost('../../etc', msg)).status, 404);
  // malformed, signed
  assert.equal((await waPost(waCh.id, null, { raw: '{"object":' })).status, 400);
  assert.equal((await waPost(waCh.id, { object: 'whatsapp_business_account', entry: 'x' })).status, 400);
  assert.equal((await waPost(waCh.id, { object: 'whatsapp_business_account', entry: [{ changes: [{ value: { messages: 'x' } }] }] })).status, 400);
  assert.equal((await waPost(waCh.id, waEnvelope({ messages: [{ from: 'not-a-number', id: 'wamid.X1', type: 'text', text: { body: 'hi' } }] }))).status, 400);
  // oversized
  const big = waText(from, 'x'.repeat(70000));
  assert.equal((await waPost(waCh.id, big)).status, 413);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(graph.calls.length, n0, 'nothing refused was answered');
  // statuses are acknowledged and ignored
  const st = await waPost(waCh.id, waStatus(from));
  assert.equal(st.status, 200);
  assert.deepEqual(st.json, { accepted: 0, duplicates: 0, ignored: 1 });
  // another number of the same app: ignored
  const other = await waPost(waCh.id, waEnvelope({ messages: [{ from, id: 'wamid.OTHER1', type: 'text', text: { body: 'hola' } }] }, '999999999999'));
  assert.deepEqual(other.json, { accepted: 0, duplicates: 0, ignored: 1 });
  // a redelivery (same wamid) is acknowledged and not answered twice
  const calls = await exchange(graph, () => waPost(waCh.id, msg));
  assert.ok(calls.length >= 1);
  const again = await waPost(waCh.id, msg);
  assert.deepEqual(again.json, { accepted: 0, duplicates: 1, ignored: 0 });
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(graph.calls.length, n0 + calls.length, 'a redelivery was answered again');
});

test('whatsapp: answers are retried on 429 and 5xx', async () => {
  graph.fail(2, 503);
  const from = '34600777888';
  const before = graph.calls.length;
  const calls = await exchange(graph, () => waPost(waCh.id, waText(from, 'hola')), { min: 3 });
  assert.ok(calls.length >= 1, 'delivered after the failures');
  const tried = graph.calls.slice(before);
  assert.equal(tried.filter((c) => c.failed === 503).length, 2);
  assert.deepEqual(tried[0].body, tried[2].body, 'the same message was retried');
  graph.fail(1, 429);
  const more = await exchange(graph, () => waPost(waCh.id, waText(from, 'quiero un corte')), { min: 2 });
  assert.ok(more.length >= 1);
});

test('whatsapp: staff answer a handed-off conversation on WhatsApp', async () => {
  const from = '34600999000';
  await exchange(graph, () => waPost(waCh.id, waText(from, 'prefiero hablar con una persona')));
  await exchange(graph, () => waPost(waCh.id, waText(from, 'mi teléfono es 655 444 333')));
  const list = await ES.admin('GET', '/v1/admin/conversations?status=handoff');
  const conv = list.json.items.find((c) => c.channel?.sender === from);
  assert.ok(conv, list.text);
  const calls = await exchange(graph, () => ES.admin('POST', `/v1/admin/conversations/${conv.id}/reply`, { text: 'Hola, soy Ana. Te llamo en 5 minutos.' }).then((r) => ({ ...r, status: r.status === 202 ? 200 : r.status })));
  assert.equal(calls.length, 1);
  assert.equal(calls[0].body.to, from);
  assert.equal(calls[0].body.text.body, 'Hola, soy Ana. Te llamo en 5 minutos.');
  const t = await ES.admin('GET', `/v1/admin/conversations/${conv.id}`);
  assert.ok(t.json.messages.some((m) => m.from === 'staff' && m.text.startsWith('Hola, soy Ana')));
  // bad input, another tenant's conversation, a widget conversation
  assert.equal((await ES.admin('POST', `/v1/admin/conversations/${conv.id}/reply`, { text: '' })).status, 400);
  assert.equal((await EN.admin('POST', `/v1/admin/conversations/${conv.id}/reply`, { text: 'hi' })).status, 404);
  const w = await ES.widget('POST', '/v1/widget/conversations', { body: {} });
  assert.equal((await ES.admin('POST', `/v1/admin/conversations/${w.json.conversation.id}/reply`, { text: 'hi' })).status, 409);
});

test('telegram: setWebhook from the admin API', async () => {
  const r = await EN.admin('POST', `/v1/admin/channels/${tgCh.id}/telegram-webhook`);
  assert.equal(r.status, 200, r.text);
  const call = bot.calls.find((c) => c.path === `/bot${TG.bot_token}/setWebhook`);
  assert.ok(call);
  assert.equal(call.body.url, `${srv.url}/v1/channels/telegram/${tgCh.id}`);
  assert.equal(call.body.secret_token, TG.secret_token);
  assert.deepEqual(call.body.allowed_updates, ['message', 'callback_query']);
  // a WhatsApp channel has no setWebhook; another tenant's channel is not found
  assert.equal((await ES.admin('POST', `/v1/admin/channels/${waCh.id}/telegram-webhook`)).status, 400);
  assert.equal((await ES.admin('POST', `/v1/admin/channels/${tgCh.id}/telegram-webhook`)).status, 404);
});

test('telegram: setWebhook and the channel list from the command line', async () => {
  const before = bot.calls.length;
  const env = { ...store, BOOKCHAT_TELEGRAM_API_URL: bot.url };
  const r = await cli(['channel', 'telegram-set-webhook', EN.id, tgCh.id, '--url', 'https://book.example.com', '--data', srv.dataDir, '--json'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.webhook_url, `https://book.example.com/v1/channels/telegram/${tgCh.id}`);
  const call = bot.calls.slice(before).find((c) => c.path === `/bot${TG.bot_token}/setWebhook`);
  assert.ok(call, 'setWebhook called');
  assert.equal(call.body.url, `https://book.example.com/v1/channels/telegram/${tgCh.id}`);
  assert.equal(call.body.secret_token, TG.secret_token);
  assert.ok(!r.stdout.includes(TG.bot_token) && !r.stderr.includes(TG.bot_token));
  // another tenant's channel, an unknown tenant, bad usage
  assert.equal((await cli(['channel', 'telegram-set-webhook', ES.id, tgCh.id, '--data', srv.dataDir], { env })).code, 1);
  assert.equal((await cli(['channel', 'telegram-set-webhook', 'nosuchtenant', tgCh.id, '--data', srv.dataDir], { env })).code, 1);
  assert.equal((await cli(['channel', 'telegram-set-webhook', EN.id, '--data', srv.dataDir], { env })).code, 2);
  // Telegram refusing: the command fails and says so
  bot.fail(1, 401);
  const refused = await cli(['channel', 'telegram-set-webhook', EN.id, tgCh.id, '--data', srv.dataDir], { env });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /Telegram answered 401/);
  const list = await cli(['channel', 'list', EN.id, '--data', srv.dataDir, '--json'], { env: store });
  assert.equal(list.code, 0, list.stderr);
  assert.ok(list.json.result.some((c) => c.id === tgCh.id && c.kind === 'telegram'));
  for (const v of Object.values(TG)) assert.ok(!list.stdout.includes(v));
});

test('telegram: a whole booking in English with inline keyboards', async () => {
  const chat = 123456789;
  let calls = await exchange(bot, () => tgPost(tgCh.id, tgText(chat, '/start')));
  // one service only: the greeting asks for the professional at once
  assert.match(tgTextOf(calls), /booking assistant of Studio Nine[^]*Who would you like to see for Haircut/);
  const mary = tgButtons(calls).find((b) => b.text === 'Mary');
  assert.ok(mary, JSON.stringify(tgButtons(calls)));
  assert.ok(tgButtons(calls).every((b) => Buffer.byteLength(b.callback_data) <= 64));
  calls = await exchange(bot, () => tgPost(tgCh.id, tgCallback(chat, mary.callback_data)), { min: 2 });
  const answered = calls.find((c) => c.path.endsWith('/answerCallbackQuery'));
  assert.ok(answered && answered.body.callback_query_id, 'the button press is answered');
  assert.equal(calls[0].path, `/bot${TG.bot_token}/answerCallbackQuery`, 'answered before the turn');
  const day = tgButtons(calls)[1];
  calls = await exchange(bot, () => tgPost(tgCh.id, tgCallback(chat, day.callback_data)), { min: 2 });
  const time = tgButtons(calls)[0];
  calls = await exchange(bot, () => tgPost(tgCh.id, tgCallback(chat, time.callback_data)), { min: 2 });
  await exchange(bot, () => tgPost(tgCh.id, tgText(chat, 'John Smith')));
  calls = await exchange(bot, () => tgPost(tgCh.id, tgText(chat, 'john@example.com')));
  const yes = tgButtons(calls).find((b) => b.text === 'Yes, confirm');
  assert.ok(yes, tgTextOf(calls));
  calls = await exchange(bot, () => tgPost(tgCh.id, tgCallback(chat, yes.callback_data)), { min: 2 });
  assert.ok(calls.every((c) => c.body.chat_id === String(chat) || c.body.callback_query_id));
  const list = await EN.admin('GET', '/v1/admin/bookings?from=2026-11-30&to=2026-12-31');
  const b = list.json.items.find((x) => x.customer.email === 'john@example.com');
  assert.ok(b, list.text);
  const convs = await EN.admin('GET', '/v1/admin/conversations');
  const conv = convs.json.items.find((c) => c.channel?.sender === String(chat));
  assert.equal(conv.channel.kind, 'telegram');
  assert.equal(conv.status, 'booked');
});

test('telegram: secret token, update_id redelivery, malformed and unknown updates', async () => {
  const chat = 987654321;
  const u = tgText(chat, 'hello');
  const n0 = bot.calls.length;
  assert.equal((await tgPost(tgCh.id, u, { secret: null })).status, 401);
  assert.equal((await tgPost(tgCh.id, u, { secret: 'wrong-secret-token-0123456789ab' })).status, 401);
  assert.equal((await tgPost('01JUNKNOWNCHANNEL000000000', u)).status, 404);
  assert.equal((await tgPost(waCh.id, u)).status, 404, 'a WhatsApp channel is no Telegram channel');
  assert.equal((await tgPost(tgCh.id, null, { raw: '[1,2' })).status, 400);
  assert.equal((await tgPost(tgCh.id, { message: { text: 'x', chat: { id: 1 } } })).status, 400);
  assert.equal((await tgPost(tgCh.id, { update_id: 5, message: { text: 'x', chat: { id: 'abc' } } })).status, 400);
  assert.equal((await tgPost(tgCh.id, { update_id: 6, message: { text: 'x' + 'y'.repeat(70000), chat: { id: 1 } } })).status, 413);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(bot.calls.length, n0);
  // an edited message or a photo: acknowledged, nothing to answer
  const photo = await tgPost(tgCh.id, { update_id: 7, message: { message_id: 1, chat: { id: chat, type: 'private' }, date: 1, photo: [] } });
  assert.deepEqual(photo.json, { accepted: 0, duplicates: 0, ignored: 1 });
  const calls = await exchange(bot, () => tgPost(tgCh.id, u));
  assert.ok(calls.length >= 1);
  const again = await tgPost(tgCh.id, u);
  assert.deepEqual(again.json, { accepted: 0, duplicates: 1, ignored: 0 });
});

test('isolation: a tenant sees, uses and deletes only its own channels', async () => {
  assert.equal((await EN.admin('GET', `/v1/admin/channels/${waCh.id}`)).status, 404);
  assert.equal((await EN.admin('DELETE', `/v1/admin/channels/${waCh.id}`)).status, 404);
  assert.equal((await ES.admin('GET', '/v1/admin/channels')).json.items.length, 1);
  // conversations of a channel are the channel's tenant's only
  const enConvs = await EN.admin('GET', '/v1/admin/conversations');
  assert.ok(enConvs.json.items.every((c) => c.channel?.kind !== 'whatsapp'));
  // a deleted channel's webhook is unknown from then on
  const tmp = await EN.admin('POST', '/v1/admin/channels', { kind: 'telegram', bot_token: '7000000002:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsbx', secret_token: 'another-secret-token-000000' });
  assert.equal(tmp.status, 201);
  assert.equal((await EN.admin('DELETE', `/v1/admin/channels/${tmp.json.channel.id}`)).status, 204);
  assert.equal((await tgPost(tmp.json.channel.id, tgText(5, 'hi'), { secret: 'another-secret-token-000000' })).status, 404);
  // roles: a viewer cannot see channels
  const viewer = await makeUser(srv, ES, 'viewer');
  assert.equal((await viewer.admin('GET', '/v1/admin/channels')).status, 403);
});

test('abuse: a sender over the widget visitor limits is acknowledged and not answered', async () => {
  const g = await graphStandIn();
  const s = await startServer({
    env: {
      ...(await ownStore('channels-abuse')), // its dispatcher sends to its own stand-in
      BOOKCHAT_TEST_NOW: String(NOW),
      BOOKCHAT_WHATSAPP_GRAPH_URL: g.url,
      BOOKCHAT_VISITOR_LIMITS: 'on',
      BOOKCHAT_CONVERSATION_MESSAGE_RATE: '2',
      BOOKCHAT_DISPATCHER: 'on',
    },
  });
  try {
    const t = await makeTenant(s, { name: 'Peluquería Ana', plan: 'BUSINESS', timezone: 'Europe/Madrid', locale: 'es' });
    await catalog(t, { s1: 'Corte de pelo', syn1: ['corte'], pros: ['Ana'] });
    const ch = (await t.admin('POST', '/v1/admin/channels', { kind: 'whatsapp', phone_number_id: WA_PHONE_ID, ...WA })).json.channel;
    const post = (payload) => {
      const raw = JSON.stringify(payload);
      return s.req('POST', `/v1/channels/whatsapp/${ch.id}`, { raw, headers: { 'content-type': 'application/json', 'x-hub-signature-256': waSign(WA.app_secret, raw) } });
    };
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push((await post(waText('34622000111', `hola ${i}`))).json);
    assert.deepEqual(answers.map((a) => a.accepted), [1, 1, 0, 0]);
    assert.deepEqual(answers.map((a) => a.ignored), [0, 0, 1, 1]);
    // another sender of the same business is not held back
    assert.equal((await post(waText('34622000222', 'hola'))).json.accepted, 1);
    await g.until((c) => new Set(c.map((x) => x.body.to)).size === 2, 'both senders answered');
  } finally {
    await s.stop();
    await g.close();
  }
});

test('whatsapp: outside the 24-hour window a staff reply is the approved template, or refused without one', async () => {
  const g = await graphStandIn();
  // the staff's sign-in must outlive the day the clock is moved on
  const s = await startServer({ env: { ...(await ownStore('channels-window')), BOOKCHAT_TEST_NOW: String(NOW), BOOKCHAT_WHATSAPP_GRAPH_URL: g.url, BOOKCHAT_JWT_TTL: '200000', BOOKCHAT_DISPATCHER: 'on' } });
  try {
    const t = await makeTenant(s, { name: 'Peluquería Ana', plan: 'BUSINESS', timezone: 'Europe/Madrid', locale: 'es' });
    await catalog(t, { s1: 'Corte de pelo', syn1: ['corte'], pros: ['Ana'] });
    const withTpl = (await t.admin('POST', '/v1/admin/channels', { kind: 'whatsapp', phone_number_id: WA_PHONE_ID, ...WA, template_name: 'respuesta_equipo', template_lang: 'es' })).json.channel;
    const without = (await t.admin('POST', '/v1/admin/channels', { kind: 'whatsapp', phone_number_id: '200000000000001', ...WA })).json.channel;
    const post = (ch, payload) => {
      const raw = JSON.stringify(payload);
      return s.req('POST', `/v1/channels/whatsapp/${ch.id}`, { raw, headers: { 'content-type': 'application/json', 'x-hub-signature-256': waSign(WA.app_secret, raw) } });
    };
    assert.equal((await post(withTpl, waText('34633000111', 'hola'))).status, 200);
    // the other number's notifications name its own phone number id
    assert.equal((await post(without, waEnvelope({ messages: [{ from: '34633000222', id: 'wamid.WIN2', timestamp: '1764489600', type: 'text', text: { body: 'hola' } }] }, '200000000000001'))).status, 200);
    await g.until((c) => new Set(c.map((x) => x.body.to)).size === 2, 'both answered');
    await settle(g);
    const convs = (await t.admin('GET', '/v1/admin/conversations')).json.items;
    const a = convs.find((c) => c.channel?.sender === '34633000111');
    const b = convs.find((c) => c.channel?.sender === '34633000222');
    // inside the window: plain text
    let before = g.calls.length;
    assert.equal((await t.admin('POST', `/v1/admin/conversations/${a.id}/reply`, { text: 'Dentro' })).status, 202);
    await g.until((c) => c.length > before);
    assert.equal(g.calls.at(-1).body.type, 'text');
    assert.equal(g.calls.at(-1).body.text.body, 'Dentro');
    // a day and an hour later (once the send is recorded: a jump past its claim's lease would resend it)
    await waitFor('the reply recorded', async () => (await t.admin('GET', '/v1/admin/deliveries?kind=channel&status=pending')).json.items.length === 0);
    await s.post('/v1/test/clock', { advance_s: 25 * 3600 });
    before = g.calls.length;
    assert.equal((await t.admin('POST', `/v1/admin/conversations/${a.id}/reply`, { text: 'Te escribimos por tu cita' })).status, 202);
    await g.until((c) => c.length > before);
    const tpl = g.calls.at(-1).body;
    assert.equal(tpl.type, 'template');
    assert.equal(tpl.template.name, 'respuesta_equipo');
    assert.equal(tpl.template.language.code, 'es');
    assert.deepEqual(tpl.template.components, [{ type: 'body', parameters: [{ type: 'text', text: 'Te escribimos por tu cita' }] }]);
    const refused = await t.admin('POST', `/v1/admin/conversations/${b.id}/reply`, { text: 'Hola' });
    assert.equal(refused.status, 409);
    assert.match(refused.json.error.message, /24 hours/);
  } finally {
    await s.stop();
    await g.close();
  }
});
