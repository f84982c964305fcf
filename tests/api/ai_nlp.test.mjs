// The nlp chat mode end to end against a fake provider (Anthropic's and OpenAI's formats): the model's
// reading drives the same state machine as fsm mode, in Spanish and English; readings that are invalid
// (another tenant's ids, invented contacts, a "yes" the customer did not say) are refused and the offline
// NLU answers instead; a provider that errors or hangs, an exhausted token budget and the plan all fall
// back to fsm with a logged reason. The clock starts on Monday 2026-11-30 at 09:00 in Madrid.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { errorCode, makeTenant, dumpTenant } from './harness.mjs';
import { startAI, aiTenant, open, aiLog, reading } from './ai_helpers.mjs';

let srv, fake, ES, EN;
let readings = {}; // customer text -> the reading the fake model returns

before(async () => {
  ({ srv, fake } = await startAI());
  fake.script = (call) => {
    assert.ok(call.structured, 'nlp asks for a structured answer');
    const r = readings[call.userText];
    if (r === undefined) return { json: reading({ intent: 'unknown' }) };
    if (typeof r === 'function') return r(call);
    return { json: reading(r) };
  };
  ES = await aiTenant(srv, { name: 'Peluquería Ana', locale: 'es', timezone: 'Europe/Madrid', s1: 'Corte de pelo', syn1: ['corte'], s2: 'Tinte', pros: ['Ana', 'Luis'], address: 'Calle Mayor 1, Madrid', ai: { mode: 'nlp', provider: 'anthropic' } });
  EN = await aiTenant(srv, { name: 'Studio Nine', locale: 'en', timezone: 'America/New_York', s1: 'Haircut', syn1: ['cut'], s2: 'Massage', pros: ['John', 'Mary'], address: '9 Main St, New York', ai: { mode: 'nlp', provider: 'openai', model: 'llama3.1' } });
});
after(async () => { await srv.stop(); await fake.stop(); });

test('es (Anthropic): a booking from readings the offline NLU could not make', async () => {
  const c = await open(ES);
  const calls0 = fake.calls.length;
  // "lo de siempre con la chica rubia" names neither the service nor the professional: only the model knows
  readings['lo de siempre con la chica rubia, el miércoles que viene a eso de las cinco de la tarde'] =
    { intent: 'book', service_id: ES.ids.s1, provider_id: ES.ids.Ana, date: '2026-12-02', time: '17:00' };
  await c.say('lo de siempre con la chica rubia, el miércoles que viene a eso de las cinco de la tarde');
  assert.equal(c.status, 200, c.res.text);
  assert.equal(c.state, 'name', c.text());
  assert.match(c.text(), /Corte de pelo con Ana, miércoles 2 de diciembre a las 17:00/);
  // what the model was asked
  const call = fake.calls[calls0];
  assert.equal(call.provider, 'anthropic');
  assert.equal(call.headers['x-api-key'], 'sk-ant-test');
  assert.equal(call.headers['anthropic-version'], '2023-06-01');
  assert.equal(call.model, 'claude-haiku-4-5', 'the default nlp model of the provider');
  assert.equal(call.schemaName, 'reading');
  assert.deepEqual(call.body.tool_choice, { type: 'tool', name: 'reading' });
  assert.ok(call.schema.properties.service_id && call.schema.additionalProperties === false);
  assert.match(call.system, /Peluquería Ana/);
  assert.match(call.system, new RegExp(`${ES.ids.s1}: Corte de pelo \\(also called corte\\)`));
  assert.match(call.system, new RegExp(`${ES.ids.Ana}: Ana: ${ES.ids.s1}, ${ES.ids.s2}`));
  assert.match(call.system, /Monday 2026-11-30 09:00 in the time zone Europe\/Madrid/);
  assert.match(call.system, /waiting for: which service they want to book/);
  assert.equal(call.userText, 'lo de siempre con la chica rubia, el miércoles que viene a eso de las cinco de la tarde');

  readings['pues a nombre de marta ruiz'] = { intent: 'inform', name: 'Marta Ruiz' };
  await c.say('pues a nombre de marta ruiz');
  assert.equal(c.state, 'contact', c.text());
  assert.match(fake.calls.at(-1).system, /waiting for: their name/);
  readings['escríbeme a Marta@Example.com'] = { intent: 'inform', email: 'Marta@Example.com' };
  await c.say('escríbeme a Marta@Example.com');
  assert.equal(c.state, 'confirm', c.text());
  assert.match(c.text(), /A nombre de Marta Ruiz \(marta@example.com\)/);
  readings['sí, adelante'] = { intent: 'yes' };
  await c.say('sí, adelante');
  assert.equal(c.state, 'booked', c.text());
  const b = c.booking();
  assert.equal(b.start, '2026-12-02T17:00:00+01:00');
  assert.equal(fake.calls.length - calls0, 4, 'one call per message');
  const list = await ES.admin('GET', '/v1/admin/bookings?from=2026-12-02&to=2026-12-02');
  const mine = list.json.items.find((x) => x.code === b.code);
  assert.equal(mine.source, 'chat');
  assert.equal(mine.provider_id, ES.ids.Ana);
  const logs = aiLog(srv, c.id);
  assert.equal(logs.length, 4);
  assert.ok(logs.every((l) => l.outcome === 'ai' && l.mode === 'nlp' && l.tokens_in === 100 && l.tokens_out === 20), JSON.stringify(logs));
  // tokens: on the conversation and on the tenant's month, per model (metered: written by the next flush)
  assert.equal((await srv.post('/v1/test/usage/flush', {})).status, 200);
  const items = await dumpTenant(srv, ES.id, { usage: true });
  const convItem = items.find((i) => i.SK === `CONV#${c.id}`);
  assert.deepEqual(convItem.ai_tokens, { in: 400, out: 80 });
  const usage = items.find((i) => i.SK === 'USAGE#2026-11');
  assert.ok(usage.ai_tokens >= 480);
  assert.ok(usage['ai_tokens_in:anthropic/claude-haiku-4-5'] >= 400);
});

test('en (OpenAI-compatible): a booking, with the tenant\'s own model', async () => {
  const c = await open(EN);
  const calls0 = fake.calls.length;
  readings['the usual with the lady from last time, next tuesday around 3 in the afternoon'] =
    { intent: 'book', service_id: EN.ids.s1, provider_id: EN.ids.Mary, date: '2026-12-01', time: '15:00' };
  await c.say('the usual with the lady from last time, next tuesday around 3 in the afternoon');
  assert.equal(c.state, 'name', c.text());
  assert.match(c.text(), /Haircut with Mary, Tuesday, December 1 at 3:00 pm/);
  const call = fake.calls[calls0];
  assert.equal(call.provider, 'openai');
  assert.equal(call.headers.authorization, 'Bearer sk-openai-test');
  assert.equal(call.model, 'llama3.1');
  assert.equal(call.body.response_format.type, 'json_schema');
  assert.equal(call.body.response_format.json_schema.strict, true);
  assert.match(call.system, /America\/New_York/);
  assert.match(call.system, /The chat's language is English/);
  readings["name's John Smith, john@example.com"] = { intent: 'inform', name: 'John Smith', email: 'john@example.com' };
  await c.say("name's John Smith, john@example.com");
  assert.equal(c.state, 'confirm', c.text());
  readings['yep, go ahead'] = { intent: 'yes' };
  await c.say('yep, go ahead');
  assert.equal(c.state, 'booked', c.text());
  assert.equal(c.booking().start, '2026-12-01T15:00:00-05:00');
});

test('quick replies go straight to the state machine (no model call)', async () => {
  const c = await open(ES);
  const n = fake.calls.length;
  await c.tap(`svc:${ES.ids.s2}`);
  assert.equal(c.state, 'provider');
  assert.equal(fake.calls.length, n);
});

test('an invalid reading is refused and the offline NLU answers: another tenant\'s ids, invented contacts', async () => {
  const before = (await EN.admin('GET', '/v1/admin/bookings')).json.items.length;
  const c = await open(ES);
  // EN's service id in ES's conversation: not one of ES's services
  readings['quiero un corte el jueves'] = { intent: 'book', service_id: EN.ids.s1, provider_id: EN.ids.John, date: '2026-12-03' };
  await c.say('quiero un corte el jueves');
  assert.equal(c.status, 200);
  // the offline NLU understood "corte" and "el jueves" by itself
  assert.equal(c.state, 'provider', c.text());
  let log = aiLog(srv, c.id).at(-1);
  assert.equal(log.outcome, 'fallback');
  assert.equal(log.reason, 'invalid_answer');
  assert.match(log.detail, /service_id/);
  // an e-mail the customer did not write
  readings['con Ana'] = { intent: 'inform', provider_id: ES.ids.Ana };
  await c.say('con Ana');
  assert.equal(c.state, 'time', c.text());
  readings['a las 10'] = { intent: 'inform', time: '10:00' };
  await c.say('a las 10');
  assert.equal(c.state, 'name', c.text());
  readings['Pedro Gil'] = { intent: 'inform', name: 'Pedro Gil', email: 'attacker@evil.example' };
  await c.say('Pedro Gil');
  log = aiLog(srv, c.id).at(-1);
  assert.equal(log.reason, 'invalid_answer');
  assert.match(log.detail, /email not in the message/);
  assert.equal(c.state, 'contact', 'the offline NLU took the name');
  // a date that does not exist, a field the schema does not have
  readings['pedro@example.com'] = { intent: 'inform', email: 'pedro@example.com', date: '2026-02-30' };
  await c.say('pedro@example.com');
  assert.match(aiLog(srv, c.id).at(-1).detail, /date/);
  assert.equal(c.state, 'confirm');
  // the model says yes; the customer said no: not a confirmation
  readings['no, espera'] = { intent: 'yes' };
  await c.say('no, espera');
  assert.match(aiLog(srv, c.id).at(-1).detail, /yes/);
  assert.notEqual(c.state, 'booked');
  assert.match(c.text(), /¿Qué quieres cambiar\?/);
  assert.equal((await EN.admin('GET', '/v1/admin/bookings')).json.items.length, before);
  const extra = (call) => ({ json: { ...reading({ intent: 'yes' }), tenant_id: EN.id } });
  readings['vale'] = extra;
  await c.say('vale');
  assert.match(aiLog(srv, c.id).at(-1).detail, /unknown field tenant_id/);
});

test('a provider that errors or hangs: fsm answers within the time-out', async () => {
  const c = await open(ES);
  readings['quiero un tinte con Luis'] = () => ({ status: 500, message: 'overloaded' });
  let t0 = Date.now();
  await c.say('quiero un tinte con Luis');
  assert.equal(c.status, 200);
  assert.equal(c.state, 'day', c.text());
  let log = aiLog(srv, c.id).at(-1);
  assert.equal(log.outcome, 'fallback');
  assert.equal(log.reason, 'unavailable');
  readings['el viernes'] = () => ({ hang: true });
  t0 = Date.now();
  await c.say('el viernes');
  const ms = Date.now() - t0;
  assert.equal(c.status, 200);
  assert.equal(c.state, 'time', c.text());
  assert.ok(ms >= 1800 && ms < 4000, `answered after ${ms} ms (ai_nlp_timeout is 2 s)`);
  log = aiLog(srv, c.id).at(-1);
  assert.equal(log.reason, 'timeout');
  // an answer that is not JSON at all
  readings['a las 11'] = () => ({ text: 'I think they want 11am' });
  await c.say('a las 11');
  assert.equal(c.state, 'name', c.text());
  assert.equal(aiLog(srv, c.id).at(-1).outcome, 'fallback');
});

test('budget: the month\'s tokens run out mid-month, and the per-conversation cap', async () => {
  const T = await aiTenant(srv, { name: 'Budget', locale: 'es', timezone: 'Europe/Madrid', s1: 'Corte de pelo', syn1: ['corte'], s2: 'Tinte', pros: ['Ana', 'Luis'], address: 'x', ai: { mode: 'nlp', provider: 'anthropic' } });
  const F = await aiTenant(srv, { name: 'Budget', locale: 'es', timezone: 'Europe/Madrid', s1: 'Corte de pelo', syn1: ['corte'], s2: 'Tinte', pros: ['Ana', 'Luis'], address: 'x' });
  await srv.platform('PATCH', `/v1/platform/tenants/${T.id}`, { limits: { rate_per_s: 100000, burst: 100000, ai_tokens_month: 200 } });
  const script = ['quiero un corte', 'con Luis', 'el jueves por la mañana'];
  readings['quiero un corte'] = { intent: 'book', service_id: T.ids.s1 };
  readings['con Luis'] = { intent: 'inform', provider_id: T.ids.Luis };
  const c = await open(T), f = await open(F);
  const n0 = fake.calls.length;
  for (const text of script) {
    await c.say(text);
    await f.say(text);
    assert.equal(c.status, 200);
    // the customer sees exactly what fsm mode says
    assert.equal(c.text(), f.text());
    assert.equal(c.state, f.state);
  }
  assert.equal(fake.calls.length - n0, 3 - 1, '120 + 120 tokens pass the cap of 200 only after the second');
  const logs = aiLog(srv, c.id);
  assert.deepEqual(logs.map((l) => l.outcome), ['ai', 'ai', 'fallback']);
  assert.equal(logs[2].reason, 'month_budget');
  // and the usage report says so
  assert.equal((await srv.post('/v1/test/usage/flush', {})).status, 200);
  const u = (await T.admin('GET', '/v1/admin/usage')).json.usage;
  assert.equal(u.totals.ai_tokens.total, 240);
  assert.equal(u.limit_reached.ai_tokens, true);
  assert.equal(u.used_pct.ai_tokens, 120);
  // raising the cap brings the model back at once
  await srv.platform('PATCH', `/v1/platform/tenants/${T.id}`, { limits: { rate_per_s: 100000, burst: 100000, ai_tokens_month: 10000 } });
  readings['a las 10'] = { intent: 'inform', time: '10:00' };
  await c.say('a las 10');
  assert.equal(aiLog(srv, c.id).at(-1).outcome, 'ai');
  // per conversation: 100 tokens, spent by the first turn
  await T.admin('PUT', '/v1/admin/settings/ai', { mode: 'nlp', provider: 'anthropic', conversation_tokens: 100 });
  const d = await open(T);
  await d.say('quiero un corte');
  await d.say('con Luis');
  assert.deepEqual(aiLog(srv, d.id).map((l) => l.reason || l.outcome), ['ai', 'conversation_budget']);
  assert.equal(d.state, 'day');
  const ai = await T.admin('GET', '/v1/admin/settings/ai');
  assert.equal(ai.json.ai.conversation_tokens, 100);
});

test('plans: FREE cannot enable nlp or agent, PRO not agent; a downgraded tenant gets fsm', async () => {
  const free = await makeTenant(srv, { name: 'Free', plan: 'FREE' });
  for (const mode of ['nlp', 'agent']) {
    const r = await free.admin('PUT', '/v1/admin/settings/ai', { mode, provider: 'anthropic' });
    assert.equal(r.status, 409);
    assert.equal(errorCode(r), 'plan_limit_exceeded');
  }
  const pro = await makeTenant(srv, { name: 'Pro', plan: 'PRO' });
  assert.equal((await pro.admin('PUT', '/v1/admin/settings/ai', { mode: 'nlp' })).status, 200);
  assert.equal((await pro.admin('PUT', '/v1/admin/settings/ai', { mode: 'agent' })).status, 409);
  assert.equal((await pro.admin('PUT', '/v1/admin/settings/ai', { mode: 'nlp', conversation_tokens: 5 })).status, 400);
  // a tenant that chose nlp and is moved to FREE: its turns use fsm, with the reason logged
  const T = await aiTenant(srv, { name: 'Down', locale: 'es', timezone: 'Europe/Madrid', s1: 'Corte de pelo', s2: 'Tinte', pros: ['Ana'], address: 'x', ai: { mode: 'nlp' } });
  await srv.platform('PATCH', `/v1/platform/tenants/${T.id}`, { plan: 'FREE' });
  const n0 = fake.calls.length;
  const c = await open(T);
  await c.say('quiero un tinte');
  assert.equal(c.status, 200);
  assert.equal(c.state, 'day', c.text());
  assert.equal(fake.calls.length, n0);
  assert.equal(aiLog(srv, c.id).at(-1).reason, 'plan');
});
