// Issue 21: a widget request over its key's limit is refused as soon as its headers arrive, before its
// body is read (no 100 Continue, no body needed), with the same 429 answer and the same usage counts as
// the full check; a GET refused early keeps its connection; a key's last_used_at moves by the documented
// step (an hour), not at every use.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startServer, errorCode, makeTenant } from './harness.mjs';

let srv, A, B;
before(async () => {
  srv = await startServer({ env: { BOOKCHAT_ACCESS_LOG: 'off' } });
  A = await makeTenant(srv, { name: 'Flooder', origins: ['https://flood.example.com'] });
  B = await makeTenant(srv, { name: 'Quiet', origins: ['https://quiet.example.com'] });
  const p = await srv.platform('PATCH', `/v1/platform/tenants/${A.id}`, { limits: { rate_per_s: 1, burst: 2 } });
  assert.equal(p.status, 200, p.text);
});
after(async () => { await srv.stop(); });

// Sends raw bytes on one connection and collects what comes back until `until(text)` or the timeout.
function raw(chunks, { until = (t) => /\r\n\r\n[\s\S]*\}\s*$/.test(t), timeoutMs = 3000, keepOpen = false } = {}) {
  const url = new URL(srv.url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(url.port), url.hostname);
    let text = '', closed = false;
    const timer = setTimeout(() => { sock.destroy(); resolve({ text, closed, timedOut: true }); }, timeoutMs);
    sock.on('error', reject);
    sock.on('data', (d) => {
      text += d.toString('latin1');
      if (until(text) && !keepOpen) { clearTimeout(timer); sock.destroy(); resolve({ text, closed }); }
    });
    sock.on('close', () => { closed = true; clearTimeout(timer); resolve({ text, closed }); });
    sock.on('connect', () => { for (const c of chunks) sock.write(c); });
  });
}

const head = (method, path, key, origin, extra = '') =>
  `${method} ${path} HTTP/1.1\r\nHost: x\r\nX-Api-Key: ${key}\r\nOrigin: ${origin}\r\n${extra}\r\n`;

async function exhaust(t) {
  for (let i = 0; i < 20; i++) {
    const r = await t.widget('GET', '/v1/widget/config');
    if (r.status === 429) return r;
  }
  throw new Error('the bucket never emptied');
}

async function flushUsage() {
  const r = await srv.post('/v1/test/usage/flush', {});
  assert.equal(r.status, 200, r.text);
}

async function usage(t) {
  await flushUsage();
  const r = await t.admin('GET', '/v1/admin/usage');
  assert.equal(r.status, 200, r.text);
  return r.json.usage.totals;
}

test('a POST over the limit gets its 429 from the headers alone: no 100 Continue, no body read', async () => {
  await exhaust(A);
  const big = 60000; // under body_limit (64 KiB): only the limit refuses it
  const r = await raw([head('POST', '/v1/widget/bookings', A.key, A.origin,
    `Content-Type: application/json\r\nContent-Length: ${big}\r\nExpect: 100-continue\r\n`)]);
  assert.ok(!r.timedOut, `no answer without the body: ${r.text}`);
  assert.ok(!/100 Continue/i.test(r.text), 'the server did not ask for the body');
  assert.match(r.text, /^HTTP\/1\.1 429 /);
  assert.match(r.text, /\r\nRetry-After: \d+\r\n/i);
  assert.match(r.text, /\r\nRateLimit-Limit: 2\r\n/i);
  assert.match(r.text, /\r\nAccess-Control-Allow-Origin: https:\/\/flood\.example\.com\r\n/i);
  const body = JSON.parse(r.text.slice(r.text.indexOf('\r\n\r\n') + 4));
  assert.equal(body.error.code, 'rate_limited');
  // without Expect: the answer comes after one byte of the 60,000 declared, and the connection is closed
  // rather than read to its end
  const r2 = await raw([head('POST', '/v1/widget/conversations', A.key, A.origin,
    `Content-Type: application/json\r\nContent-Length: ${big}\r\n`), '{']);
  assert.match(r2.text, /^HTTP\/1\.1 429 /);
  assert.ok(!r2.timedOut);
});

test('a GET refused early keeps its connection alive, and another tenant is served meanwhile', async () => {
  await exhaust(A);
  const two = head('GET', '/v1/widget/config', A.key, A.origin);
  const r = await raw([two, two], { until: (t) => (t.match(/HTTP\/1\.1 429/g) || []).length === 2 && /\}\s*$/.test(t) });
  assert.equal((r.text.match(/HTTP\/1\.1 429 /g) || []).length, 2, r.text);
  assert.ok(!/\r\nConnection: close\r\n/i.test(r.text), 'keep-alive kept');
  const quiet = await Promise.all(Array.from({ length: 10 }, () => B.widget('GET', '/v1/widget/config')));
  assert.deepEqual(quiet.map((x) => x.status), Array(10).fill(200));
});

test('refusals early and late are counted the same: requests, 4xx, rate_limited', async () => {
  const before = await usage(A);
  const res = [];
  for (let i = 0; i < 12; i++) res.push(await A.widget('GET', '/v1/widget/config'));
  const ok = res.filter((r) => r.status === 200).length, limited = res.filter((r) => r.status === 429).length;
  assert.equal(ok + limited, 12);
  for (const r of res.filter((x) => x.status === 429)) assert.equal(errorCode(r), 'rate_limited');
  const after = await usage(A);
  assert.equal(after.requests - before.requests, 12 + 1); // and the first usage read, counted after its flush
  assert.equal(after.errors['4xx'] - before.errors['4xx'], limited);
  assert.equal((after.errors.by_code['4xx'].rate_limited ?? 0) - (before.errors.by_code['4xx'].rate_limited ?? 0), limited);
});

test('a raised limit lets the next request through at once, cached refusals notwithstanding', async () => {
  await exhaust(A);
  const p = await srv.platform('PATCH', `/v1/platform/tenants/${A.id}`, { limits: { rate_per_s: 1000, burst: 1000 } });
  assert.equal(p.status, 200);
  await new Promise((r) => setTimeout(r, 20)); // the old bucket refills at the new rate
  const r = await A.widget('GET', '/v1/widget/config');
  assert.equal(r.status, 200);
  // and a revoked key is refused as unknown at once, not as limited
  await srv.platform('PATCH', `/v1/platform/tenants/${A.id}`, { limits: { rate_per_s: 1, burst: 2 } });
  await exhaust(A);
  const k = await A.admin('POST', '/v1/admin/api-keys', { name: 'second', origins: [A.origin] });
  assert.equal(k.status, 201, k.text);
  const del = await A.admin('DELETE', `/v1/admin/api-keys/${A.keyId}`);
  assert.ok(del.status === 200 || del.status === 204, del.text);
  const gone = await A.widget('GET', '/v1/widget/config');
  assert.equal(gone.status, 401, gone.text);
});

test('a key\'s last_used_at moves by the step of an hour, not at every use', async () => {
  let token = B.token;
  const signIn = async () => { // the test clock moves past the token's life
    const r = await srv.post('/v1/auth/login', { email: B.owner.email, password: B.owner.password });
    assert.equal(r.status, 200, r.text);
    token = r.json.token;
  };
  const keyAt = async () => {
    const r = await srv.get(`/v1/admin/api-keys/${B.keyId}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200, r.text);
    return (r.json.api_key ?? r.json.key ?? r.json).last_used_at;
  };
  const waitFor = async (pred, what) => {
    for (let i = 0; i < 30; i++) {
      const v = await keyAt();
      if (pred(v)) return v;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  const first = await waitFor((v) => typeof v === 'string', 'the first use to be written'); // B was used above
  await srv.post('/v1/test/clock', { advance_s: 1800 });
  await signIn();
  assert.equal((await B.widget('GET', '/v1/widget/config')).status, 200);
  await new Promise((r) => setTimeout(r, 11500)); // a key flush (every 10 s) has run
  assert.equal(await keyAt(), first, 'half an hour later: not written again');
  await srv.post('/v1/test/clock', { advance_s: 1801 });
  await signIn();
  assert.equal((await B.widget('GET', '/v1/widget/config')).status, 200);
  const second = await waitFor((v) => v !== first, 'the use an hour later to be written');
  assert.ok(Date.parse(second) - Date.parse(first) >= 3600 * 1000, `${first} -> ${second}`);
});
