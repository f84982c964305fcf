// Nothing a channel owes is lost (docs/channels.md "Nothing is lost"): a WhatsApp message acknowledged by a
// process that is SIGKILLed before its turn runs is answered, once, by the next process (the intent written
// before the acknowledgement, recovered by the dispatcher); an answer that could not go out yet (Meta
// answering 503) is sent, once, by the next process after a SIGKILL; and a tenant placed in a store of its own
// has its WhatsApp conversation there. Each test has a store of its own (ownStore), so no other suite's
// dispatcher takes these answers.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startServer, makeTenant, must, ownStore, tempDir, cli, dumpTenant, waitFor } from './harness.mjs';
import { graphStandIn, waText, waButton, waSign, WA_PHONE_ID } from './channel_standins.mjs';

const NOW = Date.UTC(2026, 10, 30, 8, 0, 0) / 1000;
const WA = { access_token: 'EAAGm0PX4ZCpsBAKZAdurable-token-456', app_secret: '0a1b2c3d4e5f60718293a4b5c6d7e8f9', verify_token: 'durable-verify' };
const cleanups = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function clinic(srv, channel = {}) {
  const t = await makeTenant(srv, { name: 'Clínica Sol', plan: 'BUSINESS', timezone: 'Europe/Madrid', locale: 'es' });
  const s = await must(t.admin('POST', '/v1/admin/services', { name: 'Limpieza', duration_min: 30, price: 40 }), 'service');
  const p = await must(t.admin('POST', '/v1/admin/providers', { name: 'Ana', service_ids: [s.service.id] }), 'provider');
  const weekly = [1, 2, 3, 4, 5].map((weekday) => ({ weekday, start: '09:00', end: '14:00' }));
  await must(t.admin('PUT', `/v1/admin/providers/${p.provider.id}/availability`, { weekly }), 'hours');
  const ch = await must(t.admin('POST', '/v1/admin/channels', { kind: 'whatsapp', phone_number_id: WA_PHONE_ID, ...WA, ...channel }), 'channel');
  return { t, ch: ch.channel };
}

function waPost(srv, channelId, payload) {
  const raw = JSON.stringify(payload);
  return srv.req('POST', `/v1/channels/whatsapp/${channelId}`, { raw, headers: { 'content-type': 'application/json', 'x-hub-signature-256': waSign(WA.app_secret, raw) } });
}

const answered = (calls, to) => calls.filter((c) => !c.failed && c.body?.to === to);

// Before the test clock jumps: every channel delivery's send recorded. A send whose outcome is not written
// yet still holds its claim's lease (60 s), and a jump past it would let the next pass send it again.
async function sendsRecorded(srv, token) {
  await waitFor('the sends recorded', async () => {
    const r = await srv.req('GET', '/v1/admin/deliveries?kind=channel&status=pending', { headers: { authorization: `Bearer ${token}` } });
    return r.status === 200 && r.json.items.length === 0;
  });
}

// Two servers on one store, one after the other: the first may be killed, the second takes over.
async function twoLives(tag, graph, firstEnv = {}) {
  const store = await ownStore(tag);
  const dataDir = tempDir('bc-durable');
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = { ...store, BOOKCHAT_TEST_NOW: String(NOW), BOOKCHAT_WHATSAPP_GRAPH_URL: graph.url, BOOKCHAT_DISPATCHER: 'on', BOOKCHAT_CHANNEL_RETRY_MS: '50' };
  const a = await startServer({ dataDir, env: { ...env, ...firstEnv } });
  cleanups.push(() => a.kill());
  const next = async () => {
    const b = await startServer({ dataDir, env });
    cleanups.push(() => b.stop({ allowDirty: true }));
    return b;
  };
  return { a, next };
}

test('a message taken by a process killed before its turn is answered once by the next process', async () => {
  const graph = await graphStandIn();
  cleanups.push(() => graph.close());
  // the first process takes messages but never runs their turns (BOOKCHAT_TEST_CHANNEL_HOLD), as if it died
  const { a, next } = await twoLives('chin', graph, { BOOKCHAT_TEST_CHANNEL_HOLD: '1' });
  const { t, ch } = await clinic(a);
  const from = '34611000111', msg = waText(from, 'hola, quiero una limpieza');
  const r = await waPost(a, ch.id, msg);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { accepted: 1, duplicates: 0, ignored: 0 });
  await sleep(500);
  assert.equal(answered(graph.calls, from).length, 0, 'held: not answered by the first process');
  await a.kill();

  const b = await next();
  // the intent waits two minutes for the process that took it (channel_run.h), then any process runs it
  assert.equal((await b.req('POST', '/v1/test/clock', { body: { advance_s: 150 } })).status, 200);
  await graph.until((c) => answered(c, from).length >= 1, 'the recovered answer');
  await sleep(1500);
  const calls = answered(graph.calls, from);
  const text = calls.map((c) => c.body.text?.body ?? c.body.interactive?.body?.text ?? '').join('\n');
  assert.match(text, /Horas libres|Limpieza|Ana/, text);
  // once: the intent is gone, a redelivery of the message is a duplicate, and nothing more goes out
  const again = await waPost(b, ch.id, msg);
  assert.deepEqual(again.json, { accepted: 0, duplicates: 1, ignored: 0 });
  await sendsRecorded(b, t.token);
  assert.equal((await b.req('POST', '/v1/test/clock', { body: { advance_s: 400 } })).status, 200);
  await sleep(2500);
  assert.equal(answered(graph.calls, from).length, calls.length, 'answered twice');
  for (const shard of [0, 1, 2, 3]) {
    const o = await b.get(`/v1/test/items?pk=OUTBOX%23${shard}`);
    assert.equal(o.status, 200);
    assert.ok(!o.json.items.some((i) => i.type === 'channel.message'), 'the intent was left behind');
  }
});

test('a process stopped with turns still queued exits cleanly, and the next one answers them', { timeout: 60000 }, async () => {
  const graph = await graphStandIn();
  cleanups.push(() => graph.close());
  const { a, next } = await twoLives('chstop', graph, { BOOKCHAT_TEST_CHANNEL_HOLD: '1' });
  const { ch } = await clinic(a);
  const from = '34611000444';
  assert.equal((await waPost(a, ch.id, waText(from, 'hola'))).status, 200);
  const res = await a.stop({ allowDirty: true });
  assert.equal(res.code, 0, `SIGTERM with a queued turn: exited with ${res.code ?? res.signal}`);
  const b = await next();
  assert.equal((await b.req('POST', '/v1/test/clock', { body: { advance_s: 150 } })).status, 200);
  await graph.until((c) => answered(c, from).length >= 1, 'the answer');
});

test('an answer Meta refused with 503 is sent once by the next process after a SIGKILL', async () => {
  const graph = await graphStandIn();
  cleanups.push(() => graph.close());
  const { a, next } = await twoLives('chout', graph);
  const { t, ch } = await clinic(a);
  const from = '34611000222';
  graph.fail(1000, 503);
  assert.equal((await waPost(a, ch.id, waText(from, 'hola'))).status, 200);
  await graph.until((c) => c.filter((x) => x.failed === 503 && x.body?.to === from).length >= 2, 'tries refused');
  await a.kill();
  graph.fail(0, 503);
  const refusedBody = graph.calls.find((x) => x.failed === 503 && x.body?.to === from).body;

  const b = await next();
  const admin = (path) => b.req('GET', path, { headers: { authorization: `Bearer ${t.token}` } });
  // the delivery is pending in the store, with its tries (the second try's outcome may not have been
  // recorded when the process was killed: the first's was, since the retry came after it)
  const pending = await must(admin('/v1/admin/deliveries?kind=channel'), 'deliveries');
  assert.equal(pending.items.length, 1, JSON.stringify(pending));
  assert.equal(pending.items[0].status, 'pending');
  assert.ok(pending.items[0].attempts >= 1, JSON.stringify(pending));
  // past the dead process's lease (60 s) and the retry's wait
  assert.equal((await b.req('POST', '/v1/test/clock', { body: { advance_s: 120 } })).status, 200);
  await graph.until((c) => answered(c, from).length >= 1, 'the answer');
  await sleep(1500);
  const sent = answered(graph.calls, from);
  assert.deepEqual(sent[0].body, refusedBody, 'the same message went out');
  assert.equal(new Set(sent.map((c) => JSON.stringify(c.body))).size, sent.length, 'a message went out twice');
  const done = await must(admin('/v1/admin/deliveries?kind=channel'), 'deliveries');
  assert.equal(done.items[0].status, 'delivered', JSON.stringify(done));
});

test('a tenant placed in a store of its own gets its WhatsApp messages answered from there', async () => {
  const graph = await graphStandIn();
  cleanups.push(() => graph.close());
  const pooledDir = tempDir('bc-pooled'), dedDir = tempDir('bc-dedicated');
  cleanups.push(() => { rmSync(pooledDir, { recursive: true, force: true }); rmSync(dedDir, { recursive: true, force: true }); });
  const env = { BOOKCHAT_STORE: '', BOOKCHAT_DATA: pooledDir, BOOKCHAT_TEST_NOW: String(NOW), BOOKCHAT_WHATSAPP_GRAPH_URL: graph.url, BOOKCHAT_DISPATCHER: 'on' };
  const srv = await startServer({ dataDir: pooledDir, env });
  cleanups.push(() => srv.stop({ allowDirty: true }));
  const { t, ch } = await clinic(srv);
  const placed = await cli(['tenant', 'place', t.id, '--store', `lmdb:${dedDir}`, '--json'], { env });
  assert.equal(placed.code, 0, placed.stderr);
  assert.deepEqual(await dumpTenant(srv, t.id), [], 'moved out of the pooled store');

  const from = '34611000333';
  const r = await waPost(srv, ch.id, waText(from, 'hola'));
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { accepted: 1, duplicates: 0, ignored: 0 });
  await graph.until((c) => answered(c, from).length >= 1, 'the answer');
  // the conversation and its delivery are in the tenant's own store, and nothing was written to the pooled one
  const convs = await must(t.admin('GET', '/v1/admin/conversations'), 'conversations');
  assert.ok(convs.items.some((c) => c.channel?.sender === from), JSON.stringify(convs));
  assert.deepEqual(await dumpTenant(srv, t.id), [], 'written to the pooled store');
  const there = await cli(['tenant', 'export', t.id], { env: { BOOKCHAT_STORE: `lmdb:${dedDir}`, BOOKCHAT_DATA: pooledDir } });
  assert.equal(there.code, 0, there.stderr);
  const sks = there.stdout.trim().split('\n').slice(1).map((l) => JSON.parse(l).SK);
  assert.ok(sks.some((sk) => sk.startsWith('CHSENDER#')), 'the sender\'s place is in the dedicated store');
  assert.ok(sks.some((sk) => sk.startsWith('DELIVERY#')), 'the answer\'s delivery is in the dedicated store');
});

test('a booking made on WhatsApp is reminded there: a message inside the 24-hour window, the template outside', async () => {
  const graph = await graphStandIn();
  cleanups.push(() => graph.close());
  const store = await ownStore('chrem');
  const srv = await startServer({ env: { ...store, BOOKCHAT_TEST_NOW: String(NOW), BOOKCHAT_WHATSAPP_GRAPH_URL: graph.url, BOOKCHAT_DISPATCHER: 'on', BOOKCHAT_JWT_TTL: '400000' } });
  cleanups.push(() => srv.stop({ allowDirty: true }));
  const { t, ch } = await clinic(srv, { template_name: 'recordatorio_cita', template_lang: 'es' });
  const textOf = (calls) => calls.map((c) => c.body.text?.body ?? c.body.interactive?.body?.text ?? '').join('\n');
  const say = async (from, payload) => {
    const n = graph.calls.length;
    assert.equal((await waPost(srv, ch.id, payload)).status, 200);
    await graph.until((c) => answered(c.slice(n), from).length >= 1, 'an answer');
    await sleep(400);
    return answered(graph.calls.slice(n), from);
  };
  const book = async (from, day) => {
    await say(from, waText(from, `hola, quiero una limpieza con Ana el ${day} a las 10`));
    await say(from, waText(from, 'Me llamo Marta Ruiz'));
    const calls = await say(from, waText(from, `mi email es ${from}@example.com`));
    const yes = calls.flatMap((c) => c.body.interactive?.action?.buttons?.map((b) => b.reply) ?? []).find((b) => b.title === 'Sí, confirmar');
    assert.ok(yes, textOf(calls));
    await say(from, waButton(from, yes));
    const list = await must(t.admin('GET', '/v1/admin/bookings?from=2026-12-01&to=2026-12-04'), 'bookings');
    const b = list.items.find((x) => x.customer.email === `${from}@example.com`);
    assert.ok(b, JSON.stringify(list));
    return b;
  };
  const tue = await book('34622000111', 'martes'); // 1 Dec 10:00: reminded 30 Nov 10:00, an hour from now
  const thu = await book('34622000222', 'jueves'); // 3 Dec 10:00: reminded 2 Dec 10:00, two days on
  assert.equal(tue.start, '2026-12-01T10:00:00+01:00');
  assert.equal(thu.start, '2026-12-03T10:00:00+01:00');

  // an hour on: the Tuesday customer wrote within 24 hours, so the reminder is a message, in the e-mail's words
  let n = graph.calls.length;
  await srv.post('/v1/test/clock', { advance_s: 3700 });
  await graph.until((c) => answered(c.slice(n), '34622000111').length >= 1, 'the reminder');
  const r1 = answered(graph.calls.slice(n), '34622000111');
  assert.equal(r1[0].body.type, 'text');
  assert.match(r1[0].body.text.body, /Te recordamos tu cita en Clínica Sol/);
  assert.ok(r1[0].body.text.body.includes(tue.code), r1[0].body.text.body);
  assert.equal(answered(graph.calls.slice(n), '34622000222').length, 0, 'the Thursday booking is not due yet');

  // two days on: the Thursday customer's window closed long ago, so the approved template, the text on one line
  await sendsRecorded(srv, t.token);
  n = graph.calls.length;
  await srv.post('/v1/test/clock', { advance_s: 48 * 3600 });
  await graph.until((c) => answered(c.slice(n), '34622000222').length >= 1, 'the reminder');
  await sleep(1500);
  const r2 = answered(graph.calls.slice(n), '34622000222');
  assert.equal(r2.length, 1, 'reminded once');
  assert.equal(r2[0].body.type, 'template');
  assert.equal(r2[0].body.template.name, 'recordatorio_cita');
  const param = r2[0].body.template.components[0].parameters[0].text;
  assert.ok(param.includes(thu.code) && !/[\n\t]| {5}/.test(param) && param.length <= 1024, param);
  assert.equal(answered(graph.calls.slice(n), '34622000111').length, 0, 'the Tuesday customer reminded again');
});
