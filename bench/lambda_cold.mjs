// Lambda cold start: process start to first answer of `bookchat lambda` under the Runtime API stand-in
// (tests/api/lib/runtime_api.mjs), for a widget read (GET /v1/widget/config with a key) as the first event.
// The store is LMDB in a temporary directory, or BOOKCHAT_STORE when set (bench/lambda_cold.sh runs it
// again under dynalite). Each run is a new process; the event is queued before the process starts, so the
// time is exec → init (store, secret, plans, threads) → GET next → the answer posted.
//
//   node bench/lambda_cold.mjs [--runs N] [--bin PATH] [--package DIR]
// --package: run DIR/bootstrap through DIR/lib's own loader, as the package runs on Lambda.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RuntimeAPI, httpEvent } from '../tests/api/lib/runtime_api.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const runs = Number(opt('runs', 15));
const bin = opt('bin', join(root, 'build', 'bookchat'));
const pkg = opt('package', null);
const secret = 'cold-start-bench-secret-0123456789abcdef';
const dynamo = (process.env.BOOKCHAT_STORE || '').startsWith('dynamodb:');
const data = mkdtempSync(join(process.env.BC_TEST_TMP || tmpdir(), 'bc-cold-'));
const env = { ...process.env, BOOKCHAT_SECRET: secret, BOOKCHAT_LOG_LEVEL: 'warn', BOOKCHAT_DATA: data };

const made = JSON.parse(execFileSync(bin, ['tenant', 'create', '--name', 'Cold', '--origin', 'https://shop.example.com', '--json'], { env }).toString());
const key = made.api_key.secret;

function command() {
  if (!pkg) return [bin, ['lambda']];
  const loader = execFileSync('sh', ['-c', `ls ${pkg}/lib/ld-linux-*`]).toString().trim();
  return [loader, ['--library-path', join(pkg, 'lib'), join(pkg, 'bootstrap')]];
}

async function once() {
  const rt = await new RuntimeAPI().start();
  const answered = rt.invoke(httpEvent({ path: '/v1/widget/config', headers: { 'x-api-key': key, origin: 'https://shop.example.com' } }));
  const [cmd, argv] = command();
  const t0 = process.hrtime.bigint();
  const p = spawn(cmd, argv, { env: { ...env, AWS_LAMBDA_RUNTIME_API: rt.address }, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise((r) => p.on('exit', r));
  const out = await answered;
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (out.kind !== 'response' || out.json.statusCode !== 200) throw new Error(`bad answer: ${out.body}`);
  p.kill('SIGTERM');
  await exited;
  await rt.stop();
  return ms;
}

const times = [];
for (let i = 0; i < runs; i++) times.push(await once());
times.sort((a, b) => a - b);
const pct = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(1);
console.log(JSON.stringify({ store: dynamo ? 'dynamodb (dynalite)' : 'lmdb', binary: pkg ? `${pkg}/bootstrap` : bin, runs, min_ms: Number(times[0].toFixed(1)), median_ms: Number(pct(0.5)), p90_ms: Number(pct(0.9)), max_ms: Number(times[times.length - 1].toFixed(1)) }));
rmSync(data, { recursive: true, force: true });
