// The widget's reads are served from memos (the LMDB store's memo of parsed items, the rendered answers of
// services, providers and config: src/http/rendered.h) and, on DynamoDB, the store's read cache: every change
// must show at the next read when it was made through this server, and one made by another process sharing
// the store at once on LMDB, within the read cache's bound on DynamoDB (harness.mjs: withinCacheBound).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, makeTenant, withinCacheBound, STORE_CACHE_BOUND_MS, PLATFORM_TOKEN, errorCode } from './harness.mjs';

let srv, other, T;
before(async () => {
  srv = await startServer();
  // a second server process on the same data directory (and secret): its writes land in the same LMDB file
  other = await startServer({ dataDir: srv.dataDir });
  T = await makeTenant(srv, { name: 'Fresh', plan: 'PRO' });
});
after(async () => {
  await other.stop();
  await srv.stop();
});

const cfg = async () => (await T.widget('GET', '/v1/widget/config')).json;
const names = async (path) => (await T.widget('GET', path)).json.items.map((s) => `${s.name}:${s.price ?? ''}`);
// after a change by the other process: the names as soon as they show (harness.mjs: withinCacheBound)
const namesAfter = (path, want) => withinCacheBound(() => names(path), (v) => JSON.stringify(v) === JSON.stringify(want));
const viaOther = (method, path, body) =>
  other.req(method, path, { body, headers: { authorization: `Bearer ${T.token}` } });

test('widget config shows each settings change at once, from this server or another process', async () => {
  const first = await cfg();
  assert.deepEqual(await cfg(), first, 'a repeated read answers the same');
  for (const [i, color] of ['#111111', '#222222', '#333333'].entries()) {
    const patch = i === 1 ? viaOther : T.admin;
    const r = await patch('PATCH', '/v1/admin/settings', { widget: { color } });
    assert.equal(r.status, 200, r.text);
    assert.equal((await withinCacheBound(cfg, (c) => c.branding.color === color)).branding.color, color);
    assert.equal((await cfg()).branding.color, color);
  }
  const r = await viaOther('PATCH', '/v1/admin/settings', { business: { name: 'Renamed' } });
  assert.equal(r.status, 200, r.text);
  assert.equal((await withinCacheBound(cfg, (c) => c.business.name === 'Renamed')).business.name, 'Renamed');
  const ai = await T.admin('PUT', '/v1/admin/settings/ai', { mode: 'nlp' });
  assert.equal(ai.status, 200, ai.text);
  assert.equal((await cfg()).ai_mode, 'nlp');
});

test('widget services and providers show creations, changes and removals at once', async () => {
  assert.deepEqual(await names('/v1/widget/services'), []);
  const a = await T.admin('POST', '/v1/admin/services', { name: 'Corte', duration_min: 30, price: 10 });
  assert.equal(a.status, 201, a.text);
  assert.deepEqual(await names('/v1/widget/services'), ['Corte:10']);
  const b = await viaOther('POST', '/v1/admin/services', { name: 'Tinte', duration_min: 60, price: 30 });
  assert.equal(b.status, 201, b.text);
  assert.deepEqual(await namesAfter('/v1/widget/services', ['Corte:10', 'Tinte:30']), ['Corte:10', 'Tinte:30']);
  await T.admin('PATCH', `/v1/admin/services/${a.json.service.id}`, { price: 12 });
  assert.deepEqual(await names('/v1/widget/services'), ['Corte:12', 'Tinte:30']);
  await viaOther('PATCH', `/v1/admin/services/${a.json.service.id}`, { price: 13 });
  assert.deepEqual(await namesAfter('/v1/widget/services', ['Corte:13', 'Tinte:30']), ['Corte:13', 'Tinte:30']);
  await T.admin('PATCH', `/v1/admin/services/${b.json.service.id}`, { active: false });
  assert.deepEqual(await names('/v1/widget/services'), ['Corte:13']);
  const d = await viaOther('DELETE', `/v1/admin/services/${a.json.service.id}`);
  assert.ok(d.status < 300, d.text);
  assert.deepEqual(await namesAfter('/v1/widget/services', []), []);

  const s = await T.admin('POST', '/v1/admin/services', { name: 'Masaje', duration_min: 30 });
  const p = await T.admin('POST', '/v1/admin/providers', { name: 'Ana', service_ids: [s.json.service.id] });
  assert.equal(p.status, 201, p.text);
  assert.deepEqual(await names('/v1/widget/providers'), ['Ana:']);
  await viaOther('PATCH', `/v1/admin/providers/${p.json.provider.id}`, { name: 'Ana María' });
  assert.deepEqual(await namesAfter('/v1/widget/providers', ['Ana María:']), ['Ana María:']);
  assert.deepEqual(await names(`/v1/widget/providers?service_id=${s.json.service.id}`), ['Ana María:']);
});

// Widget GETs are authenticated from their key's record (src/http/key_records.h) while the LMDB store shows
// that neither the key's look-up item nor the tenant's META was written since it was read. Each change below,
// made through this server or by the other process, shows at the very next read; the read before each change
// is checked to have used the record, so the test fails if a record outlives a change. DynamoDB keeps no
// records: there every read resolves the key in full, and a change shows within the read cache's bound.
test('a widget key\'s record never outlives a change to the key or its tenant, made here or by another process', async () => {
  const onLmdb = STORE_CACHE_BOUND_MS === 0;
  const used = async () => {
    const m = await srv.get('/metrics', { headers: { authorization: `Bearer ${PLATFORM_TOKEN}` } });
    const line = m.text.split('\n').find((l) => l.startsWith('bookchat_widget_key_records_used_total '));
    return Number(line.split(' ')[1]);
  };
  const x = await makeTenant(srv, { name: 'Records' });
  // limits no polling read below reaches (on DynamoDB, reads repeat until a change shows)
  const high = await srv.platform('PATCH', `/v1/platform/tenants/${x.id}`, { limits: { rate_per_s: 1000, burst: 1000 } });
  assert.equal(high.status, 200, high.text);
  const k = await x.admin('POST', '/v1/admin/api-keys', { name: 'rec', origins: ['https://one.example.com'] });
  assert.equal(k.status, 201, k.text);
  const key = k.json.api_key.secret, id = k.json.api_key.id;
  const read = (origin = 'https://one.example.com') => x.widget('GET', '/v1/widget/services', { key, origin });
  const viaOtherAs = (method, path, body) =>
    other.req(method, path, { body, headers: { authorization: `Bearer ${x.token}` } });
  // the record in use: a read through it succeeds and is counted (none on DynamoDB)
  const throughRecord = async (origin) => {
    const before = await used();
    const r = await read(origin);
    assert.equal(r.status, 200, r.text);
    assert.equal(await used(), onLmdb ? before + 1 : 0, 'the read was authenticated from the record');
  };
  // the change shows at the next read (DynamoDB: within its bound), which did not use the record
  const refused = async (status, origin) => {
    const before = await used();
    const r = await withinCacheBound(() => read(origin), (v) => v.status === status);
    assert.equal(r.status, status, r.text);
    assert.equal(await used(), before, 'a refused read used no record');
    return r;
  };
  assert.equal((await read()).status, 200);
  await throughRecord();

  // the key's origins, changed here, then by the other process
  let p = await x.admin('PATCH', `/v1/admin/api-keys/${id}`, { origins: ['https://two.example.com'] });
  assert.equal(p.status, 200, p.text);
  assert.equal(errorCode(await refused(403)), 'origin_not_allowed');
  assert.equal((await read('https://two.example.com')).status, 200);
  await throughRecord('https://two.example.com');
  p = await viaOtherAs('PATCH', `/v1/admin/api-keys/${id}`, { origins: ['https://one.example.com'] });
  assert.equal(p.status, 200, p.text);
  await refused(403, 'https://two.example.com');
  assert.equal((await read()).status, 200);
  await throughRecord();

  // the tenant suspended by the other process, then restored here
  let s = await other.platform('PATCH', `/v1/platform/tenants/${x.id}`, { status: 'SUSPENDED' });
  assert.equal(s.status, 200, s.text);
  assert.equal(errorCode(await refused(403)), 'tenant_suspended');
  s = await srv.platform('PATCH', `/v1/platform/tenants/${x.id}`, { status: 'ACTIVE' });
  assert.equal(s.status, 200, s.text);
  assert.equal((await withinCacheBound(() => read(), (v) => v.status === 200)).status, 200);
  await throughRecord();

  // the tenant's request limits lowered here: the next read resolves in full and keeps a record with them;
  // the reads through that record are counted against the new burst
  s = await srv.platform('PATCH', `/v1/platform/tenants/${x.id}`, { limits: { rate_per_s: 1, burst: 3 } });
  assert.equal(s.status, 200, s.text);
  const first = await withinCacheBound(() => read(), (v) => v.headers.get('ratelimit-limit') === '3');
  assert.equal(first.headers.get('ratelimit-limit'), '3');
  if (onLmdb) { /* (on DynamoDB the reads until the change showed took the bucket's tokens) */
    assert.equal(first.status, 200, first.text);
    const before = await used();
    const later = [await read(), await read(), await read()];
    // (the third is refused before authentication, from the key's last full resolution: http/auth.c)
    assert.equal(await used(), before + 2, 'the later reads went through the record');
    assert.deepEqual(later.map((r) => r.status), [200, 200, 429]);
    assert.deepEqual(later.map((r) => r.headers.get('ratelimit-limit')), ['3', '3', '3']);
  }
  s = await srv.platform('PATCH', `/v1/platform/tenants/${x.id}`, { limits: { rate_per_s: 1000, burst: 1000 } });
  assert.equal(s.status, 200, s.text);
  assert.equal((await withinCacheBound(() => read(), (v) => v.status === 200)).status, 200);
  await throughRecord();

  // the key revoked by the other process
  const del = await viaOtherAs('DELETE', `/v1/admin/api-keys/${id}`);
  assert.equal(del.status, 200, del.text);
  assert.equal(errorCode(await refused(401)), 'unauthorized');
});
