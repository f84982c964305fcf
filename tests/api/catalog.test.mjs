// The catalogue: services and professionals (admin CRUD with validation, the plan's professional limit
// even under concurrent creation, and the widget's public lists).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, errorCode, makeTenant, dumpTenant } from './harness.mjs';

let srv, T;
before(async () => {
  srv = await startServer();
  T = await makeTenant(srv, { name: 'Salon', plan: 'PRO' });
});
after(async () => { await srv.stop(); });

test('services: create, read, change, list in display order on the widget', async () => {
  const a = await T.admin('POST', '/v1/admin/services', { name: 'Corte de pelo', duration_min: 30, price: 18.5, currency: 'EUR', order: 2, synonyms: ['corte', 'cortar el pelo'] });
  assert.equal(a.status, 201, a.text);
  assert.equal(a.json.service.active, true);
  assert.equal(a.json.service.buffer_before_min, 0);
  const b = await T.admin('POST', '/v1/admin/services', { name: 'Tinte', duration_min: 90, buffer_after_min: 15, order: 1 });
  const hidden = await T.admin('POST', '/v1/admin/services', { name: 'Hidden', duration_min: 10, active: false });
  const p = await T.admin('PATCH', `/v1/admin/services/${a.json.service.id}`, { price: 20 });
  assert.equal(p.json.service.price, 20);
  assert.equal(p.json.service.name, 'Corte de pelo');
  const w = await T.widget('GET', '/v1/widget/services');
  assert.deepEqual(w.json.items.map((s) => s.name), ['Tinte', 'Corte de pelo']);
  assert.equal(w.json.items[0].synonyms, undefined, 'only public fields');
  assert.ok(hidden.status === 201 && b.status === 201);
  const list = await T.admin('GET', '/v1/admin/services?limit=2');
  assert.equal(list.json.items.length, 2);
  assert.ok(list.json.next_cursor);
  const rest = await T.admin('GET', `/v1/admin/services?limit=2&cursor=${encodeURIComponent(list.json.next_cursor)}`);
  assert.equal(rest.json.items.length, 1);
  assert.equal(rest.json.next_cursor, null);
});

test('bad service input is 400 and writes nothing', async () => {
  const before = await dumpTenant(srv, T.id);
  for (const body of [{}, { name: 'x' }, { duration_min: 30 }, { name: 'x', duration_min: 1 }, { name: 'x', duration_min: 30, price: -1 },
    { name: 'x', duration_min: 30, currency: 'euro' }, { name: 'x', duration_min: '30' }, { name: 'x', duration_min: 30, color: 'red' },
    { name: '', duration_min: 30 }, { name: 'x', duration_min: 30, synonyms: [1] }, { name: 'x'.repeat(121), duration_min: 30 },
    { name: 'x', duration_min: 30.5 }, { name: 'x', duration_min: 1e300 }]) {
    const r = await T.admin('POST', '/v1/admin/services', body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(errorCode(r), 'invalid_request');
  }
  const bad = await T.admin('PATCH', '/v1/admin/services/01ZZZZZZZZZZZZZZZZZZZZZZZZ', { price: 1 });
  assert.equal(bad.status, 404);
  const weird = await T.admin('GET', '/v1/admin/services/..%23META');
  assert.equal(weird.status, 404);
  assert.deepEqual(await dumpTenant(srv, T.id), before);
});

test('professionals: services must exist, the time zone must be real, the widget filters by service', async () => {
  const svc = (await T.admin('GET', '/v1/admin/services')).json.items;
  const corte = svc.find((s) => s.name === 'Corte de pelo');
  const tinte = svc.find((s) => s.name === 'Tinte');
  const ana = await T.admin('POST', '/v1/admin/providers', { name: 'Ana', service_ids: [corte.id, tinte.id] });
  assert.equal(ana.status, 201, ana.text);
  assert.equal(ana.json.provider.timezone, 'Europe/Madrid');
  const luis = await T.admin('POST', '/v1/admin/providers', { name: 'Luis', service_ids: [corte.id], timezone: 'Atlantic/Canary' });
  assert.equal(luis.status, 201);
  assert.equal((await T.admin('POST', '/v1/admin/providers', { name: 'X', service_ids: ['01ZZZZZZZZZZZZZZZZZZZZZZZZ'] })).status, 400);
  assert.equal((await T.admin('POST', '/v1/admin/providers', { name: 'X', service_ids: [corte.id, corte.id] })).status, 400);
  assert.equal((await T.admin('POST', '/v1/admin/providers', { name: 'X', timezone: 'Europe/Atlantis' })).status, 400);
  const forTinte = await T.widget('GET', `/v1/widget/providers?service_id=${tinte.id}`);
  assert.deepEqual(forTinte.json.items.map((p) => p.name), ['Ana']);
  const all = await T.widget('GET', '/v1/widget/providers');
  assert.deepEqual(all.json.items.map((p) => p.name).sort(), ['Ana', 'Luis']);
  assert.equal((await T.widget('GET', '/v1/widget/providers?service_id=01ZZZZZZZZZZZZZZZZZZZZZZZZ')).status, 404);
  // deleting a service removes it from the professionals who offered it
  assert.equal((await T.admin('DELETE', `/v1/admin/services/${tinte.id}`)).status, 204);
  const a2 = await T.admin('GET', `/v1/admin/providers/${ana.json.provider.id}`);
  assert.deepEqual(a2.json.provider.service_ids, [corte.id]);
});

test('the plan\'s professional limit is 409 plan_limit_exceeded, also under concurrent creation', async () => {
  const F = await makeTenant(srv, { name: 'Free', plan: 'FREE' });
  assert.equal((await F.admin('POST', '/v1/admin/providers', { name: 'One' })).status, 201);
  const r = await F.admin('POST', '/v1/admin/providers', { name: 'Two' });
  assert.equal(r.status, 409);
  assert.equal(errorCode(r), 'plan_limit_exceeded');
  // PRO allows 3: 10 concurrent creations from an empty tenant give exactly 3
  const P = await makeTenant(srv, { name: 'Race', plan: 'PRO' });
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => P.admin('POST', '/v1/admin/providers', { name: `P${i}` })));
  assert.equal(results.filter((x) => x.status === 201).length, 3, results.map((x) => x.status).join());
  assert.ok(results.filter((x) => x.status !== 201).every((x) => x.status === 409));
  // deleting one frees a place
  const list = (await P.admin('GET', '/v1/admin/providers')).json.items;
  assert.equal(list.length, 3);
  assert.equal((await P.admin('DELETE', `/v1/admin/providers/${list[0].id}`)).status, 204);
  assert.equal((await P.admin('POST', '/v1/admin/providers', { name: 'Again' })).status, 201);
  assert.equal((await P.admin('POST', '/v1/admin/providers', { name: 'Too many' })).status, 409);
  // raising the limit at run time lets the next one through
  await srv.platform('PATCH', `/v1/platform/tenants/${P.id}`, { limits: { providers: 4 } });
  assert.equal((await P.admin('POST', '/v1/admin/providers', { name: 'Fourth' })).status, 201);
});
