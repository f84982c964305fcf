// Load test of the AI chat modes (run by hand, not part of `make test`):
//
//   make build && node bench/ai_load.mjs [--conversations 500] [--delay 2000] [--mode agent|nlp]
//                                        [--clients 8] [--baseline 5] [--bin build/bookchat]
//
// Starts `bookchat serve` (release build, two worker threads on two cores) against a fake LLM provider in
// a child process that answers every call after --delay ms, opens N conversations in agent (or nlp) mode,
// sends one message in each at the same moment — N turns waiting on the model at once — and meanwhile
// runs --clients loops of widget availability requests. It prints the availability latency alone
// (baseline) and under the load, and the latency of the chat messages, as p50/p99/max.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { startServer, makeTenant } from '../tests/api/harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const N = Number(args.conversations || 500);
const DELAY = Number(args.delay || 2000);
const MODE = args.mode || 'agent';
const CLIENTS = Number(args.clients || 8);
const BASELINE_S = Number(args.baseline || 5);
process.env.BOOKCHAT_BIN ||= join(here, '..', args.bin || 'build/bookchat');

function pct(xs, p) {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}
const fmt = (xs) => `n=${xs.length} p50=${pct(xs, 50).toFixed(1)} ms p99=${pct(xs, 99).toFixed(1)} ms max=${Math.max(...xs).toFixed(1)} ms`;

// the fake provider, in its own process so that its work does not disturb the measuring one
async function startFake() {
  const code = `
    import { FakeLLM } from ${JSON.stringify(join(here, '..', 'tests', 'api', 'fake_llm.mjs'))};
    const f = await new FakeLLM().start();
    f.script = (call) => call.structured
      ? { delayMs: ${DELAY}, json: { intent: 'book', also: [], service_id: null, provider_id: null, date: null, time: null, part_of_day: null, asap: false, name: null, email: null, phone: null, code: null, number: null, change_target: null } }
      : { delayMs: ${DELAY}, text: 'Claro, ¿qué día te viene bien?' };
    console.log(f.url);
    setInterval(() => {}, 1 << 30);`;
  const p = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve) => createInterface({ input: p.stdout }).once('line', resolve));
  return { url, stop: () => p.kill('SIGTERM') };
}

async function availabilityLoop(t, svc, until, out) {
  while (Date.now() < until) {
    const t0 = performance.now();
    const r = await t.widget('GET', `/v1/widget/availability?service_id=${svc}&provider_id=any&from=2026-12-01&to=2026-12-07`);
    out.push(performance.now() - t0);
    if (r.status !== 200) throw new Error(`availability ${r.status}`);
  }
}

const fake = await startFake();
const srv = await startServer({
  env: {
    BOOKCHAT_TEST_NOW: String(Date.UTC(2026, 10, 30, 8, 0, 0) / 1000),
    BOOKCHAT_ANTHROPIC_URL: fake.url,
    ANTHROPIC_API_KEY: 'sk-ant-load',
    BOOKCHAT_ACCESS_LOG: 'off',
    BOOKCHAT_LOG_LEVEL: 'warn',
    BOOKCHAT_AI_NLP_TIMEOUT: '30',
    BOOKCHAT_AI_TURN_TIMEOUT: '30',
  },
});
try {
  const t = await makeTenant(srv, { name: 'Carga', plan: 'ENTERPRISE', timezone: 'Europe/Madrid', locale: 'es' });
  await srv.platform('PATCH', `/v1/platform/tenants/${t.id}`, { limits: { rate_per_s: 100000, burst: 1000000 } });
  const svc = (await t.admin('POST', '/v1/admin/services', { name: 'Corte de pelo', duration_min: 30, price: 18 })).json.service.id;
  const weekly = [];
  for (let d = 1; d <= 5; d++) weekly.push({ weekday: d, start: '09:00', end: '13:00' }, { weekday: d, start: '15:00', end: '19:00' });
  for (const n of ['Ana', 'Luis', 'Eva']) {
    const p = (await t.admin('POST', '/v1/admin/providers', { name: n, service_ids: [svc] })).json.provider.id;
    await t.admin('PUT', `/v1/admin/providers/${p}/availability`, { weekly });
  }
  const ai = await t.admin('PUT', '/v1/admin/settings/ai', { mode: MODE, provider: 'anthropic' });
  if (ai.status !== 200) throw new Error(ai.text);

  // 1. availability alone
  const base = [];
  await Promise.all(Array.from({ length: CLIENTS }, () => availabilityLoop(t, svc, Date.now() + BASELINE_S * 1000, base)));

  // 2. N conversations, one message each at the same moment, with availability requests going on
  const convs = [];
  for (let i = 0; i < N; i += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, N - i) }, () => t.widget('POST', '/v1/widget/conversations', { body: {} })));
    for (const r of batch) convs.push(r.json.conversation);
  }
  const loaded = [], msgs = [];
  let errors = 0, fallbacks = 0, running = true;
  const started = performance.now();
  const sends = convs.map(async (c) => {
    const t0 = performance.now();
    const r = await t.widget('POST', `/v1/widget/conversations/${c.id}/messages`, { body: { text: 'quiero reservar' }, headers: { 'x-conversation-token': c.token } });
    msgs.push(performance.now() - t0);
    if (r.status !== 200) errors++;
    else if (MODE === 'agent' && r.json.messages[0].text !== 'Claro, ¿qué día te viene bien?') fallbacks++;
  });
  const avail = Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (running) {
      const t0 = performance.now();
      const r = await t.widget('GET', `/v1/widget/availability?service_id=${svc}&provider_id=any&from=2026-12-01&to=2026-12-07`);
      // what overlaps the window in which the turns wait on the model
      if (t0 - started < DELAY) loaded.push({ at: t0 - started, ms: performance.now() - t0 });
      if (r.status !== 200) throw new Error(`availability ${r.status}`);
    }
  }));
  await Promise.all(sends);
  running = false;
  await avail;
  const wall = performance.now() - started;
  console.log(`mode ${MODE}, ${N} conversations, model answers after ${DELAY} ms, ${CLIENTS} availability clients, 2 worker threads`);
  console.log(`availability alone:            ${fmt(base)}`);
  console.log(`availability, first ${DELAY} ms:   ${fmt(loaded.map((x) => x.ms))}  (includes the burst of ${N} message handlers)`);
  console.log(`availability, ${DELAY / 2}-${DELAY} ms:   ${fmt(loaded.filter((x) => x.at >= DELAY / 2).map((x) => x.ms))}  (every turn suspended, waiting on the model)`);
  console.log(`chat messages:                 ${fmt(msgs)}  errors=${errors} fallbacks=${fallbacks} all answered in ${wall.toFixed(0)} ms`);
} finally {
  await srv.stop();
  fake.stop();
}
