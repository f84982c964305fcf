// Rate limiting per API key: a burst over the bucket gets 429 with Retry-After and RateLimit-* headers,
// while a second tenant's requests during the burst all succeed (noisy neighbour).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, errorCode, makeTenant } from './harness.mjs';

let srv, A, B;
before(async () => {
  srv = await startServer({ env: { BOOKCHAT_ACCESS_LOG: 'off' } });
  A = await makeTenant(srv, { name: 'Noisy', origins: ['https://noisy.example.com'] });
  B = await makeTenant(srv, { name: 'Quiet', origins: ['https://quiet.example.com'] });
  const p = await srv.platform('PATCH', `/v1/platform/tenants/${A.id}`, { limits: { rate_per_s: 2, burst: 10 } });
  assert.equal(p.status, 200, p.text);
});
after(async () => { await srv.stop(); });

test('a burst over the bucket yields 429 with Retry-After while another tenant is unaffected', async () => {
  const flood = Array.from({ length: 60 }, () => A.widget('GET', '/v1/widget/config'));
  const quiet = (async () => {
    const out = [];
    for (let i = 0; i < 20; i++) out.push(await B.widget('GET', '/v1/widget/config'));
    return out;
  })();
  const [a, b] = await Promise.all([Promise.all(flood), quiet]);
  const ok = a.filter((r) => r.status === 200).length;
  const limited = a.filter((r) => r.status === 429);
  assert.ok(ok >= 10 && ok <= 14, `about the burst (10) got through, got ${ok}`);
  assert.ok(limited.length >= 45, `the rest are limited, got ${limited.length}`);
  for (const r of limited) {
    assert.equal(errorCode(r), 'rate_limited');
    assert.ok(Number(r.headers.get('retry-after')) >= 1);
    assert.equal(r.headers.get('ratelimit-limit'), '10');
    assert.equal(r.headers.get('ratelimit-remaining'), '0');
    assert.equal(r.headers.get('access-control-allow-origin'), 'https://noisy.example.com');
  }
  assert.deepEqual(b.map((r) => r.status), Array(20).fill(200), 'the quiet tenant is never limited');
});

test('the bucket refills over time', async () => {
  await new Promise((r) => setTimeout(r, 1100));
  const r = await A.widget('GET', '/v1/widget/config');
  assert.equal(r.status, 200);
});

test('raising the limit applies without a restart', async () => {
  const flood = await Promise.all(Array.from({ length: 30 }, () => A.widget('GET', '/v1/widget/config')));
  assert.ok(flood.some((r) => r.status === 429));
  await srv.platform('PATCH', `/v1/platform/tenants/${A.id}`, { limits: { rate_per_s: 1000, burst: 1000 } });
  const after = await Promise.all(Array.from({ length: 30 }, () => A.widget('GET', '/v1/widget/config')));
  // the bucket was created with burst 10, it refills at the new rate at once
  await new Promise((r) => setTimeout(r, 50));
  const later = await Promise.all(Array.from({ length: 30 }, () => A.widget('GET', '/v1/widget/config')));
  assert.ok(later.every((r) => r.status === 200), `statuses ${later.map((r) => r.status)}`);
  assert.ok(after.length === 30);
});

test('sign-in attempts are rate limited per e-mail', async () => {
  const tries = [];
  for (let i = 0; i < 14; i++) tries.push(await srv.post('/v1/auth/login', { email: A.owner.email, password: 'wrong-password-' + i }));
  // the bucket holds 10; the owner's sign-in in before() used one
  const statuses = tries.map((r) => r.status).join();
  assert.ok(tries.slice(0, 9).every((r) => r.status === 401), statuses);
  assert.ok(tries.slice(10).every((r) => r.status === 429), statuses);
  assert.ok(Number(tries[13].headers.get('retry-after')) >= 1);
});
