// A process without AWS keys in its environment, as an ECS (Fargate) task with a task role runs: its
// DynamoDB requests are signed with the credentials of the container credentials endpoint
// (AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN; util/awscreds.h), fetched once
// and again before they expire. The endpoint stand-in answers in the documented shape and checks the
// token; a proxy in front of dynalite lets through only requests signed with the role's credentials.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { rmSync } from 'node:fs';
import { cli, makeTenant, startServer, tempDir } from './harness.mjs';
import { startDynalite } from '../store/with-dynalite.mjs';
import { listen, startSignedProxy } from './lib/sigv4.mjs';

const TASK = { accessKey: 'ASIATASKROLE00000001', secret: 'task-role-secret-a1b2c3', token: 'IQoJb3JpZ2luX2VjEN7//////////wEaCXRhc2stcm9sZQ==' };
const AUTH = 'task-auth-token-0123456789';
const cleanups = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

// The container agent's endpoint: GET /v2/credentials/<id> with the Authorization token.
async function startAgent({ expiresInS = 3600 } = {}) {
  const calls = [];
  const server = createServer((req, res) => {
    calls.push({ path: req.url, auth: req.headers.authorization });
    if (req.url !== '/v2/credentials/task-1' || req.method !== 'GET') { res.writeHead(404); return res.end(); }
    if (req.headers.authorization !== AUTH) { res.writeHead(401); return res.end('{"code":"Unauthorized"}'); }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({
      AccessKeyId: TASK.accessKey, SecretAccessKey: TASK.secret, Token: TASK.token,
      Expiration: new Date(Date.now() + expiresInS * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
      RoleArn: 'arn:aws:iam::123456789012:role/bookchat-task',
    }));
  });
  const url = await listen(server);
  return { url, calls, stop: () => new Promise((r) => server.close(r)) };
}

// No keys: the inherited fake ones (make api-dynamo) are blanked, which the process reads as unset.
const NO_KEYS = { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SESSION_TOKEN: '', AWS_REGION: 'us-east-1' };

test('a task role: DynamoDB signed with the container endpoint\'s credentials, fetched once, refreshed before expiry', async () => {
  const d = await startDynalite();
  cleanups.push(() => d.stop());
  // credentials that live 10 s: fetched again halfway (a real task role's live hours: 5 minutes before)
  const agent = await startAgent({ expiresInS: 10 });
  cleanups.push(() => agent.stop());
  const proxy = await startSignedProxy(d.endpoint, TASK);
  cleanups.push(() => proxy.stop());
  const dataDir = tempDir('bc-task');
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const store = `dynamodb://bc-task?endpoint=${proxy.url}&ttl=reap`;
  const env = {
    ...NO_KEYS, BOOKCHAT_STORE: store, BOOKCHAT_DATA: dataDir, BOOKCHAT_SECRET: 'task-role-suite-secret-0123456789abcdef',
    AWS_CONTAINER_CREDENTIALS_FULL_URI: `${agent.url}/v2/credentials/task-1`, AWS_CONTAINER_AUTHORIZATION_TOKEN: AUTH,
  };
  const init = await cli(['store', 'init'], { env });
  assert.equal(init.code, 0, init.stderr);
  const srv = await startServer({ dataDir, store, env });
  cleanups.push(() => srv.stop());
  const t = await makeTenant(srv, { name: 'Task role clinic' });
  const svc = await t.admin('POST', '/v1/admin/services', { name: 'Revisión', duration_min: 30 });
  assert.equal(svc.status, 201, svc.text);
  const list = await t.widget('GET', '/v1/widget/services');
  assert.equal(list.status, 200, list.text);
  assert.deepEqual(list.json.items.map((s) => s.name), ['Revisión']);
  assert.ok(proxy.stats.passed > 5, 'requests reached the table');
  assert.deepEqual(proxy.stats.refused, [], 'every request was signed with the task role');
  assert.ok(agent.calls.length >= 2 && agent.calls.length <= 6, `a fetch per process (store init, serve) and few more, got ${agent.calls.length}`);
  assert.ok(agent.calls.every((c) => c.auth === AUTH));
  // past the margin, the next signed request fetches fresh credentials first
  const before = agent.calls.length;
  await new Promise((r) => setTimeout(r, 5500));
  const again = await t.admin('POST', '/v1/admin/services', { name: 'Limpieza', duration_min: 45 });
  assert.equal(again.status, 201, again.text);
  assert.ok(agent.calls.length > before, 'refreshed before expiry');
  assert.deepEqual(proxy.stats.refused, []);
});

test('a wrong token, an endpoint off-limits or no credentials at all: the store does not open, and says why', async () => {
  const agent = await startAgent();
  cleanups.push(() => agent.stop());
  const d = await startDynalite();
  cleanups.push(() => d.stop());
  const store = d.url('bc-task-bad');
  const dataDir = tempDir('bc-task-bad');
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const base = { ...NO_KEYS, BOOKCHAT_STORE: store, BOOKCHAT_DATA: dataDir };
  // no keys and no endpoint
  let r = await cli(['store', 'init'], { env: base });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /AWS_ACCESS_KEY_ID|task role/);
  // the endpoint refuses the token: nothing is created
  r = await cli(['store', 'init'], { env: { ...base, AWS_CONTAINER_CREDENTIALS_FULL_URI: `${agent.url}/v2/credentials/task-1`, AWS_CONTAINER_AUTHORIZATION_TOKEN: 'wrong' } });
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stderr, /credentials|refused|signed|security token/i);
  // a plain-http endpoint that is not loopback or a container agent is never asked (no token sent there)
  r = await cli(['store', 'init'], { env: { ...base, AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://10.1.2.3/v2/credentials/task-1', AWS_CONTAINER_AUTHORIZATION_TOKEN: AUTH } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /FULL_URI must be https/);
  // a token with a line break (a second header) is refused
  r = await cli(['store', 'init'], { env: { ...base, AWS_CONTAINER_CREDENTIALS_FULL_URI: `${agent.url}/v2/credentials/task-1`, AWS_CONTAINER_AUTHORIZATION_TOKEN: `${AUTH}\r\nX-Evil: 1` } });
  assert.equal(r.code, 1);
  assert.ok(agent.calls.every((c) => c.auth !== `${AUTH}\r\nX-Evil: 1`));
});
