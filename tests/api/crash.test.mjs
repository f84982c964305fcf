// Crash safety: booking load against `bookchat serve`, killed with SIGKILL at random moments, restarted,
// checked after every cycle: every booking the clients saw acknowledged is there and confirmed, no booking
// is duplicated, no slot is double-booked (nor the one room half the bookings need, taken through the claim
// protocol), and the store opens cleanly (`bookchat store check`).
// CRASH_CYCLES sets the number of cycles (a few in `make test`, 50+ in `make crash`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Server, makeTenant, tempDir, cli } from './harness.mjs';

const CYCLES = Number(process.env.CRASH_CYCLES || 4);
const NOW = Date.UTC(2026, 10, 30, 7, 0, 0) / 1000;
const env = { BOOKCHAT_TEST_NOW: String(NOW), BOOKCHAT_ACCESS_LOG: 'off' };

// 15-minute slots, Monday to Saturday 08:00-20:00 Madrid, over 45 days from 2026-12-01 (within max_days_ahead)
function slotStarts() {
  const out = [];
  for (let d = 1; d <= 45; d++) {
    const day = new Date(Date.UTC(2026, 11, d));
    const wd = day.getUTCDay();
    if (wd === 0) continue;
    for (let m = 8 * 60; m < 20 * 60; m += 15) {
      const t = new Date(day.getTime() + (m - 60) * 60000); // Madrid is UTC+1 in winter
      out.push(t.toISOString().replace('.000Z', 'Z'));
    }
  }
  return out;
}

test(`${CYCLES} SIGKILL cycles under booking load lose and duplicate nothing`, { timeout: 30 * 60 * 1000 }, async () => {
  const dataDir = tempDir('bc-crash');
  let srv = await new Server({ dataDir, env, keepData: true }).start();
  const T = await makeTenant(srv, { name: 'Crash', plan: 'ENTERPRISE', timezone: 'Europe/Madrid' });
  await srv.platform('PATCH', `/v1/platform/tenants/${T.id}`, { limits: { rate_per_s: 100000, burst: 100000 } });
  const svc = (await T.admin('POST', '/v1/admin/services', { name: 'Corte', duration_min: 15 })).json.service.id;
  // half the load books a service that needs the one room both share: the claim protocol (docs/booking.md)
  const room = (await T.admin('POST', '/v1/admin/resources', { name: 'Sala', quantity: 1 })).json.resource.id;
  const roomSvc = (await T.admin('POST', '/v1/admin/services', { name: 'Sala', duration_min: 15, resource_ids: [room] })).json.service.id;
  const pros = [];
  for (const name of ['Ana', 'Luis']) {
    const p = (await T.admin('POST', '/v1/admin/providers', { name, service_ids: [svc, roomSvc] })).json.provider.id;
    const weekly = [1, 2, 3, 4, 5, 6].map((weekday) => ({ weekday, start: '08:00', end: '20:00' }));
    assert.equal((await T.admin('PUT', `/v1/admin/providers/${p}/availability`, { weekly })).status, 200);
    pros.push(p);
  }
  const starts = slotStarts();
  const acked = new Map(); // booking id -> {provider, start}
  let attempts = 0;
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    // load: clients booking random slots (many collide on purpose), until the kill
    let stop = false;
    const client = async () => {
      while (!stop) {
        const start = starts[Math.floor(Math.random() * starts.length)];
        const provider = pros[Math.floor(Math.random() * pros.length)];
        const service_id = Math.random() < 0.5 ? svc : roomSvc;
        attempts++;
        try {
          const r = await srv.req('POST', '/v1/widget/bookings', {
            body: { service_id, provider_id: provider, start, customer: { name: 'C', email: 'c@example.com' } },
            headers: { 'x-api-key': T.key, origin: T.origin },
          });
          if (r.status === 201) acked.set(r.json.booking.id, { provider, start, code: r.json.booking.code });
          else if (r.status !== 409) throw new Error(`unexpected ${r.status}: ${r.text}`);
        } catch (e) {
          if (!stop && !/fetch failed|ECONNRESET|ECONNREFUSED|socket/i.test(String(e.cause || e))) throw e;
          return; // the server died under us
        }
      }
    };
    const clients = Array.from({ length: 8 }, client);
    await new Promise((r) => setTimeout(r, 150 + Math.random() * 600));
    await srv.kill();
    stop = true;
    await Promise.all(clients);
    // the store must open cleanly and be consistent
    const check = await cli(['store', 'check', '--data', dataDir, '--json']);
    assert.equal(check.code, 0, `store check after cycle ${cycle}: ${check.stdout}${check.stderr}`);
    srv = await new Server({ dataDir, env, keepData: true }).start();
  }
  // let repair-on-read finish bookings a kill left pending (it waits 60 s of the server's clock)
  await srv.post('/v1/test/clock', { advance_s: 120 });
  const auth = { authorization: `Bearer ${(await srv.post('/v1/auth/login', { email: T.owner.email, password: T.owner.password })).json.token}` };
  for (const [id, b] of acked) {
    const r = await srv.req('GET', `/v1/admin/bookings/${id}`, { headers: auth });
    assert.equal(r.status, 200, `acknowledged booking ${id} (${b.start}) is missing`);
    assert.equal(r.json.booking.status, 'confirmed');
    assert.equal(r.json.booking.provider_id, b.provider);
  }
  // every confirmed booking, no two on one professional at one time, no id twice
  const all = [];
  let cursor = null;
  do {
    const r = await srv.req('GET', `/v1/admin/bookings?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { headers: auth });
    assert.equal(r.status, 200);
    all.push(...r.json.items);
    cursor = r.json.next_cursor;
  } while (cursor);
  const confirmed = all.filter((b) => b.status === 'confirmed');
  assert.equal(new Set(confirmed.map((b) => b.id)).size, confirmed.length, 'a booking is listed twice');
  const seen = new Set();
  for (const b of confirmed) {
    const k = `${b.provider_id}@${new Date(b.start).getTime()}`;
    assert.ok(!seen.has(k), `double booking at ${b.start}`);
    seen.add(k);
  }
  // the room: one booking at a time, whoever the professional
  const roomUsed = new Set();
  for (const b of confirmed.filter((x) => x.service_id === roomSvc)) {
    const k = new Date(b.start).getTime();
    assert.ok(!roomUsed.has(k), `the room double-booked at ${b.start}`);
    roomUsed.add(k);
  }
  for (const id of acked.keys()) assert.ok(confirmed.some((b) => b.id === id), `acknowledged ${id} not listed`);
  console.log(`crash: ${CYCLES} cycles, ${attempts} attempts, ${acked.size} acknowledged, ${confirmed.length} confirmed`);
  await srv.stop();
});

test('a booking whose process dies at its sync was never answered, and its commit survives the kill', async () => {
  // the booking's writes return once committed; its answer waits for their sync (store.h, deferred
  // durability). Killed right before that sync, the client gets no answer, and what was committed is in
  // the kernel's page cache, which a SIGKILL does not lose
  const dataDir = tempDir('bc-crash-sync');
  let srv = await new Server({ dataDir, env, keepData: true }).start();
  try {
    const T = await makeTenant(srv, { name: 'Sync', plan: 'PRO', timezone: 'Europe/Madrid' });
    const svc = (await T.admin('POST', '/v1/admin/services', { name: 'Corte', duration_min: 30 })).json.service.id;
    const p = (await T.admin('POST', '/v1/admin/providers', { name: 'Ana', service_ids: [svc] })).json.provider.id;
    const weekly = [1, 2, 3, 4, 5].map((weekday) => ({ weekday, start: '09:00', end: '13:00' }));
    assert.equal((await T.admin('PUT', `/v1/admin/providers/${p}/availability`, { weekly })).status, 200);
    assert.equal((await srv.post('/v1/test/fault', { point: 'store.sync', kill: true })).status, 200);
    let answer = null;
    try {
      const r = await srv.req('POST', '/v1/widget/bookings', {
        body: { service_id: svc, provider_id: p, start: '2026-12-03T10:00:00+01:00', customer: { name: 'C', email: 'c@example.com' } },
        headers: { 'x-api-key': T.key, origin: T.origin },
      });
      answer = r.status;
    } catch (e) {
      assert.match(String(e.cause || e), /fetch failed|ECONNRESET|socket|other side closed/i);
    }
    assert.equal(answer, null, 'answered before its sync');
    assert.equal((await srv.exited).signal, 'SIGKILL');
    srv = await new Server({ dataDir, env, keepData: true }).start();
    await srv.post('/v1/test/clock', { advance_s: 120 }); // repair-on-read confirms what the kill left pending
    const token = (await srv.post('/v1/auth/login', { email: T.owner.email, password: T.owner.password })).json.token;
    const list = await srv.req('GET', `/v1/admin/bookings?from=2026-12-03&to=2026-12-03&provider_id=${p}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(list.status, 200);
    assert.deepEqual(list.json.items.map((b) => [b.start, b.status]), [['2026-12-03T10:00:00+01:00', 'confirmed']]);
  } finally {
    await srv.stop({ allowDirty: true });
  }
});
