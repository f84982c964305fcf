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

// The client address behind a load balancer (trusted_proxies): the per-visitor bucket of the widget shows
// whose address counts. FREE key: 5/s, burst 20; a visitor's share: 2/s, burst 10.
const burst = (t, xff, n) =>
  Promise.all(Array.from({ length: n }, (_, i) => t.widget('GET', '/v1/widget/config', { headers: { 'x-forwarded-for': typeof xff === 'function' ? xff(i) : xff } })));
const remotes = (s) => s.logs.filter((l) => l.includes('"route":"widget.config"')).map((l) => JSON.parse(l).remote);

test('without trusted_proxies a spoofed X-Forwarded-For changes nothing: the socket address is the visitor', async () => {
  const s = await startServer({ env: { BOOKCHAT_VISITOR_LIMITS: 'on' } });
  try {
    const t = await makeTenant(s, { name: 'Direct' });
    const r = await burst(t, (i) => `203.0.113.${i + 1}`, 30);
    const limited = r.filter((x) => x.status === 429);
    assert.ok(limited.length >= 5, `one bucket for every spoofed address: ${r.map((x) => x.status)}`);
    for (const x of limited) {
      assert.equal(errorCode(x), 'visitor_rate_limited');
      assert.ok(Number(x.headers.get('retry-after')) >= 1);
    }
    await new Promise((res) => setTimeout(res, 300)); // the access lines are written after the answer
    assert.ok(remotes(s).length >= 30 && remotes(s).every((a) => a === '127.0.0.1'), remotes(s).join());
  } finally {
    await s.stop();
  }
});

test('with 127.0.0.1/32 trusted, two forwarded clients get separate buckets; malformed headers are ignored', async () => {
  const s = await startServer({ env: { BOOKCHAT_VISITOR_LIMITS: 'on', BOOKCHAT_TRUSTED_PROXIES: '10.0.0.0/8, 127.0.0.1/32 ::1' } });
  try {
    const t = await makeTenant(s, { name: 'Proxied' });
    const a = await burst(t, '198.51.100.1', 30);
    assert.ok(a.some((x) => x.status === 429 && errorCode(x) === 'visitor_rate_limited'), `${a.map((x) => x.status)}`);
    // another client: its own bucket, served in full
    const b = await burst(t, '198.51.100.2', 5);
    assert.deepEqual(b.map((x) => x.status), Array(5).fill(200));
    // the right-most entry that is not a trusted proxy: the client spoofs the left part, the proxies append
    // (the access log below shows whose address it was)
    const chain = await burst(t, '1.2.3.4, 198.51.100.1, 10.1.2.3', 30);
    assert.ok(chain.some((x) => x.status === 429), `client .1 again, limited: ${chain.map((x) => x.status)}`);
    // IPv6 clients, and a malformed header (then the peer, 127.0.0.1, is the visitor: not limited)
    assert.equal((await burst(t, '2001:db8::7', 1))[0].status, 200);
    assert.equal((await burst(t, '198.51.100.1, not-an-address', 1))[0].status, 200);
    assert.equal((await burst(t, '198.51.100.1:4431', 1))[0].status, 200);
    await new Promise((res) => setTimeout(res, 300));
    const seen = remotes(s);
    for (const addr of ['198.51.100.1', '198.51.100.2', '2001:db8::7', '127.0.0.1']) assert.ok(seen.includes(addr), `${addr} in ${seen}`);
    assert.ok(!seen.includes('1.2.3.4') && !seen.includes('10.1.2.3'), seen.join());
  } finally {
    await s.stop();
  }
});

test('a malformed trusted_proxies refuses to start, naming the entry', async () => {
  for (const [value, why] of [['10.0.0.0/33', /trusted_proxies: '10.0.0.0\/33'/], ['proxy.example.com', /trusted_proxies: 'proxy.example.com'/]]) {
    let s;
    try {
      s = await startServer({ env: { BOOKCHAT_TRUSTED_PROXIES: value } });
    } catch (e) {
      assert.match(e.message, why);
      continue;
    }
    await s.stop();
    assert.fail(`started with trusted_proxies = ${value}`);
  }
});
