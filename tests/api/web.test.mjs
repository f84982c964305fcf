// The web pages and assets as HTTP sees them: content types, gzip, ETag and 304, cache policy per kind,
// the pages' Content-Security-Policy, directory redirects; /healthz readable from any origin; the widget
// API from a page of this server (a same-origin GET carries no Origin header); the widget config's public
// business details.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { startServer, errorCode, makeTenant } from './harness.mjs';

let srv;
before(async () => {
  srv = await startServer();
});
after(async () => {
  await srv.stop();
});

// A raw request (no automatic decompression), resolving {status, headers, body: Buffer}.
function raw(method, path, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = request(srv.url + path, { method, headers }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('pages: HTML, no-cache, strict CSP, gzip with Vary, and the same bytes either way', async () => {
  for (const path of ['/', '/demo/']) {
    const plain = await raw('GET', path);
    assert.equal(plain.status, 200, path);
    assert.equal(plain.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(plain.headers['cache-control'], 'no-cache');
    const csp = plain.headers['content-security-policy'];
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /style-src 'self'(;|$)/);
    assert.match(csp, /object-src 'none'/);
    assert.match(csp, /frame-ancestors 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(plain.headers['x-content-type-options'], 'nosniff');
    assert.equal(plain.headers['referrer-policy'], 'no-referrer');
    assert.equal(plain.headers['content-encoding'], undefined);
    const gz = await raw('GET', path, { 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gz.headers.vary, 'Accept-Encoding');
    assert.ok(gz.body.length < plain.body.length);
    assert.deepEqual(gunzipSync(gz.body), plain.body);
    assert.notEqual(gz.headers.etag, plain.headers.etag, 'two representations, two entity tags');
    // no inline script or style for the CSP to block
    const html = plain.body.toString();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/);
    assert.doesNotMatch(html, /<style|\sstyle="/);
  }
});

test('the files a page loads have hashed names, the right types, and are cached for a year', async () => {
  const html = (await raw('GET', '/demo/')).body.toString();
  const refs = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
  assert.ok(refs.some((r) => r.endsWith('.js')) && refs.some((r) => r.endsWith('.css')) && refs.some((r) => r.endsWith('.svg')), refs.join(' '));
  const types = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml' };
  for (const ref of refs) {
    assert.match(ref, /-[A-Z0-9]{8,}\.(js|css|svg)$/, 'a content hash in the name');
    const r = await raw('GET', ref, { 'accept-encoding': 'gzip' });
    assert.equal(r.status, 200, ref);
    assert.equal(r.headers['content-type'], types[ref.split('.').pop()]);
    assert.equal(r.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(r.headers['access-control-allow-origin'], '*');
    assert.equal(r.headers['content-security-policy'], undefined, 'CSP is for pages');
  }
  assert.equal((await raw('GET', '/assets/nope-ABCDEFGH.js')).status, 404);
});

test('ETag and If-None-Match: 304 for either copy, weak or in a list; a changed tag gets the file', async () => {
  for (const path of ['/widget.js', '/demo/', '/v1/openapi.json']) {
    const a = await raw('GET', path);
    const g = await raw('GET', path, { 'accept-encoding': 'gzip' });
    assert.match(a.headers.etag, /^"[0-9a-f]{16}"$/);
    for (const inm of [a.headers.etag, g.headers.etag, `W/${a.headers.etag}`, `"nope", ${g.headers.etag}`, '*']) {
      const r = await raw('GET', path, { 'if-none-match': inm, 'accept-encoding': 'gzip' });
      assert.equal(r.status, 304, `${path} with ${inm}`);
      assert.equal(r.body.length, 0);
      assert.equal(r.headers.etag, g.headers.etag);
      assert.ok(r.headers['cache-control']);
    }
    assert.equal((await raw('GET', path, { 'if-none-match': '"0000000000000000"' })).status, 200);
  }
});

test('widget.js: a stable URL with a short cache, loadable and readable from any site', async () => {
  const r = await raw('GET', '/widget.js', { 'accept-encoding': 'gzip' });
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(r.headers['cache-control'], 'public, max-age=300');
  assert.equal(r.headers['access-control-allow-origin'], '*');
  assert.equal(r.headers['cross-origin-resource-policy'], 'cross-origin');
  assert.ok(r.body.length < 25 * 1024, `${r.body.length} bytes gzipped`);
  const head = await raw('HEAD', '/widget.js');
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  assert.equal(head.headers.etag, (await raw('GET', '/widget.js')).headers.etag);
  const doc = await raw('GET', '/v1/openapi.json', { 'accept-encoding': 'gzip' });
  assert.equal(doc.headers['content-encoding'], 'gzip');
  assert.equal(JSON.parse(gunzipSync(doc.body)).openapi, '3.0.3');
});

test('directories redirect to their index and keep the query; unknown pages are 404', async () => {
  const r = await raw('GET', '/demo?key=pk_live_a%20b&x');
  assert.equal(r.status, 308);
  assert.equal(r.headers.location, '/demo/?key=pk_live_a%20b&x');
  assert.equal((await raw('GET', '/demo')).headers.location, '/demo/');
  const nf = await srv.get('/demo/nope.html');
  assert.equal(nf.status, 404);
  assert.equal(errorCode(nf), 'not_found');
  assert.equal((await srv.get('/nope/')).status, 404);
  const post = await srv.post('/demo/', {});
  assert.equal(post.status, 405);
  assert.equal((await srv.post('/v1/unknown', {})).status, 404, 'unknown API paths stay 404');
});

test('/healthz is readable from any origin', async () => {
  const r = await srv.get('/healthz', { headers: { origin: 'https://anywhere.example' } });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('access-control-allow-origin'), '*');
});

test('the widget API from a page of this server: a same-origin GET has no Origin header', async () => {
  const own = await makeTenant(srv, { name: 'Own', origins: [srv.url] });
  const other = await makeTenant(srv, { name: 'Other', origins: ['https://shop.example.com'] });
  const get = (t, headers) => srv.get('/v1/widget/config', { headers: { 'x-api-key': t.key, ...headers } });
  assert.equal((await get(own, { 'sec-fetch-site': 'same-origin' })).status, 200);
  // a key that does not allow this server's origin, or a request that is not same-origin, is refused
  assert.equal(errorCode(await get(other, { 'sec-fetch-site': 'same-origin' })), 'origin_not_allowed');
  assert.equal(errorCode(await get(own, {})), 'origin_not_allowed');
  assert.equal(errorCode(await get(own, { 'sec-fetch-site': 'cross-site' })), 'origin_not_allowed');
  assert.equal(errorCode(await get(own, { 'sec-fetch-site': 'same-site' })), 'origin_not_allowed');
  // an Origin header, when there is one, is what counts
  assert.equal(errorCode(await get(own, { 'sec-fetch-site': 'same-origin', origin: 'https://evil.example' })), 'origin_not_allowed');
});

test('the widget config carries the public business details', async () => {
  const t = await makeTenant(srv, { name: 'Clínica Uno', origins: ['https://uno.example.com'] });
  await t.admin('PATCH', '/v1/admin/settings', { business: { address: 'Calle Mayor 1', phone: '+34 600 000 000' }, widget: { color: '#0f766e', position: 'left' } });
  const r = await t.widget('GET', '/v1/widget/config');
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.business, { name: 'Clínica Uno', address: 'Calle Mayor 1', phone: '+34 600 000 000' });
  assert.equal(r.json.branding.color, '#0f766e');
  assert.equal(r.json.branding.position, 'left');
  assert.equal(r.headers.get('access-control-allow-origin'), 'https://uno.example.com');
});
