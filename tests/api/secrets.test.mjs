// Secrets (passwords, API keys) never appear in the store, the logs or API responses after creation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, makeTenant, cli } from './harness.mjs';

let srv, A;
const secrets = [];
before(async () => {
  srv = await startServer({ keepData: true });
  A = await makeTenant(srv, { name: 'Secretive', origins: ['https://s.example.com'] });
  secrets.push(A.key, A.owner.password);
  const k = await A.admin('POST', '/v1/admin/api-keys', { origins: ['https://s.example.com'] });
  secrets.push(k.json.api_key.secret);
  const rot = await A.admin('POST', `/v1/admin/api-keys/${k.json.api_key.id}/rotate`);
  secrets.push(rot.json.api_key.secret);
  const u = await A.admin('POST', '/v1/admin/users', { email: 'staff@s.example.com', role: 'admin', password: 'staff-password-42' });
  secrets.push('staff-password-42');
  const g = await A.admin('POST', '/v1/admin/users', { email: 'gen@s.example.com', role: 'viewer' });
  assert.equal(g.status, 201);
  assert.match(g.json.user.password, /^[A-Za-z0-9]{20}$/);
  secrets.push(g.json.user.password);
  await A.admin('PATCH', `/v1/admin/users/${u.json.user.id}`, { password: 'changed-password-43' });
  secrets.push('changed-password-43');
  await srv.post('/v1/auth/login', { email: 'staff@s.example.com', password: 'changed-password-43' });
  await srv.post('/v1/auth/login', { email: 'staff@s.example.com', password: 'a-wrong-password' });
  await A.widget('GET', '/v1/widget/config');
  await A.widget('GET', '/v1/widget/config', { key: secrets[2] });
});
after(async () => { await srv.stop(); });

function filesUnder(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

test('no secret is in the data directory', async () => {
  const files = filesUnder(srv.dataDir);
  assert.ok(files.some((f) => f.endsWith('data.mdb')));
  for (const f of files) {
    const bytes = readFileSync(f);
    for (const s of secrets) assert.equal(bytes.indexOf(Buffer.from(s)), -1, `${s.slice(0, 6)}… found in ${f}`);
  }
  // but the hashes are there: the argon2id prefix proves the store holds hashed passwords
  const db = readFileSync(join(srv.dataDir, 'data.mdb'));
  assert.ok(db.indexOf(Buffer.from('$argon2id$')) >= 0);
});

test('no secret is in the server log', async () => {
  await new Promise((r) => setTimeout(r, 100));
  const log = srv.logs.join('\n');
  assert.ok(log.length > 1000);
  for (const s of secrets) assert.ok(!log.includes(s), `${s.slice(0, 6)}… found in the log`);
});

test('no secret or hash is in API responses after creation', async () => {
  const bodies = [
    await A.admin('GET', '/v1/admin/api-keys'),
    await A.admin('GET', '/v1/admin/users'),
    await A.admin('GET', '/v1/admin/audit'),
    await A.admin('GET', '/v1/admin/me'),
    await srv.platform('GET', `/v1/platform/tenants/${A.id}`),
    await srv.platform('GET', '/v1/platform/tenants'),
  ].map((r) => r.text);
  for (const b of bodies) {
    for (const s of secrets) assert.ok(!b.includes(s));
    assert.ok(!b.includes('argon2'), 'password hashes never leave the server');
    assert.ok(!b.includes('"hash"'));
  }
});

test('the CLI shows a secret once and never again', async () => {
  await srv.stop();
  const env = { BOOKCHAT_DATA: srv.dataDir };
  const c = await cli(['apikey', 'create', A.id, '--origin', 'https://cli.example.com', '--json'], { env });
  assert.equal(c.code, 0, c.stderr);
  const secret = c.json.api_key.secret;
  assert.match(secret, /^pk_live_/);
  const list = await cli(['apikey', 'list', A.id, '--json'], { env });
  assert.equal(list.code, 0);
  assert.ok(!list.stdout.includes(secret));
  const bytes = readFileSync(join(srv.dataDir, 'data.mdb'));
  assert.equal(bytes.indexOf(Buffer.from(secret)), -1);
  srv = await startServer({ dataDir: srv.dataDir });
  const w = await srv.req('GET', '/v1/widget/config', { headers: { 'x-api-key': secret, origin: 'https://cli.example.com' } });
  assert.equal(w.status, 200, 'a key made by the CLI works on the server (shared secret file)');
});
