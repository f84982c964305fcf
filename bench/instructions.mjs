// Instructions the server spends on one fixed request mix, counted by callgrind: a before/after comparison
// that other load on the machine does not move (docs/performance.md). Needs valgrind (not installed by
// scripts/install-deps.sh: `apt-get install valgrind`).
//   node bench/instructions.mjs BIN OUTDIR     prints {"Ir": instructions after start-up, …}
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
const [bin, out] = process.argv.slice(2);
const dir = mkdtempSync(join(out, 'data-'));
// one client address plays every visitor: the per-visitor limits (docs/security.md) would stop the mix
const env = { ...process.env, BOOKCHAT_DATA: dir, BOOKCHAT_LOG_LEVEL: 'warn', BOOKCHAT_TEST_NOW: '1796025600', BOOKCHAT_ACCESS_LOG: 'off', BOOKCHAT_VISITOR_LIMITS: 'off' };
const origin = 'https://shop.example.com';
const t = JSON.parse(execFileSync(bin, ['tenant', 'create', '--name', 'Bench', '--plan', 'BUSINESS', '--origin', origin, '--json'], { env }).toString());
const key = t.api_key.secret, tid = t.tenant.id;
execFileSync(bin, ['tenant', 'set-limits', tid, '--rate', '100000', '--burst', '100000', '--messages', '-1', '--bookings', '-1'], { env });
const port = 20000 + Math.floor(Math.random() * 20000);
const srv = spawn('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}/cg.%p`, bin, 'serve', '--listen', `127.0.0.1:${port}`, '--threads', '2'], { env, stdio: 'ignore' });
const base = `http://127.0.0.1:${port}`;
const h = { 'x-api-key': key, origin, 'content-type': 'application/json' };
for (let i = 0; i < 600; i++) { try { if ((await fetch(`${base}/healthz`)).ok) break; } catch {} await new Promise((r) => setTimeout(r, 200)); }
execFileSync('callgrind_control', ['-z', String(srv.pid)]);
const get = async (p) => { const r = await fetch(base + p, { headers: h }); if (!r.ok) throw new Error(p + ' ' + r.status); return r.json(); };
const post = async (p, b, extra = {}) => { const r = await fetch(base + p, { method: 'POST', headers: { ...h, ...extra }, body: JSON.stringify(b) }); return { status: r.status, json: await r.json() }; };
const svc = (await get('/v1/widget/services')).items[0].id;
for (let i = 0; i < 300; i++) await get('/v1/widget/services');
for (let i = 0; i < 300; i++) await get('/v1/widget/config');
let slots = [];
for (let i = 0; i < 100; i++) slots = (await get(`/v1/widget/availability?service_id=${svc}&from=2026-12-01&to=2026-12-07`)).slots;
let booked = 0;
for (let i = 0; i < 40 && i < slots.length; i += 2) {
  const r = await post('/v1/widget/bookings', { service_id: svc, provider_id: slots[i].provider_id, start: slots[i].start, customer: { name: 'Ana Ruiz', email: `a${i}@example.com`, phone: '+34600111222' } }, { 'idempotency-key': `k${i}` });
  if (r.status === 201) booked++;
}
let turns = 0;
for (let c = 0; c < 20; c++) {
  const conv = await post('/v1/widget/conversations', { locale: 'es' });
  const tok = conv.json.conversation.token, id = conv.json.conversation.id;
  for (const text of ['quiero un corte de pelo', 'con cualquiera', 'el martes']) {
    const r = await fetch(`${base}/v1/widget/conversations/${id}/messages`, { method: 'POST', headers: { ...h, 'x-conversation-token': tok }, body: JSON.stringify({ text }) });
    if (r.ok) turns++;
  }
}
execFileSync('callgrind_control', ['-d', String(srv.pid)]);
srv.kill('SIGTERM');
await new Promise((r) => srv.on('exit', r));
const dumps = readdirSync(out).filter((f) => f.startsWith(`cg.${srv.pid}.`)).sort();
const text = readFileSync(join(out, dumps[0]), 'utf8');
const m = /(?:summary|totals): (\d+)/.exec(text);
console.log(JSON.stringify({ bin, booked, turns, slots: slots.length, Ir: Number(m[1]), dump: dumps[0] }));
