// Dedicated environments (issue 22, PRODUCT.md section 13): `bookchat tenant place ID --store URL` moves a
// tenant onto a store of its own while a server keeps serving it, and `--store pooled` brings it back. A
// client keeps reading and booking during each move: nothing lost, nothing doubled, writes refused with 503
// and Retry-After only during the short freeze; the widget key and the owner's sign-in keep working (the
// directory of keys and e-mails stays in the pooled store); the data then lives in the new store only.
// Once on LMDB directories, once on two tables of one dynalite with the dedicated one reached through an
// assumed role (role_arn=…): an STS stand-in checks the SigV4 signature of AssumeRole for real and answers in
// STS's XML, and a proxy in front of the dedicated table lets only requests signed with the role's
// credentials through.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, cli, errorCode, makeTenant, makeHaircutTeam, must, dumpTenant, startServer, tempDir, PLATFORM_TOKEN } from './harness.mjs';
import { startDynalite, FAKE_AWS_ENV } from '../store/with-dynalite.mjs';
import { listen, readBody, startSignedProxy, verifySigV4 } from './lib/sigv4.mjs';

const NOW = Date.UTC(2026, 10, 30, 8, 0, 0) / 1000; // Monday 2026-11-30 08:00 UTC
const cleanups = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

// ---- the client that keeps working during a move ----

// Weekday slots of Ana and Luis (09:00-13:00 Madrid) from 2026-12-01 on, in order.
function* slotList({ a, l }) {
  for (let day = 1; day <= 31; day++) {
    const d = new Date(Date.UTC(2026, 11, day));
    if (d.getUTCDay() === 0 || d.getUTCDay() === 6) continue;
    for (let m = 9 * 60; m < 13 * 60; m += 30) {
      const hh = String(Math.floor(m / 60)).padStart(2, '0'), mm = String(m % 60).padStart(2, '0');
      for (const p of [a, l]) yield { provider_id: p, start: `2026-12-${String(day).padStart(2, '0')}T${hh}:${mm}:00+01:00` };
    }
  }
}

// Reads and books until stop(); each booking is retried with its Idempotency-Key until it is answered.
function keepWorking(t, team, slots) {
  const state = { booked: [], refused: 0, retryAfter: [], reads: 0, errors: [], running: true };
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const loop = (async () => {
    let n = 0;
    const run = Math.random().toString(36).slice(2, 10); // keys of one client, never reused by the next
    while (state.running) {
      const slot = slots.next().value;
      const key = `place-${run}-${n++}`;
      for (;;) {
        const r = await t.widget('POST', '/v1/widget/bookings', {
          body: { service_id: team.s, ...slot, customer: { name: 'Marta', email: `m${n}@example.com` } },
          headers: { 'idempotency-key': key },
        });
        if (r.status === 201) { state.booked.push(r.json.booking); break; }
        if (r.status === 503) {
          state.refused++;
          state.retryAfter.push(r.headers.get('retry-after'));
          await sleep(200);
          continue;
        }
        state.errors.push(`${r.status} ${r.text}`);
        break;
      }
      const s = await t.widget('GET', '/v1/widget/services');
      if (s.status === 200 && s.json.items.some((i) => i.id === team.s)) state.reads++;
      else state.errors.push(`read ${s.status} ${s.text}`);
      await sleep(60);
    }
  })();
  state.stop = async () => { state.running = false; await loop; return state; };
  return state;
}

// Runs `bookchat tenant place` with env; resolves {code, stdout, stderr, json}.
const place = (id, store, env) => cli(['tenant', 'place', id, '--store', store, '--json'], { env });

// Every booking the staff sees, by id (two pages at most here).
async function staffBookings(t) {
  const r = await must(t.admin('GET', '/v1/admin/bookings?from=2026-12-01&to=2026-12-31&limit=1000'), 'bookings');
  return r.items;
}

// One move with the client running; checks nothing was lost or doubled. Returns the client's state.
async function moveWhileServing(srv, t, team, slots, store, env) {
  const client = keepWorking(t, team, slots);
  await new Promise((r) => setTimeout(r, 400)); // some bookings before the move
  const res = await place(t.id, store, env);
  await new Promise((r) => setTimeout(r, 400)); // and some after
  const state = await client.stop();
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.json.tenant_id, t.id);
  assert.equal(res.json.changed_during_freeze >= 0, true);
  assert.deepEqual(state.errors.slice(0, 3), []);
  assert.ok(state.booked.length >= 5, `bookings made: ${state.booked.length}`);
  assert.ok(state.refused >= 1, 'a write during the freeze is refused');
  assert.ok(state.retryAfter.every((v) => Number(v) >= 1), `Retry-After: ${state.retryAfter}`);
  assert.ok(state.reads >= 5);
  // nothing lost, nothing doubled: each 201 is one booking the staff sees, once
  const seen = await staffBookings(t);
  const mine = new Set(state.booked.map((b) => b.id));
  for (const id of mine) assert.equal(seen.filter((b) => b.id === id).length, 1, `booking ${id} once`);
  const slotsSeen = seen.filter((b) => b.status === 'confirmed').map((b) => `${b.provider_id} ${b.start}`);
  assert.equal(new Set(slotsSeen).size, slotsSeen.length, 'no slot booked twice');
  return { res, state, seen };
}

// The key, the owner's sign-in and a booking work; the widget reads the catalogue.
async function stillWorks(srv, t, team, slots) {
  const login = await srv.post('/v1/auth/login', { email: t.owner.email, password: t.owner.password });
  assert.equal(login.status, 200, login.text);
  const me = await srv.get('/v1/admin/me', { headers: { authorization: `Bearer ${login.json.token}` } });
  assert.equal(me.status, 200, me.text);
  assert.equal((await t.widget('GET', '/v1/widget/config')).status, 200);
  const b = await t.widget('POST', '/v1/widget/bookings', {
    body: { service_id: team.s, ...slots.next().value, customer: { name: 'After', email: 'after@example.com' } },
  });
  assert.equal(b.status, 201, b.text);
  return b.json.booking;
}

// The tenant's items in a store, as `bookchat tenant export` of that store alone reads them.
async function itemsIn(storeEnv, id) {
  const r = await cli(['tenant', 'export', id], { env: storeEnv });
  if (r.code !== 0) return null;
  return r.stdout.trim().split('\n').slice(1).map((l) => JSON.parse(l)).filter((i) => i.PK === `TENANT#${id}`);
}

async function setupTenant(srv) {
  const t = await makeTenant(srv, { name: 'Placed', plan: 'ENTERPRISE', timezone: 'Europe/Madrid' });
  await srv.platform('PATCH', `/v1/platform/tenants/${t.id}`, { limits: { rate_per_s: 100000, burst: 100000 } });
  const team = await makeHaircutTeam(t);
  return { t, team, slots: slotList(team) };
}

// ---- LMDB ----

test('a tenant is placed onto its own LMDB directory and back while the server keeps serving it', async () => {
  const pooledDir = tempDir('bc-pooled'), dedDir = tempDir('bc-dedicated');
  cleanups.push(() => { rmSync(pooledDir, { recursive: true, force: true }); rmSync(dedDir, { recursive: true, force: true }); });
  const env = { BOOKCHAT_STORE: '', BOOKCHAT_DATA: pooledDir, BOOKCHAT_TEST_NOW: String(NOW) };
  const srv = await startServer({ dataDir: pooledDir, env });
  cleanups.push(() => srv.stop());
  const { t, team, slots } = await setupTenant(srv);
  const other = await makeTenant(srv, { name: 'Stays pooled' });

  const dedicated = `lmdb:${dedDir}`;
  const { state: s1 } = await moveWhileServing(srv, t, team, slots, dedicated, env);
  const after1 = await stillWorks(srv, t, team, slots);

  // the data is in the dedicated directory, and gone from the pooled store
  const there = await itemsIn({ BOOKCHAT_STORE: dedicated, BOOKCHAT_DATA: pooledDir }, t.id);
  assert.ok(there, 'the dedicated store holds the tenant');
  const bookingsThere = there.filter((i) => i.SK.startsWith('BOOKING#')).map((i) => i.id);
  for (const b of [...s1.booked, after1]) assert.ok(bookingsThere.includes(b.id), `booking ${b.id} in the dedicated store`);
  assert.deepEqual(await dumpTenant(srv, t.id), [], 'nothing of it left in the pooled partition');
  // operator commands against the pooled configuration follow the directory to the tenant's store
  const shown = await cli(['tenant', 'show', t.id, '--json'], { env });
  assert.equal(shown.code, 0, shown.stderr);
  assert.equal(shown.json.tenant.id, t.id);
  const exported = await itemsIn(env, t.id);
  // (the tenant's records; idempotency and rate items expire by the test clock, which the two runs differ in)
  const kept = (items) => items.map((i) => i.SK).filter((sk) => /^(BOOKING|SERVICE|PROVIDER|USER|APIKEY|META)/.test(sk)).sort();
  assert.deepEqual(kept(exported), kept(there));
  // the directory entry, and the other tenant untouched
  const dir = await srv.get(`/v1/test/items?pk=PLACEMENT`);
  assert.equal(dir.json.items.length, 1);
  assert.equal(dir.json.items[0].state, 'placed');
  assert.equal(dir.json.items[0].store, dedicated);
  assert.equal((await other.widget('GET', '/v1/widget/config')).status, 200);
  assert.ok((await dumpTenant(srv, other.id)).length > 0);

  // the staff keep working on the placed tenant: a service created there, seen by the widget
  const svc = await t.admin('POST', '/v1/admin/services', { name: 'Beard', duration_min: 15 });
  assert.equal(svc.status, 201, svc.text);
  // a new key (its look-up in the pooled directory) works at once
  const k = await must(t.admin('POST', '/v1/admin/api-keys', { name: 'second', origins: [t.origin] }), 'key');
  const r2 = await t.widget('GET', '/v1/widget/services', { key: k.secret ?? k.api_key?.secret });
  assert.equal(r2.status, 200, r2.text);
  assert.equal(r2.json.items.length, 2);

  // /metrics: the placement dimension, never a tenant
  const m = await srv.req('GET', '/metrics', { headers: { authorization: `Bearer ${PLATFORM_TOKEN}` } });
  assert.match(m.text, /\nbookchat_http_requests_total\{route="widget\.services",status_class="2xx",placement="dedicated"\} [1-9]/);
  assert.match(m.text, /\nbookchat_http_requests_total\{route="widget\.config",status_class="2xx",placement="pooled"\} [1-9]/);
  assert.ok(!m.text.includes(t.id), 'no tenant id in the metrics');

  // back into the pooled store, again while serving
  const { state: s2 } = await moveWhileServing(srv, t, team, slots, 'pooled', env);
  const after2 = await stillWorks(srv, t, team, slots);
  const pooledItems = await dumpTenant(srv, t.id);
  const bookingsPooled = pooledItems.filter((i) => i.SK.startsWith('BOOKING#')).map((i) => i.id);
  for (const b of [...s1.booked, after1, ...s2.booked, after2]) assert.ok(bookingsPooled.includes(b.id), `booking ${b.id} back in the pooled store`);
  assert.ok(pooledItems.some((i) => i.SK.startsWith('SERVICE#') && i.name === 'Beard'));
  assert.equal(await itemsIn({ BOOKCHAT_STORE: dedicated, BOOKCHAT_DATA: pooledDir }, t.id), null, 'gone from the dedicated store');
  assert.equal((await srv.get(`/v1/test/items?pk=PLACEMENT`)).json.items.length, 0);
});

// ---- bad input ----

test('bad placements are refused clearly and change nothing', async () => {
  const pooledDir = tempDir('bc-pooled'), dedDir = tempDir('bc-dedicated'), holder = tempDir('bc-holder');
  cleanups.push(() => { for (const d of [pooledDir, dedDir, holder]) rmSync(d, { recursive: true, force: true }); });
  const env = { BOOKCHAT_STORE: '', BOOKCHAT_DATA: pooledDir, BOOKCHAT_TEST_NOW: String(NOW) };
  const srv = await startServer({ dataDir: pooledDir, env });
  cleanups.push(() => srv.stop());
  const { t } = await setupTenant(srv);
  const before = await dumpTenant(srv, t.id);
  const unchanged = async () => {
    assert.deepEqual(await dumpTenant(srv, t.id), before);
    assert.equal((await srv.get('/v1/test/items?pk=PLACEMENT')).json.items.length, 0);
    assert.equal((await t.widget('GET', '/v1/widget/services')).status, 200);
  };

  let r = await place('01NOSUCHTENANT0000000000000', `lmdb:${dedDir}`, env);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no tenant 01NOSUCHTENANT/);
  r = await place('../etc', `lmdb:${dedDir}`, env);
  assert.equal(r.code, 1);
  r = await place(t.id, 'nosuch:/x', env);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot open the store/);
  r = await place(t.id, 'dynamodb://bad table name', env);
  assert.equal(r.code, 1);
  r = await place(t.id, 'lmdb:/x\ny', env);
  assert.equal(r.code, 2);
  r = await cli(['tenant', 'place', t.id], { env });
  assert.equal(r.code, 2, 'no --store');
  r = await place(t.id, 'pooled', env);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /in that store already/);
  r = await cli(['tenant', 'place', t.id, '--abort', '--json'], { env });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no placement of .* is under way/);
  await unchanged();

  // a store that already holds the tenant (an import made there by hand) is refused
  const file = join(holder, 'tenant.jsonl');
  assert.equal((await cli(['tenant', 'export', t.id, '-o', file], { env })).code, 0);
  const imp = await cli(['tenant', 'import', file], { env: { BOOKCHAT_STORE: `lmdb:${join(holder, 'db')}`, BOOKCHAT_DATA: pooledDir } });
  assert.equal(imp.code, 0, imp.stderr);
  r = await place(t.id, `lmdb:${join(holder, 'db')}`, env);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /already holds tenant/);
  await unchanged();

  // placing while placing: the second is refused, the first completes
  const first = place(t.id, `lmdb:${dedDir}`, env);
  await new Promise((res) => setTimeout(res, 700));
  r = await place(t.id, `lmdb:${join(holder, 'other')}`, env);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /placement of .* is under way/);
  const done = await first;
  assert.equal(done.code, 0, done.stderr);
  assert.equal((await t.widget('GET', '/v1/widget/services')).status, 200);
  assert.equal((await srv.get('/v1/test/items?pk=PLACEMENT')).json.items[0].store, `lmdb:${dedDir}`);

  // a placement killed during its freeze leaves the tenant frozen until --abort
  const killed = spawn(BIN, ['tenant', 'place', t.id, '--store', 'pooled', '--json'], { env: { ...process.env, ...env } });
  await new Promise((resolve) => {
    let err = '';
    killed.stderr.on('data', (d) => { err += d; if (err.includes('"step":"freeze"')) resolve(); });
  });
  killed.kill('SIGKILL');
  await new Promise((res) => killed.on('exit', res));
  await new Promise((res) => setTimeout(res, 2500)); // the server's view of the directory follows within 2 s
  const frozen = await t.admin('POST', '/v1/admin/services', { name: 'Frozen', duration_min: 15 });
  assert.equal(frozen.status, 503);
  assert.equal(errorCode(frozen), 'unavailable');
  assert.equal(frozen.headers.get('retry-after'), '2');
  assert.equal((await t.widget('GET', '/v1/widget/services')).status, 200, 'reads go on');
  r = await cli(['tenant', 'place', t.id, '--abort', '--json'], { env });
  assert.equal(r.code, 0, r.stderr);
  await new Promise((res) => setTimeout(res, 2500));
  const ok = await t.admin('POST', '/v1/admin/services', { name: 'After abort', duration_min: 15 });
  assert.equal(ok.status, 201, ok.text);
  const entry = (await srv.get('/v1/test/items?pk=PLACEMENT')).json.items[0];
  assert.equal(entry.state, 'placed');
  assert.equal(entry.store, `lmdb:${dedDir}`);
  assert.deepEqual(await dumpTenant(srv, t.id), [], 'the partial copy back in the pooled store was removed');
});

// ---- DynamoDB through an assumed role ----

// The STS stand-in: AssumeRole of ROLE_ARN, signed with the process's own (fake) credentials.
const ROLE_ARN = 'arn:aws:iam::210987654321:role/bookchat-dedicated';
const ROLE = { accessKey: 'ASIAROLETESTKEY00001', secret: 'role-secret-9f8e7d6c5b4a', token: 'FwoGZXIvYXdzEBYaDROLETOKEN+/=' };
async function startSts() {
  const calls = [];
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const v = verifySigV4(req, body, { [FAKE_AWS_ENV.AWS_ACCESS_KEY_ID]: FAKE_AWS_ENV.AWS_SECRET_ACCESS_KEY });
    const form = new URLSearchParams(body.toString());
    const call = { ok: v.ok, why: v.why, form: Object.fromEntries(form), issued: false };
    calls.push(call);
    const fail = (status, code, message) => {
      res.writeHead(status, { 'content-type': 'text/xml' });
      res.end(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r-${calls.length}</RequestId></ErrorResponse>`);
    };
    if (!v.ok) return fail(403, 'SignatureDoesNotMatch', v.why);
    if (v.service !== 'sts') return fail(403, 'InvalidClientTokenId', 'signed for another service');
    if (form.get('Action') !== 'AssumeRole' || form.get('Version') !== '2011-06-15') return fail(400, 'InvalidAction', 'AssumeRole only');
    if (form.get('RoleArn') !== ROLE_ARN) return fail(403, 'AccessDenied', `not authorized to assume ${form.get('RoleArn')}`);
    call.issued = true;
    const exp = new Date(Date.now() + 3600 * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <SourceIdentity>bookchat</SourceIdentity>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::210987654321:assumed-role/bookchat-dedicated/${form.get('RoleSessionName')}</Arn>
      <AssumedRoleId>AROA3XFRBF535PLBIFPI4:${form.get('RoleSessionName')}</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken>${ROLE.token}</SessionToken>
      <SecretAccessKey>${ROLE.secret}</SecretAccessKey>
      <Expiration>${exp}</Expiration>
      <AccessKeyId>${ROLE.accessKey}</AccessKeyId>
    </Credentials>
    <PackedPolicySize>6</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleResponse>`);
  });
  const url = await listen(server);
  return { url, calls, stop: () => new Promise((r) => server.close(r)) };
}

test('on DynamoDB: placed onto a table in another account through STS AssumeRole, and back', async () => {
  const d = await startDynalite();
  cleanups.push(() => d.stop());
  const sts = await startSts();
  cleanups.push(() => sts.stop());
  const proxy = await startSignedProxy(d.endpoint, ROLE); // as in the other account
  cleanups.push(() => proxy.stop());
  const dataDir = tempDir('bc-ddb');
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const pooled = d.url('bc-pooled');
  const dedicated = `dynamodb://bc-dedicated?endpoint=${proxy.url}&ttl=reap&role_arn=${encodeURIComponent(ROLE_ARN)}&session_name=bookchat-test`;
  const env = {
    ...FAKE_AWS_ENV, BOOKCHAT_STORE: pooled, BOOKCHAT_DATA: dataDir, BOOKCHAT_STS_URL: sts.url,
    BOOKCHAT_SECRET: 'placement-suite-secret-0123456789abcdef', BOOKCHAT_TEST_NOW: String(NOW),
  };
  assert.equal((await cli(['store', 'init'], { env })).code, 0);
  const srv = await startServer({ dataDir, store: pooled, env });
  cleanups.push(() => srv.stop());
  const { t, team, slots } = await setupTenant(srv);

  // a role that cannot be assumed, and STS's refusal, are reported and change nothing
  const wrongRole = dedicated.replace(encodeURIComponent(ROLE_ARN), encodeURIComponent('arn:aws:iam::1:role/other'));
  let r = await place(t.id, wrongRole, env);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /AccessDenied/);
  r = await place(t.id, dedicated, { ...env, AWS_SECRET_ACCESS_KEY: 'not-the-secret' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /SignatureDoesNotMatch/);
  assert.equal((await srv.get('/v1/test/items?pk=PLACEMENT')).json.items.length, 0);

  const { state: s1 } = await moveWhileServing(srv, t, team, slots, dedicated, env);
  const after1 = await stillWorks(srv, t, team, slots);
  assert.ok(proxy.stats.passed > 0, 'the dedicated table was reached with the role');
  assert.deepEqual(proxy.stats.refused, [], 'every request to it was signed with the role');
  const assumed = sts.calls.filter((c) => c.issued);
  assert.ok(assumed.length >= 2, 'the CLI and the server each assumed the role');
  assert.ok(assumed.every((c) => c.form.RoleArn === ROLE_ARN && c.form.RoleSessionName === 'bookchat-test'));
  assert.ok(assumed.length <= 4, `credentials are kept until shortly before they expire (${assumed.length} calls)`);

  // the dedicated table holds the bookings; the pooled table holds nothing of the tenant's partition
  const there = await itemsIn({ ...env, BOOKCHAT_STORE: dedicated }, t.id);
  assert.ok(there);
  const ids = there.filter((i) => i.SK.startsWith('BOOKING#')).map((i) => i.id);
  for (const b of [...s1.booked, after1]) assert.ok(ids.includes(b.id));
  assert.deepEqual(await dumpTenant(srv, t.id), []);

  const { state: s2 } = await moveWhileServing(srv, t, team, slots, 'pooled', env);
  await stillWorks(srv, t, team, slots);
  const back = (await dumpTenant(srv, t.id)).filter((i) => i.SK.startsWith('BOOKING#')).map((i) => i.id);
  for (const b of [...s1.booked, after1, ...s2.booked]) assert.ok(back.includes(b.id));
  assert.equal(await itemsIn({ ...env, BOOKCHAT_STORE: dedicated }, t.id), null);
});
