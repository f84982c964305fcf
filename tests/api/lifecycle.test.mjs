// Tenant lifecycle end to end: onboarding with sample data, export → import into a fresh store (the same
// items, hashes included; re-issued keys take bookings, old keys fail), migration to another store (and one
// killed half-way that resumes), soft delete → refused at once → restore → purge (nothing left), the
// deleted-tenant reaper after the retention period, and `serve --demo`. The suite's store is whatever it is
// given (LMDB, or DynamoDB in make api-dynamo); imports and migrations go to fresh LMDB directories.
// The clock starts on Monday 2026-11-30 at 09:00 in Madrid.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BIN, cli, startServer, Server, makeTenant, dumpTenant, errorCode, tempDir, withinCacheBound } from './harness.mjs';
import { startDynalite, FAKE_AWS_ENV } from '../store/with-dynalite.mjs';

const NOW = Date.UTC(2026, 10, 30, 8, 0, 0) / 1000;
const env = { BOOKCHAT_TEST_NOW: String(NOW) };
let srv, src;

before(async () => {
  srv = await startServer({ env });
  src = ['--data', srv.dataDir]; // the server's store for the CLI (DynamoDB runs take BOOKCHAT_STORE)
});
after(async () => { await srv.stop(); });

const run = (args, extraEnv = {}) => cli([...args, ...src], { env: { ...env, ...extraEnv } });
const fresh = () => {
  const dir = tempDir('bc-dst');
  return { dir, url: `lmdb:${dir}`, args: ['--store', `lmdb:${dir}`, '--data', dir] };
};
const customer = { name: 'Lucía Gómez', email: 'lucia@example.com', phone: '+34 600 123 456' };
const byKey = (a, b) => (a.PK + '\u0000' + a.SK < b.PK + '\u0000' + b.SK ? -1 : 1);
// last_used_at and the usage counters (USAGE#…, USAGERPM#…) are written by the server's housekeeping at any
// moment (a usage flush may land between two exports); they are not what these tests compare
const comparable = (items) =>
  items.filter((i) => !i.SK.startsWith('USAGE')).map(({ last_used_at, ...rest }) => rest).sort(byKey);
const linesOf = (file) => readFileSync(file, 'utf8').trimEnd().split('\n');

async function raiseLimits(s, t) {
  const r = await s.platform('PATCH', `/v1/platform/tenants/${t.id}`, { limits: { rate_per_s: 100000, burst: 100000 } });
  assert.equal(r.status, 200, r.text);
}

// Books the first free slot of the tenant's first service on 2026-12-01 (a Tuesday) with a widget caller.
async function bookOne(widget, nth = 0) {
  const svc = (await widget('GET', '/v1/widget/services')).json.items[0];
  const av = await widget('GET', `/v1/widget/availability?service_id=${svc.id}&provider_id=any&from=2026-12-01&to=2026-12-02`);
  assert.equal(av.status, 200, av.text);
  const slot = av.json.slots[nth * 2];
  const r = await widget('POST', '/v1/widget/bookings', { body: { service_id: svc.id, provider_id: slot.provider_id, start: slot.start, customer } });
  assert.equal(r.status, 201, r.text);
  return r.json.booking;
}

// Exports a tenant from a store (CLI args) and returns {header, items} (items parsed, in file order).
async function exportOf(id, args, extraEnv = {}) {
  const file = join(tempDir('bc-exp'), 'tenant.jsonl');
  const r = await cli(['tenant', 'export', id, '-o', file, ...args], { env: { ...env, ...extraEnv } });
  assert.equal(r.code, 0, r.stderr);
  const lines = linesOf(file);
  return { file, lines, header: JSON.parse(lines[0]), items: lines.slice(1).map((l) => JSON.parse(l)) };
}

// The destination of a migration holds the source's partition: every item the same, except META (status,
// version, times) and the API key records (the old ones retired without their hashes, new ones added).
function assertMigrated(before, after, tenantId, newKeys) {
  const pk = `TENANT#${tenantId}`;
  const plain = (items) => comparable(items.filter((i) => i.PK === pk && i.SK !== 'META' && !i.SK.startsWith('APIKEY#')));
  assert.deepEqual(plain(after), plain(before));
  const oldKeys = before.filter((i) => i.PK === pk && i.SK.startsWith('APIKEY#'));
  const keysAfter = after.filter((i) => i.PK === pk && i.SK.startsWith('APIKEY#'));
  assert.equal(keysAfter.length, oldKeys.length + newKeys.length);
  for (const k of oldKeys) {
    const copy = keysAfter.find((x) => x.SK === k.SK);
    assert.equal(copy.status, 'revoked');
    assert.equal(copy.hash, undefined, 'an old key hash must not reach the destination');
  }
  for (const k of newKeys) assert.ok(keysAfter.find((x) => x.id === k.id && x.status === 'active' && x.hash));
  assert.ok(!after.some((i) => i.PK.startsWith('APIKEY#') && oldKeys.some((k) => i.PK === `APIKEY#${k.hash}`)));
  const meta = after.find((i) => i.PK === pk && i.SK === 'META');
  // a status change also writes status_at and deleted_at (null)
  const { status, status_at, updated_at, version, deleted_at, ...rest } = meta;
  const m0 = before.find((i) => i.PK === pk && i.SK === 'META');
  const { status: s0, status_at: sa0, updated_at: u0, version: v0, deleted_at: d0, ...rest0 } = m0;
  assert.equal(deleted_at ?? null, d0 ?? null);
  assert.deepEqual(rest, rest0);
  assert.equal(status, 'ACTIVE');
}

test('a new tenant gets sample data in its language and takes a booking at once', async () => {
  for (const [locale, service, pro, hours] of [
    ['es', 'Consulta', 'Profesional de ejemplo', 10],
    ['en', 'Consultation', 'Sample professional', 5],
  ]) {
    const t = await makeTenant(srv, { name: `Sample ${locale}`, locale, timezone: 'Europe/Madrid', empty: false });
    const svcs = (await t.widget('GET', '/v1/widget/services')).json.items;
    assert.deepEqual(svcs.map((s) => s.name), [service]);
    const pros = (await t.widget('GET', `/v1/widget/providers?service_id=${svcs[0].id}`)).json.items;
    assert.deepEqual(pros.map((p) => p.name), [pro]);
    const h = await t.admin('GET', `/v1/admin/providers/${pros[0].id}/availability`);
    assert.equal(h.status, 200, h.text);
    assert.equal(h.json.weekly.length, hours);
    assert.deepEqual([...new Set(h.json.weekly.map((r) => r.weekday))], [1, 2, 3, 4, 5]);
    const sat = await t.widget('GET', `/v1/widget/availability?service_id=${svcs[0].id}&provider_id=any&from=2026-12-05&to=2026-12-06`);
    assert.equal(sat.json.slots.length, 0, 'no hours at the weekend');
    const b = await bookOne(t.widget);
    assert.equal(b.status, 'confirmed');
  }
  const empty = await makeTenant(srv, { name: 'Vacía', empty: true });
  assert.equal((await empty.widget('GET', '/v1/widget/services')).json.items.length, 0);
  const c = await run(['tenant', 'create', '--name', 'Por CLI', '--locale', 'en', '--json']);
  assert.equal(c.code, 0, c.stderr);
  assert.ok(c.json.sample.service_id && c.json.sample.provider_id);
});

let exported; // {file, lines, header, items, tenant} of the next test, imported again by the one after

test('export, then import into a fresh store: the same items, hashes included', async () => {
  const t = await makeTenant(srv, { name: 'Clínica Exportada', plan: 'BUSINESS', timezone: 'Europe/Madrid', empty: false });
  await raiseLimits(srv, t);
  await bookOne(t.widget, 0);
  await bookOne(t.widget, 1);
  const conv = await t.widget('POST', '/v1/widget/conversations', { body: {} });
  assert.equal(conv.status, 201, conv.text);
  await t.widget('POST', `/v1/widget/conversations/${conv.json.conversation.id}/messages`, {
    body: { text: 'hola' }, headers: { 'x-conversation-token': conv.json.conversation.token } });
  const ex = await exportOf(t.id, src);
  exported = { ...ex, tenant: t };
  const { header, items, lines } = ex;
  assert.equal(header.format, 'bookchat-tenant');
  assert.equal(header.version, 1);
  assert.equal(header.tenant_id, t.id);
  assert.equal(header.source, process.env.BOOKCHAT_STORE?.startsWith('dynamodb:') ? 'dynamodb' : 'lmdb');
  assert.equal(header.items, lines.length - 1);
  assert.match(header.checksum, /^sha256:[0-9a-f]{64}$/);
  for (const kind of ['META', 'SETTINGS', 'APIKEY', 'USER', 'SERVICE', 'PROVIDER', 'AVAIL', 'BOOKING', 'CAL', 'BCODE', 'CONV', 'MSG',
    'global:APIKEY', 'global:EMAIL', 'global:ORIGIN', 'global:PLATFORM:TENANT', 'global:PLATFORM:PLAN'])
    assert.ok(header.counts[kind] > 0, `no ${kind} in ${JSON.stringify(header.counts)}`);
  // every item of the partition, as the server sees it, is in the file; no secret in clear
  const dump = await dumpTenant(srv, t.id);
  assert.deepEqual(comparable(items.filter((i) => i.PK === `TENANT#${t.id}`)), comparable(dump));
  const text = lines.join('\n');
  assert.ok(!text.includes(t.key) && !text.includes(t.owner.password), 'no secret in clear');
  assert.ok(items.find((i) => i.SK.startsWith('USER#')).pw_hash.startsWith('$argon2id$'));
  // into a fresh store, then out again: the same item lines, byte for byte
  const d = fresh();
  const im = await cli(['tenant', 'import', ex.file, ...d.args, '--json'], { env });
  assert.equal(im.code, 0, im.stderr);
  assert.equal(im.json.items, header.items);
  const again = await exportOf(t.id, d.args);
  assert.deepEqual(again.lines.slice(1), lines.slice(1));
  // a second import is refused, --force replaces
  const twice = await cli(['tenant', 'import', ex.file, ...d.args], { env });
  assert.equal(twice.code, 1);
  assert.match(twice.stderr, /already exists.*--force/);
  assert.equal((await cli(['tenant', 'import', ex.file, '--force', ...d.args], { env })).code, 0);
});

test('a damaged export is refused with one clear line and nothing is written', async () => {
  const { lines, file } = exported;
  const d = fresh();
  const cases = [
    ['truncated', lines.slice(0, -3).join('\n') + '\n', /truncated/],
    ['cut line', lines.join('\n').slice(0, -25), /cut short/],
    ['altered', lines.join('\n').replace('"status":"confirmed"', '"status":"cancelled"') + '\n', /checksum mismatch/],
    ['version', [JSON.stringify({ ...JSON.parse(lines[0]), version: 9 }), ...lines.slice(1)].join('\n') + '\n', /version 9 is not supported/],
  ];
  for (const [name, content, want] of cases) {
    const bad = `${file}.${name.replace(' ', '-')}`;
    writeFileSync(bad, content);
    const r = await cli(['tenant', 'import', bad, ...d.args], { env });
    assert.equal(r.code, 1, name);
    assert.match(r.stderr, want, name);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${name}: one line`);
  }
  const list = await cli(['tenant', 'list', '--json', ...d.args], { env });
  assert.deepEqual(list.json.items, [], 'nothing was written');
});

test('import --reissue-keys: the new key takes widget bookings, the old keys fail', async () => {
  const { file, tenant: t } = exported;
  const d = fresh();
  const im = await cli(['tenant', 'import', file, '--reissue-keys', ...d.args, '--json'], { env });
  assert.equal(im.code, 0, im.stderr);
  assert.equal(im.json.api_keys.length, 1);
  const key = im.json.api_keys[0];
  assert.equal(key.replaces, t.keyId);
  const s2 = await startServer({ store: d.url, args: ['--data', d.dir], env });
  try {
    const widget = (k) => (method, path, { body } = {}) =>
      s2.req(method, path, { body, headers: { 'x-api-key': k, origin: t.origin } });
    const old = await widget(t.key)('GET', '/v1/widget/services');
    assert.equal(old.status, 401);
    assert.equal(errorCode(old), 'unauthorized');
    const b = await bookOne(widget(key.secret), 3);
    assert.equal(b.status, 'confirmed');
    // staff sign in with their passwords: Argon2id hashes are portable
    const login = await s2.post('/v1/auth/login', { email: t.owner.email, password: t.owner.password });
    assert.equal(login.status, 200, login.text);
    // the old key is listed as revoked, without its hash
    const keys = await s2.req('GET', '/v1/admin/api-keys', { headers: { authorization: `Bearer ${login.json.token}` } });
    assert.equal(keys.json.items.find((k) => k.id === t.keyId).status, 'revoked');
  } finally {
    await s2.stop();
  }
});

test('migrate to another store: the same items, new keys, the source suspended', async () => {
  const t = await makeTenant(srv, { name: 'Clínica Migrada', plan: 'BUSINESS', timezone: 'Europe/Madrid', empty: false });
  await raiseLimits(srv, t);
  await bookOne(t.widget);
  // the booking's usage counts wait in the server's memory; written by its next flush (every 5 s) in the
  // middle of the migration, they would change the source under it (the verification then refuses)
  assert.equal((await srv.post('/v1/test/usage/flush', {})).status, 200);
  const before = (await exportOf(t.id, src)).items;
  const d = fresh();
  const m = await run(['tenant', 'migrate', t.id, '--to', d.url, '--json']);
  assert.equal(m.code, 0, m.stderr);
  assert.equal(m.json.source_status, 'SUSPENDED');
  assert.equal(m.json.resumed, false);
  assert.equal(m.json.api_keys.length, 1);
  assert.match(m.stderr, /"event":"progress"/, 'progress lines when not on a terminal');
  // the source refuses traffic (the server saw the migration's suspension made by another process: at once
  // on LMDB, within its read cache's bound on DynamoDB), the destination holds the tenant
  const refused = await withinCacheBound(() => t.widget('GET', '/v1/widget/services'), (r) => r.status === 403);
  assert.equal(refused.status, 403);
  assert.equal(errorCode(refused), 'tenant_suspended');
  const after = (await exportOf(t.id, d.args)).items;
  assertMigrated(before, after, t.id, m.json.api_keys);
  const s2 = await startServer({ store: d.url, args: ['--data', d.dir], env });
  try {
    const w = (k) => (method, path, { body } = {}) => s2.req(method, path, { body, headers: { 'x-api-key': k, origin: t.origin } });
    assert.equal((await w(t.key)('GET', '/v1/widget/services')).status, 401);
    assert.equal((await bookOne(w(m.json.api_keys[0].secret), 2)).status, 'confirmed');
  } finally {
    await s2.stop();
  }
});

test('migrate to a DynamoDB table (dynalite): the tenant takes bookings there with its new key', async () => {
  const t = await makeTenant(srv, { name: 'Clínica Nube', plan: 'BUSINESS', timezone: 'Europe/Madrid', empty: false });
  await raiseLimits(srv, t);
  await bookOne(t.widget);
  // as above: the booking's usage counts are written before the copy, not in the middle of it
  assert.equal((await srv.post('/v1/test/usage/flush', {})).status, 200);
  const before = (await exportOf(t.id, src)).items;
  const dyn = await startDynalite();
  // the destination's servers share this secret; the new keys are hashed with it
  const dest = { ...FAKE_AWS_ENV, AWS_SESSION_TOKEN: '', BOOKCHAT_SECRET: 'lifecycle-dynamo-destination-secret-0123' };
  const url = dyn.url('bookchat-migrated');
  try {
    const noSecret = await run(['tenant', 'migrate', t.id, '--to', url], { ...FAKE_AWS_ENV, AWS_SESSION_TOKEN: '', BOOKCHAT_SECRET: '' });
    assert.equal(noSecret.code, 1);
    assert.match(noSecret.stderr, /BOOKCHAT_SECRET/);
    const m = await run(['tenant', 'migrate', t.id, '--to', url, '--json'], dest);
    assert.equal(m.code, 0, m.stderr);
    const after = (await exportOf(t.id, ['--store', url], dest)).items;
    assertMigrated(before, after, t.id, m.json.api_keys);
    const s2 = await startServer({ store: url, args: ['--data', tempDir('bc-dyn-data')], env: { ...env, ...dest } });
    try {
      const w = (k) => (method, path, { body } = {}) => s2.req(method, path, { body, headers: { 'x-api-key': k, origin: t.origin } });
      assert.equal((await w(t.key)('GET', '/v1/widget/services')).status, 401);
      assert.equal((await bookOne(w(m.json.api_keys[0].secret), 2)).status, 'confirmed');
    } finally {
      await s2.stop();
    }
  } finally {
    await dyn.stop();
  }
});

test('a migration killed half-way resumes where it stopped and completes', async () => {
  const t = await makeTenant(srv, { name: 'Clínica Grande', plan: 'ENTERPRISE', timezone: 'Europe/Madrid', empty: false });
  await raiseLimits(srv, t);
  for (let i = 0; i < 60; i += 10)
    await Promise.all(Array.from({ length: 10 }, (_, j) =>
      t.admin('POST', '/v1/admin/services', { name: `Servicio ${i + j}`, duration_min: 30 })));
  assert.equal((await srv.post('/v1/test/usage/flush', {})).status, 200);
  const before = (await exportOf(t.id, src)).items;
  const d = fresh();
  // a slow copy (test hook), watched through its JSON progress lines, killed once a checkpoint covers a
  // good part of it (the checkpoint is written every second; its progress line says what it covers)
  const p = spawn(BIN, ['tenant', 'migrate', t.id, '--to', d.url, '--json', ...src], {
    env: { ...process.env, ...env, BOOKCHAT_TEST_HOOKS: 'on', BOOKCHAT_TEST_MIGRATE_DELAY_MS: '25' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => p.on('exit', (code, signal) => resolve({ code, signal })));
  let seen = 0;
  createInterface({ input: p.stderr }).on('line', (l) => {
    try {
      const ev = JSON.parse(l);
      if (ev.event === 'progress' && ev.phase === 'items') {
        seen = ev.done;
        if (ev.saved >= 20 && ev.done < ev.total) p.kill('SIGKILL');
      }
    } catch { /* other output */ }
  });
  const ex = await exited;
  assert.equal(ex.signal, 'SIGKILL', `the migration ended before it could be killed (${seen} items)`);
  // half a tenant at the destination serves nothing: its META comes last
  const show = await cli(['tenant', 'show', t.id, ...d.args], { env });
  assert.equal(show.code, 1);
  const r = await run(['tenant', 'migrate', t.id, '--to', d.url, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.resumed, true);
  assert.ok(r.json.resumed_from > 0 && r.json.resumed_from < r.json.items, `resumed from ${r.json.resumed_from} of ${r.json.items}`);
  const after = (await exportOf(t.id, d.args)).items;
  assertMigrated(before, after, t.id, r.json.api_keys);
  assert.ok(!after.some((i) => i.PK.startsWith('MIGRATION#')), 'no checkpoint left');
});

test('a deleted tenant is refused at once, restore brings everything back, purge leaves nothing', async () => {
  const t = await makeTenant(srv, { name: 'Clínica Borrada', timezone: 'Europe/Madrid', empty: false });
  const conv = await t.widget('POST', '/v1/widget/conversations', { body: {} });
  assert.equal(conv.status, 201, conv.text);
  const say = () => t.widget('POST', `/v1/widget/conversations/${conv.json.conversation.id}/messages`, {
    body: { text: 'hola' }, headers: { 'x-conversation-token': conv.json.conversation.token } });
  const calls = {
    widget: () => t.widget('GET', '/v1/widget/services'),
    conversation: () => t.widget('POST', '/v1/widget/conversations', { body: {} }),
    message: say,
    admin: () => t.admin('GET', '/v1/admin/services'),
  };
  const before = comparable(await dumpTenant(srv, t.id));
  const del = await srv.platform('DELETE', `/v1/platform/tenants/${t.id}`);
  assert.equal(del.status, 200, del.text);
  assert.equal(del.json.tenant.status, 'DELETED');
  assert.ok(Date.parse(del.json.tenant.purge_after) - NOW * 1000 >= 29 * 86400e3, 'kept 30 days by default');
  for (const [name, call] of Object.entries(calls)) {
    const r = await call();
    assert.equal(r.status, 410, name);
    assert.equal(errorCode(r), 'tenant_deleted', name);
  }
  const purgeEarly = await run(['tenant', 'purge', t.id]);
  assert.equal(purgeEarly.code, 1);
  assert.match(purgeEarly.stderr, /can be restored until .*--now/);
  const res = await srv.platform('POST', `/v1/platform/tenants/${t.id}/restore`);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.tenant.status, 'ACTIVE');
  for (const [name, call] of Object.entries(calls)) assert.ok([200, 201].includes((await call()).status), name);
  const restored = comparable(await dumpTenant(srv, t.id));
  // what the calls themselves write (audit lines, conversations, usage counters) is not compared
  const noMeta = (items) => items.filter((i) => i.SK !== 'META' && !/^(CONV|MSG|USAGE|AUDIT)#/.test(i.SK));
  assert.deepEqual(noMeta(restored), noMeta(before), 'restore brings back the same data');
  const active = await run(['tenant', 'purge', t.id, '--now']);
  assert.equal(active.code, 1);
  assert.match(active.stderr, /delete it first/);
  // the calls above left usage counts in the server's memory; written by its next flush (every 5 s), they
  // could land after the purge below and bring items back: write them now (a purge --now of a tenant
  // deleted a second ago is the only way to meet counts still pending)
  assert.equal((await srv.post('/v1/test/usage/flush', {})).status, 200);
  assert.equal((await run(['tenant', 'delete', t.id])).code, 0);
  const purge = await run(['tenant', 'purge', t.id, '--now', '--verify', '--json']);
  assert.equal(purge.code, 0, purge.stderr);
  assert.ok(purge.json.purged_items > 10);
  assert.deepEqual(purge.json.left, [], 'a full scan of the store finds nothing of the tenant');
  assert.deepEqual(await dumpTenant(srv, t.id), []);
  // purged by another process (the CLI): the server sees it at once on LMDB, within its read cache's bound
  // on DynamoDB
  assert.equal((await withinCacheBound(calls.widget, (r) => r.status === 401)).status, 401);
  assert.equal((await withinCacheBound(calls.admin, (r) => r.status === 401)).status, 401);
  assert.equal((await srv.platform('GET', `/v1/platform/tenants/${t.id}`)).status, 404);
  const login = await srv.post('/v1/auth/login', { email: t.owner.email, password: t.owner.password });
  assert.equal(login.status, 401);
  assert.equal((await run(['tenant', 'restore', t.id])).code, 1);
});

test('the reaper purges deleted tenants after the retention period; restore is refused then', async () => {
  const dir = tempDir('bc-reap');
  const s = await startServer({ store: `lmdb:${dir}`, args: ['--data', dir], env: { ...env, BOOKCHAT_TENANT_RETENTION_DAYS: '2' } });
  try {
    const gone = await makeTenant(s, { name: 'Se va', empty: false });
    const stays = await makeTenant(s, { name: 'Se queda', empty: false });
    const staysBefore = comparable(await dumpTenant(s, stays.id));
    assert.equal((await s.platform('DELETE', `/v1/platform/tenants/${gone.id}`)).status, 200);
    assert.equal((await s.platform('POST', `/v1/platform/tenants/${gone.id}/restore`)).status, 200, 'within retention');
    const del = await s.platform('DELETE', `/v1/platform/tenants/${gone.id}`);
    const kept = Date.parse(del.json.tenant.purge_after) - Date.parse(del.json.tenant.deleted_at);
    /* purge_after has whole seconds, deleted_at milliseconds: within one second short of two days */
    assert.ok(kept > 2 * 86400 * 1000 - 1000 && kept <= 2 * 86400 * 1000, `kept ${kept} ms`);
    assert.equal((await s.post('/v1/test/clock', { advance_s: 3 * 86400 })).status, 200);
    const late = await s.platform('POST', `/v1/platform/tenants/${gone.id}/restore`);
    assert.equal(late.status, 410);
    assert.equal(errorCode(late), 'gone');
    assert.match(late.json.error.message, /can no longer be restored/);
    // housekeeping runs every 10 seconds
    const until = Date.now() + 30000;
    while ((await s.platform('GET', `/v1/platform/tenants/${gone.id}`)).status !== 404) {
      assert.ok(Date.now() < until, 'the reaper did not purge the tenant');
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.deepEqual(await dumpTenant(s, gone.id), []);
    const purged = s.logs.find((l) => l.includes('purged deleted tenant') && l.includes(gone.id));
    assert.ok(purged, 'the reaper logs what it purged');
    assert.deepEqual(comparable(await dumpTenant(s, stays.id)), staysBefore, 'other tenants untouched');
    assert.equal((await stays.widget('GET', '/v1/widget/services')).status, 200);
  } finally {
    await s.stop();
  }
});

test('serve --demo creates the demo clinic once and hands out a fresh key and password at each start', async () => {
  const dir = tempDir('bc-demo');
  const starts = [];
  for (let i = 0; i < 2; i++) {
    const s = await new Server({ store: `lmdb:${dir}`, args: ['--data', dir, '--demo'], env }).start();
    try {
      const demo = s.events.find((e) => e.event === 'demo');
      assert.ok(demo, 'a demo event is printed');
      assert.equal(demo.tenant_id, 'demo');
      assert.equal(demo.created, i === 0);
      assert.equal(demo.demo_url, `${s.url}/demo/?key=${demo.api_key.secret}`);
      assert.equal(demo.admin_url, `${s.url}/admin/`);
      assert.deepEqual(demo.api_key.origins, [s.url]);
      const w = (key) => s.req('GET', '/v1/widget/services', { headers: { 'x-api-key': key, origin: s.url } });
      const svcs = await w(demo.api_key.secret);
      assert.equal(svcs.status, 200, svcs.text);
      // the clinic of the demo page (web/demo/): its services and team
      assert.deepEqual(svcs.json.items.map((x) => x.name), ['Limpieza dental', 'Revisión', 'Blanqueamiento', 'Taller de higiene bucal']);
      // whitening needs the clinic's one room (a resource); the workshop is a group session with seats
      const svcAdmin = async (token) => (await s.req('GET', '/v1/admin/services', { headers: { authorization: `Bearer ${token}` } })).json.items;
      const ownerToken = (await s.post('/v1/auth/login', { email: demo.owner.email, password: demo.owner.password })).json.token;
      const rooms = (await s.req('GET', '/v1/admin/resources', { headers: { authorization: `Bearer ${ownerToken}` } })).json.items;
      assert.deepEqual(rooms.map((r) => [r.name, r.quantity]), [['Sala de blanqueamiento', 1]]);
      const byName = Object.fromEntries((await svcAdmin(ownerToken)).map((x) => [x.name, x]));
      assert.deepEqual(byName.Blanqueamiento.resource_ids, [rooms[0].id]);
      assert.equal(byName['Taller de higiene bucal'].capacity, 8);
      const pros = await s.req('GET', `/v1/widget/providers?service_id=${svcs.json.items[1].id}`, { headers: { 'x-api-key': demo.api_key.secret, origin: s.url } });
      assert.deepEqual(pros.json.items.map((x) => x.name), ['Dra. Marta López', 'Dr. Javier Ruiz']);
      const page = await s.get(new URL(demo.demo_url).pathname);
      assert.equal(page.status, 200);
      const login = await s.post('/v1/auth/login', { email: demo.owner.email, password: demo.owner.password });
      assert.equal(login.status, 200, login.text);
      // the demo's organisation of two clinics: its chat asks which one, then books in it
      assert.equal(demo.organisation.tenant_id, 'demo-org');
      const orgKey = new URL(demo.organisation.demo_url).searchParams.get('key');
      const ow = (method, path, body, headers = {}) => s.req(method, path, { body, headers: { 'x-api-key': orgKey, origin: s.url, ...headers } });
      const conv = await ow('POST', '/v1/widget/conversations', {});
      assert.equal(conv.status, 201, conv.text);
      assert.deepEqual(conv.json.messages.at(-1).quick_replies.map((q) => q.label), ['Sonrisa Chamberí', 'Sonrisa Salamanca']);
      const turn = await ow('POST', `/v1/widget/conversations/${conv.json.conversation.id}/messages`, { text: 'en la de Salamanca, una revisión' },
        { 'x-conversation-token': conv.json.conversation.token });
      assert.equal(turn.status, 200, turn.text);
      assert.notEqual(turn.json.state, 'branch');
      assert.ok(turn.json.messages.some((m) => (m.quick_replies || []).some((q) => q.payload.startsWith('pro:') || q.payload.startsWith('day:'))), turn.text);
      if (i === 1) {
        assert.equal((await w(starts[0].api_key.secret)).status, 401, 'the key of the last start is revoked');
        const old = await s.post('/v1/auth/login', { email: demo.owner.email, password: starts[0].owner.password });
        assert.equal(old.status, 401);
      }
      starts.push(demo);
    } finally {
      await s.stop();
    }
  }
});
