// Staff sign-in and credentials (issue 17): every failed sign-in costs the same time whatever its cause
// (unknown e-mail, other tenant, wrong password); the per-e-mail limit cannot be dodged by changing the
// letter case; guesses of the current password on a password change are limited per user; a server with a
// short platform token refuses to start.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { rmSync } from 'node:fs';
import { startServer, errorCode, makeTenant, Server } from './harness.mjs';

let srv, A, B;
before(async () => {
  srv = await startServer({ env: { BOOKCHAT_ACCESS_LOG: 'off' } });
  A = await makeTenant(srv, { name: 'A', origins: ['https://a.example.com'] });
  B = await makeTenant(srv, { name: 'B', origins: ['https://b.example.com'] });
});
after(async () => { await srv.stop(); });

// POST /v1/auth/login from a given loopback address (the per-address limit is then that address's own);
// resolves {status, json, headers, ms}.
function login(body, from = '127.0.0.1') {
  const u = new URL(srv.url);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const r = request({
      host: u.hostname, port: u.port, path: '/v1/auth/login', method: 'POST', localAddress: from,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
    }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, json, headers: res.headers, ms });
      });
    });
    r.on('error', reject);
    r.end(payload);
  });
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

test('every failed sign-in takes the same time: unknown e-mail, other tenant, wrong password', async (t) => {
  const ROUNDS = 20;
  const users = [];
  for (let i = 0; i < ROUNDS; i++) {
    const email = `timing-${i}@a.example.com`;
    const r = await A.admin('POST', '/v1/admin/users', { email, role: 'viewer', password: 'the-right-password' });
    assert.equal(r.status, 201, r.text);
    users.push(email);
  }
  const kinds = {
    'wrong password': (i) => ({ email: users[i], password: 'a-wrong-password' }),
    'wrong password, tenant named': (i) => ({ email: users[i], password: 'a-wrong-password', tenant_id: A.id }),
    'unknown e-mail': (i) => ({ email: `nobody-${i}@a.example.com`, password: 'a-wrong-password' }),
    'other tenant, right password': (i) => ({ email: users[i], password: 'the-right-password', tenant_id: B.id }),
  };
  const times = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
  await login(kinds['unknown e-mail'](99), '127.0.0.99'); // warm-up (the dummy hash is made on first use)
  // interleaved rounds, each from its own address and starting with another kind, so load on the machine
  // hits every kind alike
  const entries = Object.entries(kinds);
  for (let i = 0; i < ROUNDS; i++) {
    for (let k = 0; k < entries.length; k++) {
      const [name, body] = entries[(i + k) % entries.length];
      const r = await login(body(i), `127.0.0.${10 + i}`);
      assert.equal(r.status, 401, `${name}: ${r.status} ${JSON.stringify(r.json)}`);
      assert.equal(r.json.error.code, 'unauthorized');
      times[name].push(r.ms);
    }
  }
  const medians = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
  t.diagnostic(`median ms: ${JSON.stringify(medians)}`);
  const lo = Math.min(...Object.values(medians)), hi = Math.max(...Object.values(medians));
  assert.ok(hi / lo < 1.3, `median times (ms) differ by ${(hi / lo).toFixed(2)}x: ${JSON.stringify(medians)}`);
});

test('the per-e-mail sign-in limit holds whatever the letter case or surrounding spaces', async () => {
  const C = await makeTenant(srv, { name: 'C', origins: ['https://c.example.com'] });
  const email = C.owner.email;
  const upper = email.replace(/^(.)(.)/, (m, a, b) => a.toUpperCase() + b).toUpperCase();
  assert.notEqual(upper, email);
  // the bucket holds 10, the sign-in of makeTenant used one: from other addresses, so only the e-mail's
  // limit is in play
  const tries = [];
  for (let i = 0; i < 9; i++) tries.push(await login({ email, password: 'wrong-password-' + i }, `127.0.1.${i + 1}`));
  assert.ok(tries.every((r) => r.status === 401), tries.map((r) => r.status).join());
  const limited = await login({ email, password: 'wrong-password-x' }, '127.0.1.50');
  assert.equal(limited.status, 429);
  for (const variant of [upper, ` ${email} `, email.replace(/@.*/, (d) => d.toUpperCase())]) {
    const r = await login({ email: variant, password: C.owner.password }, '127.0.1.51');
    assert.equal(r.status, 429, `${variant}: ${r.status} ${JSON.stringify(r.json)}`);
    assert.equal(r.json.error.code, 'rate_limited');
    assert.ok(Number(r.headers['retry-after']) >= 1);
  }
});

test('an e-mail signs in whatever its letter case', async () => {
  const D = await makeTenant(srv, { name: 'D', origins: ['https://d.example.com'] });
  const r = await login({ email: ` ${D.owner.email.toUpperCase()} `, password: D.owner.password }, '127.0.2.1');
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.user.email, D.owner.email);
});

test('guesses of the current password on a password change are limited per user', async () => {
  const E = await makeTenant(srv, { name: 'E', origins: ['https://e.example.com'] });
  const change = (current) => E.admin('POST', '/v1/admin/me/password', { current_password: current, new_password: 'a-brand-new-password' });
  const statuses = [];
  for (let i = 0; i < 5; i++) {
    const r = await change('guess-number-' + i);
    statuses.push(r.status);
    assert.equal(errorCode(r), 'forbidden');
  }
  assert.deepEqual(statuses, [403, 403, 403, 403, 403]);
  // the sixth try is refused before the password is looked at, even the right one
  const limited = await change(E.owner.password);
  assert.equal(limited.status, 429, limited.text);
  assert.equal(errorCode(limited), 'password_attempts_exceeded');
  assert.ok(Number(limited.headers.get('retry-after')) >= 1);
  // nothing changed: the old password still signs in
  const r = await login({ email: E.owner.email, password: E.owner.password }, '127.0.3.1');
  assert.equal(r.status, 200);
  // another user of another tenant is not affected
  const ok = await A.admin('POST', '/v1/admin/me/password', { current_password: 'not-it', new_password: 'a-brand-new-password' });
  assert.equal(ok.status, 403);
});

test('a platform token under 32 characters stops the server at start with a one-line error', async () => {
  const weak = new Server({ env: { BOOKCHAT_PLATFORM_TOKEN: 'too-short-platform-token' } });
  let started = false;
  try {
    await weak.start();
    started = true;
  } catch (e) {
    assert.match(e.message, /exited \(1\)/);
  }
  if (started) await weak.stop({ allowDirty: true });
  rmSync(weak.dataDir, { recursive: true, force: true });
  assert.equal(started, false, 'the server started with a 24-character platform token');
  const lines = weak.logs.filter((l) => /platform_token/.test(l));
  assert.equal(lines.length, 1, weak.logs.join('\n'));
  assert.match(lines[0], /at least 32 characters/);
  // 32 characters start
  const ok = await new Server({ env: { BOOKCHAT_PLATFORM_TOKEN: 'x'.repeat(32) } }).start();
  await ok.stop();
});
