// The compose file of the local scale-out trial (deploy/compose/compose.yaml), checked without Docker: its
// shape (a DynamoDB-compatible engine, a one-shot table init, several bookchat processes with one shared
// secret, a load balancer), and its bookchat settings run for real: the table made with the init
// service's command, two `serve` processes with the service's environment on one dynalite table, a tenant
// created through one and served by the other.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { cli, makeTenant, startServer } from '../api/harness.mjs';
import { FAKE_AWS_ENV, startDynalite } from '../store/with-dynalite.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = join(root, 'deploy', 'compose');
const compose = parse(readFileSync(join(dir, 'compose.yaml'), 'utf8'), { merge: true });
const svc = compose.services;

test('a DynamoDB-compatible engine, a one-shot init, several bookchat processes, a load balancer', () => {
  assert.deepEqual(Object.keys(svc).sort(), ['bookchat', 'dynamodb', 'init', 'lb']);
  assert.match(svc.dynamodb.image, /^amazon\/dynamodb-local:[0-9.]+$/);
  assert.deepEqual(svc.init.command, ['store', 'init']);
  assert.equal(svc.init.build.dockerfile, 'Dockerfile');
  assert.equal(svc.init.build.context, '../..');
  assert.equal(svc.bookchat.image, svc.init.image, 'the processes run the image the init service builds');
  assert.deepEqual(svc.bookchat.command, ['serve']);
  assert.ok(svc.bookchat.deploy.replicas >= 2);
  assert.deepEqual(svc.bookchat.depends_on, { init: { condition: 'service_completed_successfully' } });
  assert.deepEqual(svc.lb.depends_on, { bookchat: { condition: 'service_healthy' } });
  assert.ok(!svc.bookchat.ports, 'only the load balancer publishes a port');
  assert.match(svc.lb.image, /^nginx:[0-9]/);
});

test('one environment for every process: the shared table, a required shared secret', () => {
  const env = svc.bookchat.environment;
  assert.deepEqual(svc.init.environment, env);
  assert.match(env.BOOKCHAT_STORE, /^dynamodb:\/\/bookchat\?.*endpoint=http:\/\/dynamodb:8000/);
  assert.match(env.BOOKCHAT_STORE, /[?&]ttl=reap(&|$)/, 'DynamoDB Local does not expire items');
  assert.match(env.BOOKCHAT_SECRET, /^\$\{BOOKCHAT_SECRET:\?/, 'compose refuses to start without the secret');
  // the proxies named trusted are the compose network
  assert.equal(env.BOOKCHAT_TRUSTED_PROXIES, compose.networks.default.ipam.config[0].subnet);
});

test('the stop grace period is longer than the drain', () => {
  const s = String(svc.bookchat.stop_grace_period).match(/^(\d+)s$/);
  assert.ok(s && Number(s[1]) > 30, 'drain_timeout is 30 s');
});

test('nginx spreads over the bookchat service and names the client', () => {
  const conf = readFileSync(join(dir, 'nginx.conf'), 'utf8');
  assert.match(conf, /server bookchat:8080;/);
  assert.match(conf, /proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;/);
  assert.deepEqual(svc.lb.volumes, ['./nginx.conf:/etc/nginx/conf.d/default.conf:ro']);
});

// The service's environment with the engine replaced by a local dynalite and the secret filled in.
let dyn, servers = [];
before(async () => { dyn = await startDynalite(); });
after(async () => {
  for (const s of servers) await s.stop();
  await dyn.stop();
});

function runEnv() {
  const env = {};
  for (const [k, v] of Object.entries(svc.bookchat.environment)) env[k] = String(v);
  env.BOOKCHAT_STORE = env.BOOKCHAT_STORE.replace('http://dynamodb:8000', dyn.endpoint);
  env.BOOKCHAT_SECRET = 'compose-test-shared-secret-0123456789abcdef';
  env.BOOKCHAT_PLATFORM_TOKEN = 'test-platform-token-0123456789abcdef';
  delete env.BOOKCHAT_PUBLIC_URL; // each test server is reached on its own port
  return { ...env, ...FAKE_AWS_ENV };
}

test('its settings run: init makes the table, two processes share it and the secret', async () => {
  const env = runEnv();
  const init = await cli(svc.init.command, { env });
  assert.equal(init.code, 0, init.stderr);
  const again = await cli(svc.init.command, { env });
  assert.equal(again.code, 0, `a second init finds the table: ${again.stderr}`);
  for (let i = 0; i < 2; i++) servers.push(await startServer({ store: env.BOOKCHAT_STORE, env }));
  const [a, b] = servers;
  const t = await makeTenant(a, { name: 'Compose Clinic' });
  // the key made by one process works on the other: same table, same secret
  const r = await b.get('/v1/widget/config', { headers: { 'x-api-key': t.key, origin: 'https://shop.example.com' } });
  assert.equal(r.status, 200, r.text);
  const me = await b.get('/v1/admin/me', { headers: { authorization: `Bearer ${t.token}` } });
  assert.equal(me.status, 200, `a JWT signed by one process verifies on the other: ${me.text}`);
  for (const s of servers) assert.equal((await s.get('/healthz')).status, 200);
});
