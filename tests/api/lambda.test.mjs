// bookchat lambda against a stand-in of the Lambda Runtime API (lib/runtime_api.mjs): real API Gateway HTTP
// API (payload 2.0) and Function URL events answered by the same router as serve — a widget read, a hold
// with a base64 body, a booking, a chat turn (also when an event stream is asked for), a bad key, cookies,
// a malformed event and one of an unknown kind (the error endpoint, and the loop goes on), a chat turn
// whose model hangs with a short deadline (fsm answers in time), a WhatsApp message answered within the
// invocation (its turn and the answer's delivery settled before the next), a scheduled event (housekeeping), and a
// start-up failure (init/error). A serve process on the same data directory sets the tenant up and reads
// back what the Lambda runtime wrote. The clock starts on Monday 2026-11-30 09:00 in Madrid.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { BIN, startServer, makeTenant, makeHaircutTeam, must, tempDir, ownStore } from './harness.mjs';
import { FakeLLM } from './fake_llm.mjs';
import { graphStandIn, waText, waSign, WA_PHONE_ID } from './channel_standins.mjs';
import { RuntimeAPI, httpEvent, scheduledEvent } from './lib/runtime_api.mjs';

const NOW = Date.UTC(2026, 10, 30, 8, 0, 0) / 1000;
let srv, fake, rt, fn, T, AI, team, hooks, graph, store;
const received = []; // webhook deliveries: { at, event }

const llmEnv = (url) => ({
  BOOKCHAT_ANTHROPIC_URL: url,
  ANTHROPIC_API_KEY: 'sk-ant-test',
  BOOKCHAT_LLM_RETRIES: '1',
  BOOKCHAT_LLM_BREAKER_FAILURES: '1000',
  BOOKCHAT_AI_TURN_TIMEOUT: '20',
  BOOKCHAT_AI_NLP_TIMEOUT: '20',
});

// The Lambda runtime: `bookchat lambda` on serve's data directory, as Lambda runs the bootstrap.
function startFunction(env = {}) {
  const p = spawn(BIN, ['lambda', '--data', srv.dataDir], {
    env: {
      ...process.env,
      AWS_LAMBDA_RUNTIME_API: rt.address,
      BOOKCHAT_TEST_HOOKS: 'on',
      BOOKCHAT_TEST_NOW: String(NOW),
      BOOKCHAT_LOG_LEVEL: 'info',
      BOOKCHAT_VISITOR_LIMITS: 'off',
      BOOKCHAT_LAMBDA_RESERVE_MS: '1000',
      BOOKCHAT_WEBHOOK_ALLOW_PRIVATE: 'on',
      BOOKCHAT_DISPATCHER: 'on', // the function sends the notifications (make api-dynamo turns it off by default)
      BOOKCHAT_WHATSAPP_GRAPH_URL: graph.url,
      ...store, // its own table on the DynamoDB run: the function's dispatcher sends only this suite's outbox
      ...llmEnv(fake.url),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const f = { proc: p, logs: [] };
  createInterface({ input: p.stderr }).on('line', (l) => f.logs.push(l));
  p.stdout.resume();
  f.exited = new Promise((resolve) => p.on('exit', (code, signal) => resolve({ code, signal })));
  return f;
}

// One HTTP event through the runtime; returns the answer it posted, with the event's answer parsed.
async function call(opts, invokeOpts) {
  const out = await rt.invoke(httpEvent(opts), invokeOpts);
  assert.equal(out.kind, 'response', `expected a response, got ${out.kind}: ${out.body}`);
  assert.equal(out.headers['content-type'], 'application/json', 'the runtime posts JSON');
  const a = out.json;
  assert.equal(typeof a.statusCode, 'number');
  assert.equal(typeof a.headers, 'object');
  assert.ok(Array.isArray(a.cookies));
  assert.equal(typeof a.isBase64Encoded, 'boolean');
  a.json = undefined;
  if (!a.isBase64Encoded && a.body) try { a.json = JSON.parse(a.body); } catch { /* not JSON */ }
  return a;
}

// The last log line of the runtime that matches (stderr arrives through a pipe: waits up to 2 s for it).
async function logLine(match) {
  for (let i = 0; i < 40; i++) {
    const line = fn.logs.map((l) => { try { return JSON.parse(l); } catch { return null; } }).filter((o) => o && match(o)).pop();
    if (line) return line;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no such log line in:\n${fn.logs.slice(-10).join('\n')}`);
}

const widget = (t, method, path, { query = '', body, headers = {}, ...rest } = {}) =>
  call({
    method, path, query,
    headers: { 'x-api-key': t.key, origin: t.origin, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    ...rest,
  });

before(async () => {
  fake = await new FakeLLM().start();
  graph = await graphStandIn();
  store = await ownStore('lambda');
  // only the Lambda runtime sends notifications: serve's dispatcher is off
  srv = await startServer({ env: { ...store, BOOKCHAT_TEST_NOW: String(NOW), BOOKCHAT_DISPATCHER: 'off', BOOKCHAT_WEBHOOK_ALLOW_PRIVATE: 'on', ...llmEnv(fake.url) } });
  hooks = createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => { received.push({ at: Date.now(), body: JSON.parse(raw) }); res.writeHead(200); res.end('ok'); });
  });
  await new Promise((r) => hooks.listen(0, '127.0.0.1', r));
  T = await makeTenant(srv, { name: 'Peluquería', plan: 'BUSINESS', timezone: 'Europe/Madrid', locale: 'es' });
  await srv.platform('PATCH', `/v1/platform/tenants/${T.id}`, { limits: { rate_per_s: 100000, burst: 100000 } });
  team = await makeHaircutTeam(T);
  await must(T.admin('POST', '/v1/admin/webhooks', { url: `http://127.0.0.1:${hooks.address().port}/hook`, events: ['booking.created'] }), 'webhook');
  AI = await makeTenant(srv, { name: 'Clínica', plan: 'BUSINESS', timezone: 'Europe/Madrid', locale: 'es' });
  await makeHaircutTeam(AI);
  await must(AI.admin('PUT', '/v1/admin/settings/ai', { mode: 'agent', provider: 'anthropic' }), 'ai settings');
  rt = await new RuntimeAPI().start();
  fn = startFunction();
});

after(async () => {
  if (fn?.proc.exitCode === null) {
    fn.proc.kill('SIGTERM');
    const res = await fn.exited;
    assert.equal(res.code, 0, `the runtime exited with ${res.code ?? res.signal}:\n${fn.logs.slice(-30).join('\n')}`);
  }
  await rt?.stop();
  await srv?.stop();
  await fake?.stop();
  await graph?.close();
  hooks?.close();
});

test('a widget read: the same answer as serve, with the request id, CORS and security headers', async () => {
  const a = await widget(T, 'GET', '/v1/widget/services');
  assert.equal(a.statusCode, 200, a.body);
  assert.deepEqual(a.json.items.map((s) => s.name), ['Haircut']);
  assert.match(a.headers['Content-Type'], /^application\/json/);
  assert.match(a.headers['X-Request-Id'], /^[0-9A-Z]{26}$/);
  assert.equal(a.headers['Access-Control-Allow-Origin'], T.origin);
  assert.equal(a.headers['X-Content-Type-Options'], 'nosniff');
  assert.equal(a.headers['Cache-Control'], 'no-store');
  assert.equal(a.isBase64Encoded, false);
  const viaServe = await T.widget('GET', '/v1/widget/services');
  assert.deepEqual(a.json, viaServe.json);
  // a Function URL event is the same payload format
  const h = await call({ path: '/healthz', functionUrl: true });
  assert.equal(h.statusCode, 200);
  assert.equal(h.json.status, 'ok');
});

test('a bad key is 401 in the error format; unknown paths and methods as serve answers them', async () => {
  const a = await widget(T, 'GET', '/v1/widget/services', { headers: { 'x-api-key': 'pk_live_nope' } });
  assert.equal(a.statusCode, 401);
  assert.equal(a.json.error.code, 'unauthorized');
  const nf = await call({ path: '/v1/nothing-here' });
  assert.equal(nf.statusCode, 404);
  assert.equal(nf.json.error.code, 'not_found');
  const m = await call({ method: 'DELETE', path: '/healthz' });
  assert.equal(m.statusCode, 405);
  assert.match(m.headers.Allow, /GET/);
  const odd = await call({ method: 'TRACE', path: '/healthz' });
  assert.equal(odd.statusCode, 405);
});

test('availability with a query string, a hold with a base64 body, and a booking that serve then sees', async () => {
  const q = new URLSearchParams({ service_id: team.s, provider_id: team.a, from: '2026-12-01', to: '2026-12-01' }).toString();
  const av = await widget(T, 'GET', '/v1/widget/availability', { query: q });
  assert.equal(av.statusCode, 200, av.body);
  assert.equal(av.json.timezone, 'Europe/Madrid');
  const start = av.json.slots[0].start;
  assert.equal(start, '2026-12-01T09:00:00+01:00');
  // the hold's body base64-encoded, as API Gateway sends a binary body
  const raw = JSON.stringify({ service_id: team.s, provider_id: team.a, start });
  const hold = await widget(T, 'POST', '/v1/widget/holds', { body: Buffer.from(raw).toString('base64'), base64: true });
  assert.equal(hold.statusCode, 201, hold.body);
  assert.ok(hold.json.hold.id);
  // bad base64 is a malformed event: the error endpoint
  const bad = await rt.invoke(httpEvent({ method: 'POST', path: '/v1/widget/holds', headers: { 'x-api-key': T.key, origin: T.origin }, body: '%%%not base64', base64: true }));
  assert.equal(bad.kind, 'error');
  assert.match(bad.json.errorMessage, /base64/);
  const booking = { service_id: team.s, provider_id: team.a, start, hold_id: hold.json.hold.id, customer: { name: 'Marta Ruiz', email: 'marta@example.com', phone: '+34 600 111 222' } };
  const b = await widget(T, 'POST', '/v1/widget/bookings', { body: booking, headers: { 'idempotency-key': 'lambda-book-1' } });
  assert.equal(b.statusCode, 201, b.body);
  assert.equal(b.json.booking.status, 'confirmed');
  assert.ok(b.json.booking.manage_token);
  // the same slot again through serve: taken
  const again = await T.widget('POST', '/v1/widget/bookings', { body: { ...booking, hold_id: undefined, customer: { name: 'Otro', email: 'otro@example.com' } } });
  assert.equal(again.status, 409);
  // the outbox ran at the end of the invocation: the webhook arrived before the next invocation was asked for
  const asked = rt.nextCalls;
  for (let i = 0; i < 100 && rt.nextCalls === asked; i++) await new Promise((r) => setTimeout(r, 20));
  const hook = received.find((h) => JSON.stringify(h.body).includes(b.json.booking.id));
  assert.ok(hook, `the booking.created webhook was delivered (got ${received.length})`);
  assert.ok(hook.at <= rt.nextAt[rt.nextAt.length - 1], 'delivered before the runtime asked for the next invocation');
  const list = await T.admin('GET', '/v1/admin/bookings?from=2026-12-01&to=2026-12-01');
  assert.ok(list.json.items.some((x) => x.code === b.json.booking.code), 'serve reads the booking the Lambda runtime made');
  // a body over body_limit: 413 from the router
  const big = await widget(T, 'POST', '/v1/widget/holds', { body: JSON.stringify({ pad: 'x'.repeat(70000) }) });
  assert.equal(big.statusCode, 413);
  assert.equal(big.json.error.code, 'payload_too_large');
});

test('a chat turn in fsm mode; an event stream asked for gets the buffered JSON answer', async () => {
  const open = await widget(T, 'POST', '/v1/widget/conversations', { body: {} });
  assert.equal(open.statusCode, 201, open.body);
  const { id, token } = open.json.conversation;
  const turn = await widget(T, 'POST', `/v1/widget/conversations/${id}/messages`, { body: { text: 'quiero un corte' }, headers: { 'x-conversation-token': token } });
  assert.equal(turn.statusCode, 200, turn.body);
  assert.ok(turn.json.messages.length > 0);
  assert.equal(turn.json.messages[0].role, 'assistant');
  const sse = await widget(T, 'POST', `/v1/widget/conversations/${id}/messages`, { body: { text: 'mañana' }, headers: { 'x-conversation-token': token, accept: 'text/event-stream' } });
  assert.equal(sse.statusCode, 200, sse.body);
  assert.match(sse.headers['Content-Type'], /^application\/json/);
  assert.ok(Array.isArray(sse.json.messages));
  // a wrong conversation token: the same refusal as serve's
  const wrong = await widget(T, 'POST', `/v1/widget/conversations/${id}/messages`, { body: { text: 'hola' }, headers: { 'x-conversation-token': 'nope' } });
  const viaServe = await T.widget('POST', `/v1/widget/conversations/${id}/messages`, { body: { text: 'hola' }, headers: { 'x-conversation-token': 'nope' } });
  assert.ok(wrong.statusCode >= 400);
  assert.equal(wrong.statusCode, viaServe.status);
  assert.deepEqual(wrong.json, viaServe.json);
});

test('a WhatsApp message through the function: acknowledged, and its answer sent before the next invocation', async () => {
  const WA = { access_token: 'EAAGlambda-token-789', app_secret: '9f8e7d6c5b4a39281706f5e4d3c2b1a0', verify_token: 'lambda-verify' };
  const ch = (await must(T.admin('POST', '/v1/admin/channels', { kind: 'whatsapp', phone_number_id: WA_PHONE_ID, ...WA }), 'channel')).channel;
  const from = '34655000111', raw = JSON.stringify(waText(from, 'hola, quiero un corte'));
  const post = (sig) => call({ method: 'POST', path: `/v1/channels/whatsapp/${ch.id}`, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sig }, body: raw });
  const forged = await post(waSign('not-the-app-secret', raw));
  assert.equal(forged.statusCode, 401, forged.body);
  const a = await post(waSign(WA.app_secret, raw));
  assert.equal(a.statusCode, 200, a.body);
  assert.deepEqual(a.json, { accepted: 1, duplicates: 0, ignored: 0 });
  // the function runs the turn and sends the answer after posting the acknowledgement, before it asks for
  // the next invocation (a frozen process sends nothing): the next event finds it sent
  await call({ path: '/healthz' });
  const answers = graph.calls.filter((c) => !c.failed && c.body?.to === from);
  assert.ok(answers.length >= 1, 'answered within the invocation');
  assert.equal(answers[0].headers.authorization, `Bearer ${WA.access_token}`);
  const again = await post(waSign(WA.app_secret, raw));
  assert.deepEqual(again.json, { accepted: 0, duplicates: 1, ignored: 0 });
  assert.ok((await T.admin('DELETE', `/v1/admin/channels/${ch.id}`)).status < 300);
});

test('cookies[] reach the request and the answer has its cookies array; multi-value headers are one value', async () => {
  const a = await widget(T, 'GET', '/v1/widget/config', { cookies: ['a=1', 'b=two'], headers: { 'accept-language': 'es,en;q=0.5', 'x-forwarded-for': '198.51.100.1, 198.51.100.2' } });
  assert.equal(a.statusCode, 200, a.body);
  assert.deepEqual(a.cookies, []);
  assert.ok(a.json.greeting !== undefined || a.json.branding !== undefined);
  // the access line names the event's source IP (no trusted proxies: X-Forwarded-For is not believed)
  const line = await logLine((o) => o.type === 'access' && o.path === '/v1/widget/config');
  assert.equal(line.remote, '203.0.113.9');
});

test('a malformed event and an unknown one go to the error endpoint, and the loop goes on', async () => {
  const bad = await rt.invoke('{"version":"2.0", this is not json');
  assert.equal(bad.kind, 'error');
  assert.equal(bad.headers['lambda-runtime-function-error-type'], 'Runtime.InvalidEvent');
  assert.equal(bad.headers['content-type'], 'application/vnd.aws.lambda.error+json');
  assert.equal(bad.json.errorType, 'Runtime.InvalidEvent');
  assert.match(bad.json.errorMessage, /not JSON/);
  assert.deepEqual(bad.json.stackTrace, []);
  const unknown = await rt.invoke({ Records: [{ eventSource: 'aws:s3' }] });
  assert.equal(unknown.kind, 'error');
  assert.equal(unknown.json.errorType, 'Runtime.UnknownEvent');
  const v1 = await rt.invoke({ ...httpEvent({ path: '/healthz' }), version: '1.0' });
  assert.equal(v1.kind, 'error', 'REST API (payload 1.0) events are not answered as HTTP');
  const wrongPath = await rt.invoke(httpEvent({ path: 'healthz' }));
  assert.equal(wrongPath.kind, 'error');
  assert.match(wrongPath.json.errorMessage, /rawPath/);
  const headers = await rt.invoke({ ...httpEvent({ path: '/healthz' }), headers: { 'x-a': 5 } });
  assert.equal(headers.kind, 'error');
  // still answering
  const ok = await widget(T, 'GET', '/v1/widget/services');
  assert.equal(ok.statusCode, 200);
  assert.equal(fn.proc.exitCode, null, 'the runtime is still running');
});

test('a chat turn whose model hangs: the short deadline sends it to fsm, answered before the deadline', async () => {
  fake.script = () => ({ hang: true });
  const open = await widget(AI, 'POST', '/v1/widget/conversations', { body: {} });
  assert.equal(open.statusCode, 201, open.body);
  const { id, token } = open.json.conversation;
  const timeoutMs = 3000;
  const t0 = Date.now();
  const out = await rt.invoke(httpEvent({ method: 'POST', path: `/v1/widget/conversations/${id}/messages`,
    headers: { 'x-api-key': AI.key, origin: AI.origin, 'content-type': 'application/json', 'x-conversation-token': token },
    body: JSON.stringify({ text: 'quiero un corte el martes' }) }), { timeoutMs });
  const took = out.at - out.invocation.handedOutAt;
  assert.equal(out.kind, 'response', out.body);
  assert.ok(out.at < out.invocation.deadline, `answered ${out.at - out.invocation.deadline} ms after the deadline`);
  assert.ok(took >= timeoutMs - 1000 - 400, `the model was given the time up to the reserve (took ${took} ms)`);
  const a = out.json;
  assert.equal(a.statusCode, 200, a.body);
  const body = JSON.parse(a.body);
  assert.ok(body.messages.length > 0, 'fsm answered');
  assert.ok(fake.calls.length >= 1, 'the model was called');
  const ai = await logLine((o) => o.type === 'ai_turn' && o.conversation === id);
  assert.equal(ai.outcome, 'fallback');
  assert.ok(Date.now() - t0 < timeoutMs + 1000);
  fake.script = () => ({ text: 'ok' });
});

test('a scheduled EventBridge event runs housekeeping and answers a summary', async () => {
  const out = await rt.invoke(scheduledEvent(), { timeoutMs: 20000 });
  assert.equal(out.kind, 'response', out.body);
  assert.equal(out.json.housekeeping, 'done');
  assert.equal(out.json.outbox_settled, true);
  assert.equal(out.json.calendars_settled, true);
  assert.equal(typeof out.json.ms, 'number');
});

test('a start-up failure is posted to init/error and the process exits 1', async () => {
  const rt2 = await new RuntimeAPI().start();
  const p = spawn(BIN, ['lambda', '--data', tempDir('bc-lambda')], {
    env: { ...process.env, AWS_LAMBDA_RUNTIME_API: rt2.address, BOOKCHAT_LAMBDA_RESERVE_MS: '5' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  p.stderr.resume();
  const code = await new Promise((r) => p.on('exit', r));
  const init = await rt2.initError;
  assert.equal(code, 1);
  assert.equal(init.headers['lambda-runtime-function-error-type'], 'Runtime.InitError');
  assert.equal(init.json.errorType, 'Runtime.InitError');
  assert.match(init.json.errorMessage, /lambda_reserve_ms/);
  assert.equal(rt2.nextCalls, 0, 'no invocation is asked for after a failed start');
  await rt2.stop();
  // without AWS_LAMBDA_RUNTIME_API: a usage error, not a hang
  const q = spawn(BIN, ['lambda'], { env: { ...process.env, AWS_LAMBDA_RUNTIME_API: '' }, stdio: 'ignore' });
  assert.equal(await new Promise((r) => q.on('exit', r)), 2);
});
