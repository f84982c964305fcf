// bookchat backup / restore (LMDB only, so not in the DynamoDB run): a hot copy taken while bookings keep
// being written restores into a store that passes `bookchat store check` and holds every booking that was
// acknowledged before the backup started; the restored server works with the old keys and logins (the
// secret travels with the copy); and the refusals: a used destination, a non-empty data directory, a
// directory that is not a backup, a DynamoDB store.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cli, startServer, makeTenant, tempDir } from './harness.mjs';

const NOW = Date.UTC(2026, 10, 30, 8, 0, 0) / 1000;
const env = { BOOKCHAT_TEST_NOW: String(NOW) };
let srv, T;

before(async () => {
  srv = await startServer({ env });
  T = await makeTenant(srv, { name: 'Clínica Copia', plan: 'BUSINESS', timezone: 'Europe/Madrid', empty: false });
  await srv.platform('PATCH', `/v1/platform/tenants/${T.id}`, { limits: { rate_per_s: 100000, burst: 100000 } });
});
after(async () => { await srv.stop(); });

const customer = { name: 'Pablo Núñez', email: 'pablo@example.com', phone: '+34 600 999 000' };

test('a backup taken under write load restores to a checked store with every booking acknowledged before it', async () => {
  const svc = (await T.widget('GET', '/v1/widget/services')).json.items[0];
  const av = await T.widget('GET', `/v1/widget/availability?service_id=${svc.id}&provider_id=any&from=2026-12-01&to=2026-12-31`);
  // 30-minute bookings on a 15-minute grid: every other slot, so that none overlaps another
  const slots = av.json.slots.filter((_, i) => i % 2 === 0);
  assert.ok(slots.length > 200, `${slots.length} slots`);
  const acked = []; // {id, at}
  let next = 0, stop = false;
  const worker = async () => {
    while (!stop && next < slots.length) {
      const s = slots[next++];
      const r = await T.widget('POST', '/v1/widget/bookings', { body: { service_id: svc.id, provider_id: s.provider_id, start: s.start, customer } });
      assert.equal(r.status, 201, r.text);
      acked.push({ id: r.json.booking.id, at: Date.now() });
    }
  };
  const load = Promise.all([worker(), worker(), worker()]);
  while (acked.length < 30) await new Promise((r) => setTimeout(r, 10));
  const bk = join(tempDir('bc-bk'), 'copy');
  const startedAt = Date.now();
  const before = acked.filter((b) => b.at < startedAt).map((b) => b.id);
  const b = await cli(['backup', bk, '--data', srv.dataDir, '--json'], { env });
  const during = acked.length;
  await new Promise((r) => setTimeout(r, 200));
  stop = true;
  await load;
  assert.equal(b.code, 0, b.stderr);
  assert.ok(b.json.bytes > 0 && b.json.secret === true);
  assert.ok(during > before.length, 'bookings were being written while the backup ran');
  assert.equal(statSync(join(bk, 'data.mdb')).mode & 0o777, 0o600);
  assert.equal(statSync(join(bk, 'secret')).mode & 0o777, 0o600);

  const dir = join(tempDir('bc-rs'), 'data');
  const r = await cli(['restore', bk, '--data', dir, '--json'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.secret, 'restored');
  const check = await cli(['store', 'check', '--data', dir, '--json'], { env });
  assert.equal(check.code, 0, check.stderr);
  assert.equal(check.json.check.ok, true);
  assert.equal(check.json.check.bad_items, 0);
  // every booking acknowledged before the backup started is in the copy, confirmed
  const file = join(tempDir('bc-bkx'), 't.jsonl');
  const ex = await cli(['tenant', 'export', T.id, '-o', file, '--data', dir], { env });
  assert.equal(ex.code, 0, ex.stderr);
  const { readFileSync } = await import('node:fs');
  const items = readFileSync(file, 'utf8').trimEnd().split('\n').slice(1).map((l) => JSON.parse(l));
  const inCopy = new Map(items.filter((i) => i.SK.startsWith('BOOKING#')).map((i) => [i.id, i]));
  for (const id of before) {
    assert.ok(inCopy.has(id), `booking ${id} acknowledged before the backup is missing`);
    assert.equal(inCopy.get(id).status, 'confirmed');
  }
  assert.ok(inCopy.size <= acked.length);
  // the restored server: same secret, so the old key and the owner's password work
  const s2 = await startServer({ dataDir: dir, env });
  try {
    const svcs = await s2.req('GET', '/v1/widget/services', { headers: { 'x-api-key': T.key, origin: T.origin } });
    assert.equal(svcs.status, 200, svcs.text);
    const login = await s2.post('/v1/auth/login', { email: T.owner.email, password: T.owner.password });
    assert.equal(login.status, 200, login.text);
    const list = await s2.req('GET', `/v1/admin/bookings?from=2026-12-01&to=2026-12-31&limit=1000`, { headers: { authorization: `Bearer ${login.json.token}` } });
    assert.equal(list.status, 200, list.text);
    const listed = new Set(list.json.items.map((x) => x.id));
    for (const id of before) assert.ok(listed.has(id), `booking ${id} not listed by the restored server`);
  } finally {
    await s2.stop();
  }
});

test('backup and restore refuse what they cannot do, with one clear line', async () => {
  const bk = join(tempDir('bc-bk2'), 'copy');
  assert.equal((await cli(['backup', bk, '--data', srv.dataDir], { env })).code, 0);
  const again = await cli(['backup', bk, '--data', srv.dataDir], { env });
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already holds a store/);
  const used = await cli(['restore', bk, '--data', srv.dataDir], { env });
  assert.equal(used.code, 1);
  assert.match(used.stderr, /already holds a store/);
  const junk = tempDir('bc-junk');
  writeFileSync(join(junk, 'data.mdb'), 'not an lmdb file at all, just some bytes'.repeat(200));
  const notBackup = await cli(['restore', junk, '--data', join(tempDir('bc-rs2'), 'd')], { env });
  assert.equal(notBackup.code, 1);
  assert.match(notBackup.stderr, /not a bookchat backup/);
  const empty = tempDir('bc-empty');
  mkdirSync(join(empty, 'x'));
  const none = await cli(['restore', join(empty, 'x'), '--data', join(tempDir('bc-rs3'), 'd')], { env });
  assert.equal(none.code, 1);
  assert.match(none.stderr, /is not a backup/);
  const table = ['--store', 'dynamodb://bookchat?region=eu-west-1&endpoint=http://127.0.0.1:9'];
  // fake credentials for an endpoint nobody listens on: nothing is sent anywhere
  const awsEnv = { ...env, AWS_ACCESS_KEY_ID: 'AKIDBACKUPTEST', AWS_SECRET_ACCESS_KEY: 'not-a-secret', AWS_SESSION_TOKEN: '' };
  const dyn = await cli(['backup', join(tempDir('bc-bk3'), 'c'), ...table], { env: awsEnv });
  assert.equal(dyn.code, 1);
  assert.match(dyn.stderr, /point-in-time recovery/);
  const dynRestore = await cli(['restore', bk, ...table], { env: awsEnv });
  assert.equal(dynRestore.code, 1);
  assert.match(dynRestore.stderr, /point-in-time recovery/);
  for (const r of [again, used, notBackup, none, dyn, dynRestore]) assert.equal(r.stderr.trim().split('\n').length, 1);
});
