// Webhook endpoints (PRODUCT.md section 11): owners and admins create, list, read, change, rotate and delete
// them; the signing secret (whsec_…) is shown once and is never in the data file or the log; URLs must be
// https on public addresses unless the operator sets webhook_allow_private; bad input is a 400 that stores
// nothing; another tenant's ids are 404. Public targets are IP literals (8.8.8.8): the tests have no DNS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, makeTenant, makeUser, dumpTenant, errorCode } from './harness.mjs';

let srv, A, B, viewerA, adminA;
const shown = []; // every secret the API showed, looked for in the data file and the log at the end

before(async () => {
  srv = await startServer({ keepData: true });
  A = await makeTenant(srv, { name: 'Hooks A', origins: ['https://a.example.com'] });
  B = await makeTenant(srv, { name: 'Hooks B', origins: ['https://b.example.com'] });
  viewerA = await makeUser(srv, A, 'viewer');
  adminA = await makeUser(srv, A, 'admin');
});
after(async () => { await srv.stop(); });

const HOOK = { url: 'https://8.8.8.8/bookchat', events: ['booking.created', 'booking.cancelled'] };

function secretBytes(secret) {
  assert.match(secret, /^whsec_[A-Za-z0-9+/]+={0,2}$/);
  return Buffer.from(secret.slice(6), 'base64');
}

test('create shows the secret once; list and get never do', async () => {
  const r = await A.admin('POST', '/v1/admin/webhooks', { ...HOOK, description: 'CRM sync' });
  assert.equal(r.status, 201, r.text);
  const w = r.json.webhook;
  assert.match(w.id, /^[0-9A-Z]{26}$/);
  assert.equal(w.url, HOOK.url);
  assert.deepEqual(w.events, HOOK.events);
  assert.equal(w.description, 'CRM sync');
  assert.equal(w.enabled, true);
  assert.ok(w.created_at);
  assert.ok(secretBytes(w.secret).length >= 24);
  assert.equal(w.secret_box, undefined);
  shown.push(w.secret);
  const list = await A.admin('GET', '/v1/admin/webhooks');
  assert.equal(list.status, 200);
  const mine = list.json.items.find((x) => x.id === w.id);
  assert.ok(mine);
  assert.equal(mine.secret, undefined);
  assert.equal(mine.secret_box, undefined);
  assert.ok(!list.text.includes(w.secret.slice(6)));
  const one = await A.admin('GET', `/v1/admin/webhooks/${w.id}`);
  assert.equal(one.status, 200);
  assert.deepEqual(one.json.webhook, mine);
  assert.ok(!one.text.includes(w.secret.slice(6)));
  // another tenant sees none of it
  const other = await B.admin('GET', '/v1/admin/webhooks');
  assert.deepEqual(other.json.items, []);
  // the creation is audited, without the secret
  const audit = await A.admin('GET', '/v1/admin/audit?limit=20');
  const e = audit.json.items.find((x) => x.action === 'admin.webhooks.create');
  assert.ok(e, audit.text);
  assert.ok(!audit.text.includes(w.secret.slice(6)));
});

test('patch changes fields; rotate_secret shows a new secret once; delete is 204 and then 404', async () => {
  const w = (await adminA.admin('POST', '/v1/admin/webhooks', HOOK)).json.webhook;
  shown.push(w.secret);
  const p = await adminA.admin('PATCH', `/v1/admin/webhooks/${w.id}`, { events: ['usage.limit_reached'], enabled: false, description: 'off for now' });
  assert.equal(p.status, 200, p.text);
  assert.deepEqual(p.json.webhook.events, ['usage.limit_reached']);
  assert.equal(p.json.webhook.enabled, false);
  assert.equal(p.json.webhook.description, 'off for now');
  assert.equal(p.json.webhook.secret, undefined);
  const u = await adminA.admin('PATCH', `/v1/admin/webhooks/${w.id}`, { url: 'https://[2606:4700:4700::1111]:8443/in' });
  assert.equal(u.status, 200, u.text);
  assert.equal(u.json.webhook.url, 'https://[2606:4700:4700::1111]:8443/in');
  const rot = await adminA.admin('PATCH', `/v1/admin/webhooks/${w.id}`, { rotate_secret: true });
  assert.equal(rot.status, 200);
  assert.ok(secretBytes(rot.json.webhook.secret).length >= 24);
  assert.notEqual(rot.json.webhook.secret, w.secret);
  shown.push(rot.json.webhook.secret);
  const after = await adminA.admin('GET', `/v1/admin/webhooks/${w.id}`);
  assert.equal(after.json.webhook.secret, undefined);
  assert.equal(after.json.webhook.enabled, false);
  const del = await adminA.admin('DELETE', `/v1/admin/webhooks/${w.id}`);
  assert.equal(del.status, 204);
  assert.equal((await adminA.admin('GET', `/v1/admin/webhooks/${w.id}`)).status, 404);
  assert.equal((await adminA.admin('DELETE', `/v1/admin/webhooks/${w.id}`)).status, 404);
});

test('viewers are refused every webhook route', async () => {
  const w = (await A.admin('POST', '/v1/admin/webhooks', HOOK)).json.webhook;
  shown.push(w.secret);
  for (const [m, p, body] of [
    ['GET', '/v1/admin/webhooks'], ['POST', '/v1/admin/webhooks', HOOK], ['GET', `/v1/admin/webhooks/${w.id}`],
    ['PATCH', `/v1/admin/webhooks/${w.id}`, { rotate_secret: true }], ['DELETE', `/v1/admin/webhooks/${w.id}`],
  ]) {
    const r = await viewerA.admin(m, p, body);
    assert.equal(r.status, 403, `${m} ${p}: ${r.status} ${r.text}`);
    assert.equal(errorCode(r), 'forbidden');
  }
  assert.equal((await A.admin('GET', `/v1/admin/webhooks/${w.id}`)).json.webhook.enabled, true);
  assert.equal((await srv.get('/v1/admin/webhooks')).status, 401);
});

test('another tenant\'s webhook id is 404 everywhere and nothing changes', async () => {
  const b = await B.admin('POST', '/v1/admin/webhooks', HOOK);
  assert.equal(b.status, 201);
  shown.push(b.json.webhook.secret);
  const before = await dumpTenant(srv, B.id);
  const id = b.json.webhook.id;
  for (const [m, body] of [['GET'], ['PATCH', { enabled: false }], ['PATCH', { rotate_secret: true }], ['PATCH', { url: 'https://127.0.0.1/' }], ['DELETE']]) {
    const r = await A.admin(m, `/v1/admin/webhooks/${id}`, body);
    assert.equal(r.status, 404, `${m}: ${r.status} ${r.text}`);
    assert.equal(errorCode(r), 'not_found');
  }
  for (const hostile of ['..%2F..%2Fx', 'WEBHOOK%23x', '%00', 'x'.repeat(300)]) {
    assert.equal((await A.admin('GET', `/v1/admin/webhooks/${hostile}`)).status, 404, hostile);
  }
  assert.deepEqual(await dumpTenant(srv, B.id), before);
});

test('bad input is a 400 that stores nothing', async () => {
  const before = await dumpTenant(srv, A.id);
  const ev = ['booking.created'];
  const bad = [
    ['http without the setting', { url: 'http://8.8.8.8/hook', events: ev }],
    ['loopback', { url: 'https://127.0.0.1/', events: ev }],
    ['private', { url: 'https://10.0.0.1', events: ev }],
    ['private 192.168', { url: 'https://192.168.1.10:8443/x', events: ev }],
    ['IPv6 loopback', { url: 'https://[::1]/', events: ev }],
    ['IPv4-mapped loopback', { url: 'https://[::ffff:127.0.0.1]/', events: ev }],
    ['NAT64 of the metadata address', { url: 'https://[64:ff9b::a9fe:a9fe]/', events: ev }],
    ['link-local metadata', { url: 'https://169.254.169.254/latest', events: ev }],
    ['localhost', { url: 'https://localhost/', events: ev }],
    ['localhost.', { url: 'https://localhost./', events: ev }],
    ['numeric loopback', { url: 'https://2130706433/', events: ev }],
    ['hex loopback', { url: 'https://0x7f.0.0.1/', events: ev }],
    ['unspecified', { url: 'https://0.0.0.0/', events: ev }],
    ['a name that does not resolve', { url: 'https://no-such-host.invalid/', events: ev }],
    ['userinfo', { url: 'https://a:b@example.com/', events: ev }],
    ['user only', { url: 'https://a@8.8.8.8/', events: ev }],
    ['not a URL', { url: 'hooks.example.com/x', events: ev }],
    ['another scheme', { url: 'ftp://8.8.8.8/', events: ev }],
    ['CR/LF in the URL', { url: 'https://8.8.8.8/\r\nX-Evil: 1', events: ev }],
    ['space in the URL', { url: 'https://8.8.8.8/a b', events: ev }],
    ['oversized URL', { url: 'https://8.8.8.8/' + 'a'.repeat(2040), events: ev }],
    ['unknown event', { url: HOOK.url, events: ['booking.exploded'] }],
    ['empty events', { url: HOOK.url, events: [] }],
    ['duplicate events', { url: HOOK.url, events: ['booking.created', 'booking.created'] }],
    ['event not a string', { url: HOOK.url, events: [7] }],
    ['no events', { url: HOOK.url }],
    ['no url', { events: ev }],
    ['a secret of its own', { ...HOOK, secret: 'whsec_AAAA' }],
    ['control character in the description', { ...HOOK, description: 'a\u0007b' }],
    ['enabled not a boolean', { ...HOOK, enabled: 'yes' }],
  ];
  for (const [label, body] of bad) {
    const r = await A.admin('POST', '/v1/admin/webhooks', body);
    assert.equal(r.status, 400, `${label}: ${r.status} ${r.text}`);
    assert.equal(errorCode(r), 'invalid_request', label);
    assert.ok(r.json.error.message.length > 10, label);
  }
  const auth = { authorization: `Bearer ${A.token}`, 'content-type': 'application/json' };
  for (const raw of ['not json', '{"url":', '[1]', '']) {
    const r = await srv.req('POST', '/v1/admin/webhooks', { raw, headers: auth });
    assert.equal(r.status, 400, `${JSON.stringify(raw)}: ${r.status}`);
  }
  // the same rules on a change, which then changes nothing
  const w = (await A.admin('POST', '/v1/admin/webhooks', HOOK)).json.webhook;
  shown.push(w.secret);
  const mid = await dumpTenant(srv, A.id);
  for (const body of [{ url: 'https://127.0.0.1/' }, { url: 'http://8.8.8.8/' }, { events: [] }, { events: ['nope'] }, {}, { rotate_secret: 'yes' }, { id: 'X' }]) {
    const r = await A.admin('PATCH', `/v1/admin/webhooks/${w.id}`, body);
    assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.status} ${r.text}`);
  }
  assert.deepEqual(await dumpTenant(srv, A.id), mid);
  await A.admin('DELETE', `/v1/admin/webhooks/${w.id}`);
  assert.deepEqual((await dumpTenant(srv, A.id)).filter((i) => i.SK.startsWith('WEBHOOK#')), before.filter((i) => i.SK.startsWith('WEBHOOK#')));
});

test('at most 10 webhooks per business', async () => {
  const C = await makeTenant(srv, { name: 'Hooks C', origins: ['https://c.example.com'] });
  for (let i = 0; i < 10; i++) {
    const r = await C.admin('POST', '/v1/admin/webhooks', { url: `https://8.8.8.8/h${i}`, events: ['booking.created'] });
    assert.equal(r.status, 201, r.text);
    shown.push(r.json.webhook.secret);
  }
  const r = await C.admin('POST', '/v1/admin/webhooks', HOOK);
  assert.equal(r.status, 409);
  assert.match(r.json.error.message, /at most 10/);
  assert.equal((await C.admin('GET', '/v1/admin/webhooks')).json.items.length, 10);
});

test('no webhook secret is in the data file or the server log', async () => {
  assert.ok(shown.length >= 10);
  await new Promise((r) => setTimeout(r, 100));
  // LMDB: the data file itself; DynamoDB (the dynalite run): the tenants' items as the table holds them
  const file = join(srv.dataDir, 'data.mdb');
  const items = async (t) => JSON.stringify((await srv.get(`/v1/test/items?pk=${encodeURIComponent('TENANT#' + t.id)}`)).json.items);
  const db = existsSync(file) ? readFileSync(file) : Buffer.from((await items(A)) + (await items(B)));
  const log = srv.logs.join('\n');
  for (const s of shown) {
    assert.equal(db.indexOf(Buffer.from(s)), -1, `${s.slice(0, 8)}… in data.mdb`);
    assert.equal(db.indexOf(Buffer.from(s.slice(6))), -1, `the base64 of ${s.slice(0, 8)}… in data.mdb`);
    assert.equal(db.indexOf(secretBytes(s)), -1, `the raw bytes of ${s.slice(0, 8)}… in data.mdb`);
    assert.ok(!log.includes(s.slice(6)), `${s.slice(0, 8)}… in the log`);
  }
  // the sealed form is there
  assert.ok(db.indexOf(Buffer.from('secret_box')) >= 0);
});

test('with webhook_allow_private the operator may point webhooks at private http targets', async () => {
  const p = await startServer({ env: { BOOKCHAT_WEBHOOK_ALLOW_PRIVATE: 'true' } });
  try {
    const T = await makeTenant(p, { name: 'Private', origins: ['https://p.example.com'] });
    for (const url of ['http://127.0.0.1:9/hook', 'https://10.0.0.1/x', 'http://localhost:8080/', 'https://[::1]/']) {
      const r = await T.admin('POST', '/v1/admin/webhooks', { url, events: ['booking.created'] });
      assert.equal(r.status, 201, `${url}: ${r.text}`);
    }
    // the other rules still hold
    for (const url of ['http://u:p@127.0.0.1/', 'ftp://127.0.0.1/', 'http://127.0.0.1/\nX']) {
      const r = await T.admin('POST', '/v1/admin/webhooks', { url, events: ['booking.created'] });
      assert.equal(r.status, 400, url);
    }
  } finally {
    await p.stop();
  }
});
