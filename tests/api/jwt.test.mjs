// Admin tokens: our own HS256 tokens and an external OpenID provider's RS256/ES256 tokens, made by an
// independent implementation (jose) with a JWKS it generates. Valid ones are accepted; forged, expired,
// wrongly-addressed or algorithm-confused ones are 401. An external subject never acts as an internal user,
// and the JWKS is only fetched over https (http on loopback only with the tests-only setting).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { createHash, createHmac } from 'node:crypto';
import * as jose from 'jose';
import { startServer, errorCode, makeTenant, tempDir, Server } from './harness.mjs';

const ISSUER = 'https://idp.example.com/pool';
const AUDIENCE = 'bookchat-test';
const SECRET = 'test-secret-0123456789-abcdefghijklmnop';
let srv, A, B, rsa, ec, other, jwk;

// Our signing key: HMAC-SHA256(SHA-256(secret setting), "jwt"), as src/auth/secret.c derives it.
const ownKey = createHmac('sha256', createHash('sha256').update(SECRET).digest()).update('jwt').digest();

async function ext(claims, { key = rsa.privateKey, alg = 'RS256', kid = 'rsa-1', exp = '10m' } = {}) {
  let j = new jose.SignJWT({ 'custom:tenantId': A.id, 'cognito:groups': ['admin'], ...claims })
    .setProtectedHeader({ alg, kid })
    .setIssuedAt()
    .setIssuer(claims.iss ?? ISSUER)
    .setAudience(claims.aud ?? AUDIENCE)
    .setSubject('ext-user-1');
  j = typeof exp === 'number' ? j.setExpirationTime(exp) : j.setExpirationTime(exp);
  return j.sign(key);
}

const me = (token) => srv.get('/v1/admin/me', { headers: { authorization: `Bearer ${token}` } });

before(async () => {
  rsa = await jose.generateKeyPair('RS256', { extractable: true });
  ec = await jose.generateKeyPair('ES256', { extractable: true });
  other = await jose.generateKeyPair('RS256', { extractable: true });
  jwk = {
    keys: [
      { ...(await jose.exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...(await jose.exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ],
  };
  const dir = tempDir('jwks');
  const file = join(dir, 'jwks.json');
  writeFileSync(file, JSON.stringify(jwk));
  srv = await startServer({
    env: {
      BOOKCHAT_SECRET: SECRET,
      BOOKCHAT_OIDC_ISSUER: ISSUER,
      BOOKCHAT_OIDC_AUDIENCE: AUDIENCE,
      BOOKCHAT_OIDC_JWKS: file,
      BOOKCHAT_OIDC_TENANT_CLAIM: 'custom:tenantId',
      BOOKCHAT_OIDC_ROLE_CLAIM: 'cognito:groups',
    },
  });
  A = await makeTenant(srv, { name: 'A', origins: ['https://a.example.com'] });
  B = await makeTenant(srv, { name: 'B', origins: ['https://b.example.com'] });
});
after(async () => { await srv.stop(); });

test('our own login token works, and tampering with it is refused', async () => {
  const ok = await me(A.token);
  assert.equal(ok.status, 200);
  assert.equal(ok.json.tenant.id, A.id);
  assert.equal(ok.json.user.role, 'owner');
  const [h, p, s] = A.token.split('.');
  const payload = JSON.parse(Buffer.from(p, 'base64url'));
  const evil = Buffer.from(JSON.stringify({ ...payload, tenantId: B.id })).toString('base64url');
  assert.equal((await me(`${h}.${evil}.${s}`)).status, 401);
  const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
  assert.equal((await me(`${none}.${evil}.`)).status, 401);
  assert.equal((await me(`${none}.${p}.`)).status, 401);
  assert.equal((await me(`${h}.${p}`)).status, 401);
  assert.equal((await me(`${h}.${p}.${s}.x`)).status, 401);
  assert.equal((await me('garbage')).status, 401);
  const r = await srv.get('/v1/admin/me');
  assert.equal(r.status, 401);
  assert.equal(errorCode(r), 'unauthorized');
});

test('HS256 tokens made by jose with our key are accepted when valid, refused when expired or misaddressed', async () => {
  const base = { tenantId: A.id, role: 'owner' };
  const mk = (claims, exp = '5m', aud = 'bookchat-admin', sub = null) =>
    new jose.SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer('bookchat').setAudience(aud)
      .setSubject(sub ?? 'x').setIssuedAt().setExpirationTime(exp).sign(ownKey);
  // the subject must be a real user of the tenant
  const userId = (await me(A.token)).json.user.id;
  assert.equal((await me(await mk(base, '5m', 'bookchat-admin', userId))).status, 200);
  assert.equal((await me(await mk(base, Math.floor(Date.now() / 1000) - 10, 'bookchat-admin', userId))).status, 401);
  assert.equal((await me(await mk(base, '5m', 'someone-else', userId))).status, 401);
  assert.equal((await me(await mk(base, '5m', 'bookchat-admin', 'not-a-user'))).status, 401);
  // B's tenant with A's user id: the user does not exist in B
  assert.equal((await me(await mk({ tenantId: B.id, role: 'owner' }, '5m', 'bookchat-admin', userId))).status, 401);
  // our issuer with an asymmetric algorithm: refused even if correctly signed
  const rs = await new jose.SignJWT(base).setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' }).setIssuer('bookchat')
    .setAudience('bookchat-admin').setSubject(userId).setIssuedAt().setExpirationTime('5m').sign(rsa.privateKey);
  assert.equal((await me(rs)).status, 401);
});

test('external RS256 and ES256 tokens from the JWKS are accepted, with tenant and role from configured claims', async () => {
  const r = await me(await ext({}));
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.tenant.id, A.id);
  assert.equal(r.json.user.role, 'admin');
  const e = await me(await ext({ 'cognito:groups': ['viewer', 'ADMIN'] }, { key: ec.privateKey, alg: 'ES256', kid: 'ec-1' }));
  assert.equal(e.status, 200, e.text);
  assert.equal(e.json.user.role, 'admin');
  const b = await me(await ext({ 'custom:tenantId': B.id, 'cognito:groups': 'viewer' }));
  assert.equal(b.status, 200);
  assert.equal(b.json.tenant.id, B.id);
  assert.equal(b.json.user.role, 'viewer');
});

test('forged or wrong external tokens are 401', async () => {
  const cases = {
    'wrong audience': await ext({ aud: 'other-app' }),
    'wrong issuer': await ext({ iss: 'https://evil.example.com' }),
    expired: await ext({}, { exp: Math.floor(Date.now() / 1000) - 120 }),
    'signed by an unknown key': await ext({}, { key: other.privateKey }),
    'unknown tenant': await ext({ 'custom:tenantId': '01ZZZZZZZZZZZZZZZZZZZZZZZZ' }),
    'no role': await ext({ 'cognito:groups': ['staff'] }),
    'no tenant claim': await ext({ 'custom:tenantId': undefined }),
    'ES256 header on an RSA key id': await ext({}, { key: ec.privateKey, alg: 'ES256', kid: 'rsa-1' }),
  };
  // HS256 signed with the RSA public key (the classic RS/HS confusion)
  const pubPem = await jose.exportSPKI(rsa.publicKey);
  cases['HS256 signed with the RS256 public key'] = await new jose.SignJWT({ 'custom:tenantId': A.id, 'cognito:groups': ['owner'] })
    .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' }).setIssuer(ISSUER).setAudience(AUDIENCE).setSubject('x')
    .setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(pubPem));
  cases['HS256 signed with the JWK modulus'] = await new jose.SignJWT({ 'custom:tenantId': A.id, 'cognito:groups': ['owner'] })
    .setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).setAudience(AUDIENCE).setSubject('x')
    .setIssuedAt().setExpirationTime('5m').sign(Buffer.from(jwk.keys[0].n, 'base64url'));
  // alg none with valid-looking claims
  const unsigned = new jose.UnsecuredJWT({ 'custom:tenantId': A.id, 'cognito:groups': ['owner'] })
    .setIssuer(ISSUER).setAudience(AUDIENCE).setSubject('x').setIssuedAt().setExpirationTime('5m').encode();
  cases['alg none'] = unsigned;
  // a valid token whose payload is swapped for B's tenant
  const good = await ext({});
  const [h, p, s] = good.split('.');
  const pl = JSON.parse(Buffer.from(p, 'base64url'));
  cases['tampered tenant'] = `${h}.${Buffer.from(JSON.stringify({ ...pl, 'custom:tenantId': B.id })).toString('base64url')}.${s}`;
  for (const [name, token] of Object.entries(cases)) {
    const r = await me(token);
    assert.equal(r.status, 401, `${name}: ${r.status} ${r.text}`);
    assert.equal(errorCode(r), 'unauthorized');
  }
});

test('an external viewer cannot write; an external admin can', async () => {
  const viewer = await ext({ 'cognito:groups': ['viewer'] });
  const w = await srv.req('PATCH', '/v1/admin/settings', { body: { widget: { color: '#112233' } }, headers: { authorization: `Bearer ${viewer}` } });
  assert.equal(w.status, 403);
  assert.equal(errorCode(w), 'forbidden');
  const admin = await ext({});
  const ok = await srv.req('PATCH', '/v1/admin/settings', { body: { widget: { color: '#112233' } }, headers: { authorization: `Bearer ${admin}` } });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.settings.widget.color, '#112233');
});

test('a password change invalidates earlier tokens; removing a user invalidates theirs', async () => {
  const x = await makeTenant(srv, { name: 'X', origins: ['https://x.example.com'] });
  const old = x.token;
  await new Promise((r) => setTimeout(r, 1100)); // iat has one-second resolution
  const ch = await x.admin('POST', '/v1/admin/me/password', { current_password: x.owner.password, new_password: 'a-brand-new-password' });
  assert.equal(ch.status, 200, ch.text);
  assert.equal((await me(old)).status, 401);
  const wrong = await srv.post('/v1/auth/login', { email: x.owner.email, password: x.owner.password });
  assert.equal(wrong.status, 401);
  const login = await srv.post('/v1/auth/login', { email: x.owner.email, password: 'a-brand-new-password' });
  assert.equal(login.status, 200);
  assert.equal((await me(login.json.token)).status, 200);
});

test('an external token whose subject is an internal user id does not act as that user', async () => {
  const owner = (await me(A.token)).json.user;
  assert.ok(owner.id && owner.email);
  const token = await new jose.SignJWT({ 'custom:tenantId': A.id, 'cognito:groups': ['owner'] })
    .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' }).setIssuedAt().setIssuer(ISSUER).setAudience(AUDIENCE)
    .setSubject(owner.id).setExpirationTime('5m').sign(rsa.privateKey);
  const r = await me(token);
  assert.equal(r.status, 200, r.text);
  assert.notEqual(r.json.user.id, owner.id);
  assert.match(r.json.user.id, /^ext:[0-9a-f]{32}$/);
  assert.equal(r.json.user.email, undefined);
  // the internal owner's password cannot be changed with it, even knowing the current one
  const ch = await srv.req('POST', '/v1/admin/me/password', {
    body: { current_password: A.owner.password, new_password: 'taken-over-password' },
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(ch.status, 403, ch.text);
  const login = await srv.post('/v1/auth/login', { email: A.owner.email, password: A.owner.password });
  assert.equal(login.status, 200);
  // the same subject is the same user every time; another subject is another one
  assert.equal((await me(token)).json.user.id, r.json.user.id);
  assert.notEqual((await me(await ext({}))).json.user.id, r.json.user.id);
});

test('the JWKS is fetched only over https; http only on a loopback address with the tests-only setting', async () => {
  const jwksServer = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(jwk));
  });
  await new Promise((r) => jwksServer.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${jwksServer.address().port}/jwks.json`;
  const env = (extra) => ({
    BOOKCHAT_SECRET: SECRET, BOOKCHAT_OIDC_ISSUER: ISSUER, BOOKCHAT_OIDC_AUDIENCE: AUDIENCE,
    BOOKCHAT_OIDC_TENANT_CLAIM: 'custom:tenantId', BOOKCHAT_OIDC_ROLE_CLAIM: 'cognito:groups', ...extra,
  });
  // refuses to start: returns the one error line, or null (and stops it) if the server started
  const refused = async (extra) => {
    const s = new Server({ env: env(extra) });
    try {
      await s.start();
    } catch {
      rmSync(s.dataDir, { recursive: true, force: true });
      return s.logs.find((l) => /JWKS/.test(l)) ?? s.logs.join('\n');
    }
    await s.stop({ allowDirty: true });
    return null;
  };
  try {
    const plain = await refused({ BOOKCHAT_OIDC_JWKS: url });
    assert.ok(plain, 'started with an http JWKS URL without the setting');
    assert.match(plain, /must use https/);
    const remote = await refused({ BOOKCHAT_OIDC_JWKS: 'http://192.0.2.1:9/jwks.json', BOOKCHAT_OIDC_ALLOW_HTTP_LOOPBACK: 'on' });
    assert.ok(remote, 'started with an http JWKS URL of a non-loopback host');
    assert.match(remote, /must use https/);
    // loopback with the setting: keys loaded, an external token accepted
    const s = await startServer({ env: env({ BOOKCHAT_OIDC_JWKS: url, BOOKCHAT_OIDC_ALLOW_HTTP_LOOPBACK: 'on' }) });
    try {
      const t = await makeTenant(s, { name: 'L', origins: ['https://l.example.com'] });
      const tok = await ext({ 'custom:tenantId': t.id });
      const r = await s.get('/v1/admin/me', { headers: { authorization: `Bearer ${tok}` } });
      assert.equal(r.status, 200, r.text);
    } finally {
      await s.stop();
    }
  } finally {
    jwksServer.close();
  }
});
