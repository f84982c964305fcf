// The HTTP foundation: error format, 404/405, malformed JSON, body limit, request ids, access log,
// graceful shutdown completing an in-flight request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, errorCode, cli } from './harness.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

test('healthz and readyz answer 200', async () => {
  const h = await srv.get('/healthz');
  assert.equal(h.status, 200);
  assert.deepEqual(h.json, { status: 'ok' });
  assert.match(h.headers.get('x-request-id'), /^[0-9A-Z]{26}$/);
  assert.match(h.headers.get('content-type'), /^application\/json/);
  const r = await srv.get('/readyz');
  assert.equal(r.status, 200);
});

test('unknown route is 404 in the error format', async () => {
  const r = await srv.get('/v1/no/such/thing');
  assert.equal(r.status, 404);
  assert.equal(errorCode(r), 'not_found');
});

test('wrong method is 405 with Allow', async () => {
  const r = await srv.req('DELETE', '/healthz');
  assert.equal(r.status, 405);
  assert.equal(errorCode(r), 'method_not_allowed');
  assert.equal(r.headers.get('allow'), 'GET');
});

test('malformed JSON is 400 invalid_request', async () => {
  for (const raw of ['{"a":', 'not json', '[1,2]', '{"a":1,"a":2}', '', '"str"']) {
    const r = await srv.req('POST', '/v1/test/echo', { raw, headers: { 'content-type': 'application/json' } });
    assert.equal(r.status, 400, `body ${JSON.stringify(raw)}`);
    assert.equal(errorCode(r), 'invalid_request');
  }
  const bad = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]); // {"a":"\xff\xfe"}
  const r = await srv.req('POST', '/v1/test/echo', { raw: bad, headers: { 'content-type': 'application/json' } });
  assert.equal(r.status, 400);
  const ok = await srv.post('/v1/test/echo', { a: 'ñandú ✓' });
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.json, { echo: { a: 'ñandú ✓' } });
});

test('a body over 64 KiB is 413, with or without Content-Length', async () => {
  const big = JSON.stringify({ pad: 'x'.repeat(70 * 1024) });
  const r = await srv.req('POST', '/v1/test/echo', { raw: big, headers: { 'content-type': 'application/json' } });
  assert.equal(r.status, 413);
  assert.equal(errorCode(r), 'payload_too_large');
  // chunked upload (no Content-Length): the server counts as it reads
  const chunked = await new Promise((resolve, reject) => {
    const s = net.connect(srv.port, '127.0.0.1');
    let data = '';
    s.on('data', (d) => (data += d));
    s.on('end', () => resolve(data));
    s.on('error', reject);
    s.write('POST /v1/test/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n');
    const chunk = 'x'.repeat(16 * 1024);
    for (let i = 0; i < 5; i++) s.write(chunk.length.toString(16) + '\r\n' + chunk + '\r\n');
    s.end('0\r\n\r\n');
  });
  assert.match(chunked, /^HTTP\/1\.1 413/);
  assert.match(chunked, /payload_too_large/);
  // just under the limit passes
  const fits = JSON.stringify({ pad: 'x'.repeat(60 * 1024) });
  const ok = await srv.req('POST', '/v1/test/echo', { raw: fits, headers: { 'content-type': 'application/json' } });
  assert.equal(ok.status, 200);
});

test('every request leaves one JSON access-log line with its request id', async () => {
  const r = await srv.get('/healthz');
  const id = r.headers.get('x-request-id');
  await new Promise((res) => setTimeout(res, 100));
  const lines = srv.logs.filter((l) => l.includes(id)).map((l) => JSON.parse(l));
  assert.equal(lines.length, 1);
  assert.equal(lines[0].type, 'access');
  assert.equal(lines[0].status, 200);
  assert.equal(lines[0].route, 'ops.healthz');
  assert.equal(typeof lines[0].ms, 'number');
});

test('under concurrent load every access line is whole, appears once, and none is lost at shutdown', async () => {
  const s2 = await startServer();
  const ids = [];
  for (let round = 0; round < 4; round++) {
    const rs = await Promise.all(Array.from({ length: 100 }, (_, i) => s2.get(`/healthz?n=${round}-${i}`)));
    for (const r of rs) ids.push(r.headers.get('x-request-id'));
  }
  await s2.stop(); // the last lines are still buffered just before: the shutdown must write them
  const access = s2.logs.map((l) => JSON.parse(l)).filter((l) => l.type === 'access');
  const seen = new Map();
  for (const l of access) seen.set(l.req_id, (seen.get(l.req_id) || 0) + 1);
  for (const id of ids) assert.equal(seen.get(id), 1, `access line of ${id}`);
  assert.equal(access.length, ids.length);
  // while the server runs, a line shows up within a few milliseconds (the buffer is flushed every 10 ms)
  const r = await srv.get('/healthz');
  const id = r.headers.get('x-request-id');
  await new Promise((res) => setTimeout(res, 60));
  assert.equal(srv.logs.filter((l) => l.includes(id)).length, 1);
});

test('OpenAPI document is served and lists the operations', async () => {
  const r = await srv.get('/v1/openapi.json');
  assert.equal(r.status, 200);
  assert.equal(r.json.openapi.slice(0, 2), '3.');
  assert.ok(r.json.paths['/healthz'].get);
  const etag = r.headers.get('etag');
  const again = await srv.get('/v1/openapi.json', { headers: { 'if-none-match': etag } });
  assert.equal(again.status, 304);
});

test('SIGTERM during a slow request completes it, then the server exits cleanly', async () => {
  const s2 = await startServer();
  const slow = s2.get('/v1/test/sleep?ms=1500');
  await new Promise((res) => setTimeout(res, 300));
  const t0 = Date.now();
  const stopping = s2.stop();
  const r = await slow;
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { slept_ms: 1500 });
  await stopping; // throws if the exit status was not 0
  assert.ok(Date.now() - t0 >= 900, 'the server waited for the request');
  // new connections are refused once draining started
});

test('CLI: version, help and bad usage', async () => {
  const v = await cli(['version', '--json']);
  assert.equal(v.code, 0);
  assert.match(v.json.version, /^\d+\.\d+\.\d+$/);
  const h = await cli(['help', 'serve']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /--listen/);
  const bad = await cli(['serve', '--no-such-flag']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown option/);
  const unknown = await cli(['frobnicate']);
  assert.equal(unknown.code, 2);
  const noargs = await cli([]);
  assert.equal(noargs.code, 2);
  const badlisten = await cli(['serve', '--listen', 'nonsense', '--data', '/tmp/bc-unused']);
  assert.equal(badlisten.code, 1);
  assert.match(badlisten.stderr, /listen/);
});
