// The widget's reads are served from memos (the LMDB store's memo of parsed items, the rendered answers of
// services, providers and config: src/http/rendered.h) and, on DynamoDB, the store's read cache: every change
// must show at the next read when it was made through this server, and one made by another process sharing
// the store at once on LMDB, within the read cache's bound on DynamoDB (harness.mjs: withinCacheBound).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, makeTenant, withinCacheBound } from './harness.mjs';

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
