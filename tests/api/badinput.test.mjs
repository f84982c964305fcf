// The bad-input sweep: every operation of the served OpenAPI document that takes a body gets malformed JSON,
// non-objects, invalid UTF-8, wrong types, huge numbers, overlong strings, missing and unexpected fields;
// list operations get bad paging and dates. Each answer must be a 4xx in the documented error format, and
// the tenant's data must be byte-for-byte unchanged afterwards. New endpoints are covered the day they are
// documented.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, makeTenant, dumpTenant, PLATFORM_TOKEN } from './harness.mjs';

const NOW = Date.UTC(2026, 10, 30, 8, 0, 0) / 1000;
let srv, A, ids, routes, doc;

before(async () => {
  srv = await startServer({ env: { BOOKCHAT_TEST_NOW: String(NOW), BOOKCHAT_ACCESS_LOG: 'off' } });
  A = await makeTenant(srv, { name: 'Sweep', plan: 'ENTERPRISE', timezone: 'Europe/Madrid' });
  await srv.platform('PATCH', `/v1/platform/tenants/${A.id}`, { limits: { rate_per_s: 100000, burst: 100000 } });
  const svc = (await A.admin('POST', '/v1/admin/services', { name: 'Corte', duration_min: 30 })).json.service.id;
  const pro = (await A.admin('POST', '/v1/admin/providers', { name: 'Ana', service_ids: [svc] })).json.provider.id;
  await A.admin('PUT', `/v1/admin/providers/${pro}/availability`, { weekly: [{ weekday: 2, start: '09:00', end: '13:00' }] });
  const exc = (await A.admin('POST', '/v1/admin/exceptions', { from: '2027-01-01', to: '2027-01-01', kind: 'closed' })).json.exception.id;
  const b = (await A.widget('POST', '/v1/widget/bookings', { body: { service_id: svc, provider_id: pro, start: '2026-12-01T09:00:00+01:00', customer: { name: 'X', email: 'x@example.com' } } })).json.booking;
  const user = (await A.admin('POST', '/v1/admin/users', { email: 'v@example.com', role: 'viewer' })).json.user.id;
  const conv = (await A.widget('POST', '/v1/widget/conversations', { body: {} })).json.conversation;
  const hook = (await A.admin('POST', '/v1/admin/webhooks', { url: 'https://8.8.8.8/hook', events: ['booking.created'] })).json.webhook.id;
  ids = { services: svc, providers: pro, exceptions: exc, bookings: b.id, code: b.code, users: user, 'api-keys': A.keyId,
    conversations: conv.id, webhooks: hook, tenants: A.id, plans: 'FREE' };
  A.convToken = conv.token;
  doc = (await srv.get('/v1/openapi.json')).json;
  routes = [];
  for (const [path, ops] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(ops)) routes.push({ path, method: method.toUpperCase(), op, sec: (op.security || []).map((s) => Object.keys(s)[0]) });
});
after(async () => { await srv.stop(); });

function fill(path) {
  return path.replace(/\/([a-z-]+)\/\{(id|name)\}/g, (m, res) => `/${res}/${ids[res]}`).replace('{code}', ids.code);
}

function headersFor(r) {
  const h = { 'content-type': 'application/json' };
  if (r.sec.includes('bearerJwt')) h.authorization = `Bearer ${A.token}`;
  if (r.sec.includes('platformToken')) h.authorization = `Bearer ${PLATFORM_TOKEN}`;
  if (r.sec.includes('apiKey')) Object.assign(h, { 'x-api-key': A.key, origin: A.origin, 'x-conversation-token': A.convToken });
  return h;
}

function resolve(schema) {
  if (schema && schema.$ref) return resolve(doc.components.schemas[schema.$ref.split('/').pop()]);
  return schema || {};
}

function badBodies(schema) {
  const s = resolve(schema);
  const props = s.properties || {};
  const out = [
    ['malformed JSON', '{"a":'], ['truncated', '{"name":"x"'], ['array', '[1,2]'], ['string', '"x"'], ['number', '42'],
    ['null', 'null'], ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d])],
    ['unexpected field', JSON.stringify({ zz_unexpected: 1 })], ['deeply nested', '['.repeat(5000) + ']'.repeat(5000)],
    ['duplicate keys', '{"a":1,"a":2}'],
  ];
  if ((s.required || []).length) out.push(['missing required', '{}']);
  for (const [name, p0] of Object.entries(props)) {
    const p = resolve(p0);
    const t = p.type;
    const wrong = t === 'string' ? 12345 : t === 'integer' || t === 'number' ? 'not-a-number' : t === 'array' ? { x: 1 } : t === 'object' ? [1] : t === 'boolean' ? 'yes' : null;
    if (wrong !== null) out.push([`wrong type for ${name}`, JSON.stringify({ [name]: wrong })]);
    if (t === 'integer' || t === 'number') {
      out.push([`huge ${name}`, `{"${name}": 1e400}`]);
      out.push([`int overflow ${name}`, `{"${name}": 99999999999999999999999}`]);
      out.push([`negative ${name}`, JSON.stringify({ [name]: -1e15 })]);
    }
    if (t === 'string') out.push([`overlong ${name}`, JSON.stringify({ [name]: 'x'.repeat(20000) })]);
    if (t === 'array') out.push([`huge array ${name}`, JSON.stringify({ [name]: Array(5000).fill('x') })]);
  }
  out.push(['over the body limit', JSON.stringify({ pad: 'x'.repeat(70000) })]);
  return out;
}

async function expect4xx(r, label, res) {
  assert.ok(res.status >= 400 && res.status < 500, `${r.method} ${r.path} — ${label}: ${res.status} ${res.text.slice(0, 200)}`);
  assert.ok(res.json && res.json.error && typeof res.json.error.code === 'string' && typeof res.json.error.message === 'string',
    `${r.method} ${r.path} — ${label}: not the error format: ${res.text.slice(0, 200)}`);
}

test('every operation with a body refuses bad bodies with a 4xx in the error format, changing nothing', async () => {
  const before = await dumpTenant(srv, A.id);
  const platformBefore = (await srv.platform('GET', '/v1/platform/tenants?limit=1000')).json.items.length;
  let checked = 0;
  for (const r of routes) {
    const schema = r.op.requestBody?.content?.['application/json']?.schema;
    if (!schema || r.path === '/v1/test/echo') continue;
    for (const [label, raw] of badBodies(schema)) {
      const res = await srv.req(r.method, fill(r.path), { raw, headers: headersFor(r) });
      await expect4xx(r, label, res);
      checked++;
    }
  }
  assert.ok(checked > 300, `only ${checked} cases`);
  const after = await dumpTenant(srv, A.id);
  assert.deepEqual(after, before, 'the tenant\'s items changed');
  assert.equal((await srv.platform('GET', '/v1/platform/tenants?limit=1000')).json.items.length, platformBefore);
});

test('list and query operations refuse bad paging, dates and ids', async () => {
  const before = await dumpTenant(srv, A.id);
  const queries = ['limit=abc', 'limit=0', 'limit=1001', 'limit=1e3', 'limit=-5', 'cursor=', 'cursor=%FF%FE', 'cursor=' + 'A'.repeat(700),
    'from=2026-13-01', 'from=yesterday', 'to=2026-02-30', 'service_id=%00', 'tz=Mars%2FOlympus'];
  let checked = 0;
  for (const r of routes.filter((x) => x.method === 'GET' && (x.op.parameters || []).some((p) => p.in === 'query'))) {
    const names = (r.op.parameters || []).filter((p) => p.in === 'query').map((p) => p.name);
    for (const q of queries) {
      const name = q.split('=')[0];
      if (!names.includes(name)) continue;
      const extra = r.path.includes('availability') && name !== 'service_id' ? `&service_id=${ids.services}&from=2026-12-01&to=2026-12-02` : '';
      const res = await srv.req('GET', `${fill(r.path)}?${q}${extra.replace(`&${name}=`, '&x=')}`, { headers: headersFor(r) });
      await expect4xx(r, q, res);
      checked++;
    }
  }
  assert.ok(checked >= 20, `only ${checked} cases`);
  assert.deepEqual(await dumpTenant(srv, A.id), before);
});

test('hostile ids in paths are not found, never an error of the server', async () => {
  const hostile = ['..%2F..%2Fetc%2Fpasswd', '%00', 'A'.repeat(300), 'x%23SK', '%F0%9F%92%A9', '01ZZZZZZZZZZZZZZZZZZZZZZZZ', 'TENANT%23x'];
  for (const r of routes.filter((x) => x.path.includes('{'))) {
    for (const h of hostile) {
      const path = r.path.replace(/\{[a-z]+\}/g, h);
      const res = await srv.req(r.method, path, { body: r.method === 'GET' || r.method === 'DELETE' ? undefined : {}, headers: headersFor(r) });
      assert.ok(res.status >= 400 && res.status < 500, `${r.method} ${path}: ${res.status}`);
    }
  }
});
