// The operator's command line: tenant, apikey and user commands with --json, exit statuses 0/1/2.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { cli, tempDir } from './harness.mjs';

let env, tid;
before(() => { env = { BOOKCHAT_DATA: tempDir('bc-cli') }; });

test('tenant create prints the onboarding result once, as JSON', async () => {
  const r = await cli(['tenant', 'create', '--name', 'Clínica Norte', '--plan', 'BUSINESS', '--locale', 'es',
    '--timezone', 'Europe/Madrid', '--origin', 'https://norte.example.com', '--owner-email', 'dir@norte.example.com', '--empty', '--json'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.tenant.plan, 'BUSINESS');
  assert.match(r.json.api_key.secret, /^pk_live_/);
  assert.equal(r.json.owner.email, 'dir@norte.example.com');
  assert.ok(r.json.owner.password);
  tid = r.json.tenant.id;
});

test('tenant list, show, set-plan, set-limits, suspend, delete, restore', async () => {
  const list = await cli(['tenant', 'list', '--json'], { env });
  assert.equal(list.code, 0);
  assert.ok(list.json.items.some((t) => t.id === tid));
  const text = await cli(['tenant', 'list'], { env });
  assert.match(text.stdout, /Clínica Norte/);
  const sp = await cli(['tenant', 'set-plan', tid, 'PRO', '--json'], { env });
  assert.equal(sp.json.tenant.plan, 'PRO');
  const sl = await cli(['tenant', 'set-limits', tid, '--messages', '5', '--providers', '-1', '--json'], { env });
  assert.equal(sl.code, 0, sl.stderr);
  assert.equal(sl.json.limits.messages_month, 5);
  assert.equal(sl.json.limits.providers, null);
  const sl2 = await cli(['tenant', 'set-limits', tid, '--bookings', '9', '--json'], { env });
  assert.equal(sl2.json.limits.messages_month, 5, 'earlier overrides are kept');
  assert.equal(sl2.json.limits.bookings_month, 9);
  for (const [verb, status] of [['suspend', 'SUSPENDED'], ['delete', 'DELETED'], ['restore', 'ACTIVE']]) {
    const r = await cli(['tenant', verb, tid, '--json'], { env });
    assert.equal(r.code, 0);
    assert.equal(r.json.tenant.status, status);
  }
  const show = await cli(['tenant', 'show', tid, '--json'], { env });
  assert.equal(show.json.tenant.id, tid);
});

test('apikey create, list, rotate, revoke', async () => {
  const c = await cli(['apikey', 'create', tid, '--name', 'site', '--origin', 'https://x.example.com', '--json'], { env });
  assert.equal(c.code, 0, c.stderr);
  const id = c.json.api_key.id;
  const rot = await cli(['apikey', 'rotate', tid, id, '--grace', '60', '--json'], { env });
  assert.equal(rot.code, 0, rot.stderr);
  assert.notEqual(rot.json.api_key.secret, c.json.api_key.secret);
  const rev = await cli(['apikey', 'revoke', tid, rot.json.api_key.id, '--json'], { env });
  assert.equal(rev.json.api_key.status, 'revoked');
  const list = await cli(['apikey', 'list', tid, '--json'], { env });
  const statuses = list.json.result.items.map((k) => k.status).sort();
  assert.deepEqual(statuses, ['active', 'revoked', 'rotated']);
  const again = await cli(['apikey', 'revoke', tid, rot.json.api_key.id], { env });
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already revoked/);
});

test('user add, passwd, set-role, remove', async () => {
  const add = await cli(['user', 'add', tid, '--email', 'staff@norte.example.com', '--role', 'viewer', '--json'], { env });
  assert.equal(add.code, 0, add.stderr);
  assert.equal(add.json.user.role, 'viewer');
  assert.equal(add.json.user.password.length, 20);
  const pw = await cli(['user', 'passwd', tid, 'staff@norte.example.com', '--password-stdin', '--json'], { env, input: 'a-long-new-password\n' });
  assert.equal(pw.code, 0, pw.stderr);
  assert.equal(pw.json.user.password, undefined, 'a chosen password is not echoed');
  const role = await cli(['user', 'set-role', tid, 'staff@norte.example.com', 'admin', '--json'], { env });
  assert.equal(role.json.user.role, 'admin');
  const badRole = await cli(['user', 'set-role', tid, 'staff@norte.example.com', 'god'], { env });
  assert.equal(badRole.code, 1);
  const owner = await cli(['user', 'remove', tid, 'dir@norte.example.com'], { env });
  assert.equal(owner.code, 1);
  assert.match(owner.stderr, /owner/);
  const rm = await cli(['user', 'remove', tid, 'staff@norte.example.com', '--json'], { env });
  assert.equal(rm.code, 0);
});

test('bad usage exits 2, failures exit 1, with one line on stderr', async () => {
  for (const args of [['tenant'], ['tenant', 'frobnicate'], ['tenant', 'create'], ['tenant', 'show'], ['apikey', 'rotate', 'x'], ['user', 'add', 'x']]) {
    const r = await cli(args, { env });
    assert.equal(r.code, 2, args.join(' '));
  }
  const nf = await cli(['tenant', 'show', '01ZZZZZZZZZZZZZZZZZZZZZZZZ'], { env });
  assert.equal(nf.code, 1);
  assert.equal(nf.stderr.trim().split('\n').length, 1);
  const nfj = await cli(['tenant', 'show', '01ZZZZZZZZZZZZZZZZZZZZZZZZ', '--json'], { env });
  assert.equal(nfj.code, 1);
  assert.ok(JSON.parse(nfj.stderr).error.message);
});

test('dev seed fills a store with working tenants: keys, logins, catalogue, bookings, conversations', async () => {
  const dir = tempDir('bc-seed');
  const keysFile = `${dir}/keys.jsonl`;
  const r = await cli(['dev', 'seed', '--tenants', '3', '--bookings-per-provider', '5', '--keys-out', keysFile, '--data', dir, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.tenants, 3);
  assert.equal(r.json.bookings, 30);
  const { readFileSync } = await import('node:fs');
  const keys = readFileSync(keysFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(keys.length, 3);
  const { startServer } = await import('./harness.mjs');
  const srv = await startServer({ dataDir: dir });
  try {
    const h = { 'x-api-key': keys[0].key, origin: 'https://shop.example.com' };
    const svcs = await srv.get('/v1/widget/services', { headers: h });
    assert.equal(svcs.status, 200);
    assert.equal(svcs.json.items.length, 4);
    const login = await srv.post('/v1/auth/login', { email: keys[1].email, password: r.json.owner_password });
    assert.equal(login.status, 200);
    const list = await srv.get('/v1/admin/bookings', { headers: { authorization: `Bearer ${login.json.token}` } });
    assert.equal(list.json.items.length, 10);
    const convs = await srv.get('/v1/admin/conversations', { headers: { authorization: `Bearer ${login.json.token}` } });
    assert.equal(convs.json.items.length, 2);
  } finally {
    await srv.stop();
  }
  const bad = await cli(['dev', 'seed', '--tenants', '0', '--data', dir]);
  assert.equal(bad.code, 2);
});
