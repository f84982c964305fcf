// Shared set-up of the AI-mode API tests: a server pointed at a fake LLM provider (fake_llm.mjs), tenants
// with a small catalogue, and a conversation helper that can also read Server-Sent Events.
import assert from 'node:assert/strict';
import { startServer, makeTenant } from './harness.mjs';
import { FakeLLM } from './fake_llm.mjs';

// Monday 2026-11-30 09:00 in Madrid (08:00 UTC), as in chat.test.mjs
export const NOW = Date.UTC(2026, 10, 30, 8, 0, 0) / 1000;

export async function startAI(env = {}) {
  const fake = await new FakeLLM().start();
  const srv = await startServer({
    env: {
      BOOKCHAT_TEST_NOW: String(NOW),
      BOOKCHAT_ANTHROPIC_URL: fake.url,
      ANTHROPIC_API_KEY: 'sk-ant-test',
      BOOKCHAT_OPENAI_URL: fake.url,
      OPENAI_API_KEY: 'sk-openai-test',
      BOOKCHAT_LLM_RETRIES: '1',
      BOOKCHAT_LLM_BREAKER_FAILURES: '1000',
      BOOKCHAT_AI_NLP_TIMEOUT: '2',
      BOOKCHAT_AI_TURN_TIMEOUT: '4',
      ...env,
    },
  });
  return { srv, fake };
}

// A tenant with two services and two professionals working Mon-Fri 9-13 and 15-19, in a plan with AI.
export async function aiTenant(srv, { name, locale, timezone, plan = 'BUSINESS', s1, syn1 = [], s2, pros, address, ai }) {
  const t = await makeTenant(srv, { name, plan, timezone, locale });
  const ids = {};
  ids.s1 = (await t.admin('POST', '/v1/admin/services', { name: s1, duration_min: 30, price: 18, synonyms: syn1 })).json.service.id;
  ids.s2 = (await t.admin('POST', '/v1/admin/services', { name: s2, duration_min: 60, price: 45 })).json.service.id;
  const weekly = [];
  for (let d = 1; d <= 5; d++) weekly.push({ weekday: d, start: '09:00', end: '13:00' }, { weekday: d, start: '15:00', end: '19:00' });
  for (const n of pros) {
    const p = await t.admin('POST', '/v1/admin/providers', { name: n, service_ids: [ids.s1, ids.s2] });
    ids[n] = p.json.provider.id;
    await t.admin('PUT', `/v1/admin/providers/${ids[n]}/availability`, { weekly });
  }
  await t.admin('PATCH', '/v1/admin/settings', { business: { address } });
  await srv.platform('PATCH', `/v1/platform/tenants/${t.id}`, { limits: { rate_per_s: 100000, burst: 100000 } });
  if (ai) {
    const r = await t.admin('PUT', '/v1/admin/settings/ai', ai);
    assert.equal(r.status, 200, r.text);
  }
  t.ids = ids;
  return t;
}

// Parses a text/event-stream body into [{event, data}] (data parsed as JSON).
export function parseSSE(text) {
  const out = [];
  for (const block of text.split('\n\n')) {
    if (!block.trim()) continue;
    let event = 'message', data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data += line.slice(6);
    }
    out.push({ event, data: JSON.parse(data) });
  }
  return out;
}

// A conversation: say(text) / tap(payload), optionally streamed (sse: true) — then conv.events holds the
// events and conv.last the messages of the final "done" event.
export async function open(t, locale) {
  const r = await t.widget('POST', '/v1/widget/conversations', { body: locale ? { locale } : {} });
  assert.equal(r.status, 201, r.text);
  const { id, token } = r.json.conversation;
  const conv = { id, token, last: r.json.messages, status: 201 };
  const send = async (body, { sse = false } = {}) => {
    const headers = { 'x-conversation-token': token };
    if (sse) headers.accept = 'text/event-stream';
    const res = await t.widget('POST', `/v1/widget/conversations/${id}/messages`, { body, headers });
    conv.status = res.status;
    conv.res = res;
    conv.events = null;
    if (sse && res.status === 200 && (res.headers.get('content-type') || '').startsWith('text/event-stream')) {
      conv.events = parseSSE(res.text);
      const done = conv.events.find((e) => e.event === 'done');
      conv.last = done ? done.data.messages : [];
      conv.state = done?.data.state;
    } else {
      conv.last = res.json?.messages || [];
      conv.state = res.json?.state;
    }
    return conv;
  };
  conv.say = (text, o) => send({ text }, o);
  conv.tap = (payload, o) => send({ action: payload }, o);
  conv.text = () => conv.last.map((m) => m.text).join('\n');
  conv.booking = () => conv.last.find((m) => m.booking)?.booking;
  return conv;
}

// The ai_turn log lines of the server (JSON objects), optionally of one conversation.
export function aiLog(srv, convId) {
  return srv.logs.map((l) => { try { return JSON.parse(l); } catch { return null; } })
    .filter((o) => o && o.type === 'ai_turn' && (!convId || o.conversation === convId));
}

// A structured nlp reading with every field (as a strict-schema model returns it).
export function reading(r) {
  return {
    intent: 'inform', also: [], service_id: null, provider_id: null, date: null, time: null, part_of_day: null,
    asap: false, name: null, email: null, phone: null, code: null, number: null, change_target: null, ...r,
  };
}
