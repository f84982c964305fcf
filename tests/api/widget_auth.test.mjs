// Widget authentication: API key, allowed origins (exact and wildcard), CORS preflight, revocation,
// rotation with a grace period, requests without Origin, suspended and deleted tenants.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, errorCode, makeTenant } from './harness.mjs';

let srv, t;
before(async () => {
  srv = await startServer();
  t = await makeTenant(srv, { name: 'Clínica Sol', origins: ['https://sol.example.com', 'https://*.clinics.example.org', 'http://localhost:3000'] });
});
after(async () => { await srv.stop(); });

test('the owner key reads the widget config from an allowed origin, with CORS headers', async () => {
  const r = await t.widget('GET', '/v1/widget/config', { origin: 'https://sol.example.com' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.locale, 'es');
  assert.equal(r.json.ai_mode, 'fsm');
  assert.equal(r.json.branding.title, 'Clínica Sol');
  assert.match(r.json.greeting, /Clínica Sol/);
  assert.equal(r.headers.get('access-control-allow-origin'), 'https://sol.example.com');
  assert.equal(r.headers.get('vary'), 'Origin');
  assert.ok(Number(r.headers.get('ratelimit-limit')) > 0);
});

test('no key, malformed key and unknown key are 401', async () => {
  const none = await srv.get('/v1/widget/config', { headers: { origin: 'https://sol.example.com' } });
  assert.equal(none.status, 401);
  assert.equal(errorCode(none), 'unauthorized');
  for (const key of ['nope', 'pk_live_', 'pk_live_' + 'A'.repeat(32), 'pk_test_' + 'A'.repeat(32), t.key + 'x', t.key.slice(0, -1) + (t.key.endsWith('A') ? 'B' : 'A')]) {
    const r = await t.widget('GET', '/v1/widget/config', { key });
    assert.equal(r.status, 401, `key ${key}`);
    assert.equal(errorCode(r), 'unauthorized');
  }
});

test('a disallowed origin is 403 origin_not_allowed, without CORS headers', async () => {
  for (const origin of ['https://evil.example.com', 'http://sol.example.com', 'https://sol.example.com:8443', 'https://clinics.example.org', 'https://sol.example.com.evil.com', 'null']) {
    const r = await t.widget('GET', '/v1/widget/config', { origin });
    assert.equal(r.status, 403, origin);
    assert.equal(errorCode(r), 'origin_not_allowed');
    assert.equal(r.headers.get('access-control-allow-origin'), null);
  }
});

test('a wildcard entry allows subdomains at any depth, exact entries match case-insensitively', async () => {
  for (const origin of ['https://a.clinics.example.org', 'https://x.y.clinics.example.org', 'https://SOL.example.com', 'http://localhost:3000']) {
    const r = await t.widget('GET', '/v1/widget/config', { origin });
    assert.equal(r.status, 200, origin);
  }
});

test('CORS preflight is answered only for allowed origins', async () => {
  const ok = await srv.req('OPTIONS', '/v1/widget/config', {
    headers: { origin: 'https://a.clinics.example.org', 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-api-key' },
  });
  assert.equal(ok.status, 204);
  assert.equal(ok.headers.get('access-control-allow-origin'), 'https://a.clinics.example.org');
  assert.match(ok.headers.get('access-control-allow-headers'), /X-Api-Key/i);
  const bad = await srv.req('OPTIONS', '/v1/widget/config', {
    headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'GET' },
  });
  assert.equal(bad.status, 403);
  assert.equal(bad.headers.get('access-control-allow-origin'), null);
  const none = await srv.req('OPTIONS', '/v1/widget/config');
  assert.equal(none.status, 403);
});

test('requests without Origin are refused unless the key allows them', async () => {
  const r = await t.widget('GET', '/v1/widget/config', { origin: null });
  assert.equal(r.status, 403);
  assert.equal(errorCode(r), 'origin_not_allowed');
  const k = await t.admin('POST', '/v1/admin/api-keys', { name: 'server', origins: [], allow_no_origin: true });
  assert.equal(k.status, 201, k.text);
  const s2s = await t.widget('GET', '/v1/widget/config', { origin: null, key: k.json.api_key.secret });
  assert.equal(s2s.status, 200);
  const noOrigins = await t.admin('POST', '/v1/admin/api-keys', { name: 'useless', origins: [] });
  assert.equal(noOrigins.status, 400);
  for (const origins of [['ftp://x.com'], ['https://x.com/path'], ['https://*.com'], ['http://*.x.com'], ['https://user@x.com'], [42], 'https://x.com']) {
    const bad = await t.admin('POST', '/v1/admin/api-keys', { origins });
    assert.equal(bad.status, 400, JSON.stringify(origins));
    assert.equal(errorCode(bad), 'invalid_request');
  }
});

test('a revoked key stops working at once', async () => {
  const k = await t.admin('POST', '/v1/admin/api-keys', { name: 'temp', origins: ['https://sol.example.com'] });
  assert.equal(k.status, 201);
  const key = k.json.api_key.secret;
  assert.match(key, /^pk_live_[A-Za-z0-9_-]{32}$/);
  assert.equal((await t.widget('GET', '/v1/widget/config', { key })).status, 200);
  const del = await t.admin('DELETE', `/v1/admin/api-keys/${k.json.api_key.id}`);
  assert.equal(del.status, 200);
  assert.equal(del.json.api_key.status, 'revoked');
  assert.equal(del.json.api_key.secret, undefined);
  const r = await t.widget('GET', '/v1/widget/config', { key });
  assert.equal(r.status, 401);
  const again = await t.admin('DELETE', `/v1/admin/api-keys/${k.json.api_key.id}`);
  assert.equal(again.status, 409);
  // the listing never shows secrets or hashes
  const list = await t.admin('GET', '/v1/admin/api-keys');
  assert.ok(list.json.items.length >= 3);
  for (const item of list.json.items) {
    assert.equal(item.secret, undefined);
    assert.equal(item.hash, undefined);
  }
});

test('a rotated key works during the grace period and is refused after it', async () => {
  const k = await t.admin('POST', '/v1/admin/api-keys', { name: 'rot', origins: ['https://sol.example.com'] });
  const old = k.json.api_key.secret;
  const rot = await t.admin('POST', `/v1/admin/api-keys/${k.json.api_key.id}/rotate`, { grace_seconds: 2 });
  assert.equal(rot.status, 201, rot.text);
  const fresh = rot.json.api_key.secret;
  assert.notEqual(fresh, old);
  assert.deepEqual(rot.json.api_key.origins, ['https://sol.example.com']);
  assert.equal((await t.widget('GET', '/v1/widget/config', { key: old })).status, 200);
  assert.equal((await t.widget('GET', '/v1/widget/config', { key: fresh })).status, 200);
  const twice = await t.admin('POST', `/v1/admin/api-keys/${k.json.api_key.id}/rotate`);
  assert.equal(twice.status, 409);
  await new Promise((r) => setTimeout(r, 2600));
  const after = await t.widget('GET', '/v1/widget/config', { key: old });
  assert.equal(after.status, 401);
  assert.equal((await t.widget('GET', '/v1/widget/config', { key: fresh })).status, 200);
  const old_view = await t.admin('GET', `/v1/admin/api-keys/${k.json.api_key.id}`);
  assert.equal(old_view.json.api_key.status, 'rotated');
  assert.equal(old_view.json.api_key.replaced_by, rot.json.api_key.id);
});

test('changing a key\'s origins applies at once', async () => {
  const k = await t.admin('POST', '/v1/admin/api-keys', { origins: ['https://one.example.com'] });
  const key = k.json.api_key.secret;
  assert.equal((await t.widget('GET', '/v1/widget/config', { key, origin: 'https://one.example.com' })).status, 200);
  const p = await t.admin('PATCH', `/v1/admin/api-keys/${k.json.api_key.id}`, { origins: ['https://two.example.com/'] });
  assert.equal(p.status, 200, p.text);
  assert.deepEqual(p.json.api_key.origins, ['https://two.example.com']);
  assert.equal((await t.widget('GET', '/v1/widget/config', { key, origin: 'https://one.example.com' })).status, 403);
  assert.equal((await t.widget('GET', '/v1/widget/config', { key, origin: 'https://two.example.com' })).status, 200);
});

test('a suspended tenant is refused, a deleted one is gone, restore brings it back', async () => {
  const x = await makeTenant(srv, { name: 'Soon suspended', origins: ['https://x.example.com'] });
  assert.equal((await x.widget('GET', '/v1/widget/config')).status, 200);
  const sus = await srv.platform('PATCH', `/v1/platform/tenants/${x.id}`, { status: 'SUSPENDED' });
  assert.equal(sus.status, 200);
  const w = await x.widget('GET', '/v1/widget/config');
  assert.equal(w.status, 403);
  assert.equal(errorCode(w), 'tenant_suspended');
  assert.equal((await x.admin('GET', '/v1/admin/me')).status, 403);
  await srv.platform('DELETE', `/v1/platform/tenants/${x.id}`);
  const d = await x.widget('GET', '/v1/widget/config');
  assert.equal(d.status, 410);
  assert.equal(errorCode(d), 'tenant_deleted');
  const login = await srv.post('/v1/auth/login', { email: x.owner.email, password: x.owner.password });
  assert.equal(login.status, 410);
  const res = await srv.platform('POST', `/v1/platform/tenants/${x.id}/restore`);
  assert.equal(res.status, 200);
  assert.equal(res.json.tenant.status, 'ACTIVE');
  assert.equal((await x.widget('GET', '/v1/widget/config')).status, 200);
  assert.equal((await x.admin('GET', '/v1/admin/me')).status, 200);
});
