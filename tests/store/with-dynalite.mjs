// Runs a command against a fresh dynalite (a DynamoDB-protocol server on LevelDB, from npm): starts it on a
// free loopback port with its LevelDB files in a temporary directory, creates the table with
// `bookchat store init`, runs the command with BC_TEST_STORE_URL and BOOKCHAT_STORE set to the table's
// store URL (and fake AWS credentials), then stops dynalite and removes the directory. Exit status: the
// command's.
//
//   node tests/store/with-dynalite.mjs [--bin BOOKCHAT] [--table NAME] -- CMD [ARGS...]
//
// Also a module: startDynalite() for node tests that need their own instance. Several commands (or several
// `bookchat serve` processes) may share one instance: that is how the scale-out store is meant to run.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// Credentials for the local engine only: dynalite checks that requests are signed, not by whom, and fixed
// fake values make sure real credentials from the environment are never sent anywhere by a test.
export const FAKE_AWS_ENV = {
  AWS_ACCESS_KEY_ID: 'AKIDDYNALITETEST',
  AWS_SECRET_ACCESS_KEY: 'dynalite-test-secret',
  AWS_SESSION_TOKEN: '',
  AWS_REGION: 'us-east-1',
};

// Starts dynalite on 127.0.0.1 and a free port. Resolves {endpoint, url(table, opts), stop()}.
export async function startDynalite({ dir } = {}) {
  const dynalite = require('dynalite');
  const ownDir = !dir;
  if (!dir) {
    const base = process.env.BC_TEST_TMP || tmpdir();
    mkdirSync(base, { recursive: true });
    dir = mkdtempSync(join(base, 'dynalite-'));
  }
  const server = dynalite({ path: dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const endpoint = `http://127.0.0.1:${server.address().port}`;
  return {
    endpoint,
    dir,
    // The store URL of a table; ttl=reap because dynalite has no TTL of its own.
    url(table = 'bookchat-test', { ttl = 'reap' } = {}) {
      return `dynamodb://${table}?endpoint=${endpoint}${ttl ? `&ttl=${ttl}` : ''}`;
    },
    async stop() {
      await new Promise((resolve) => server.close(() => resolve()));
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Runs cmd; with quiet, its output is kept and shown only when it fails.
function run(cmd, args, env, { quiet = false } = {}) {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { env, stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    let out = '';
    if (quiet) {
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (out += d));
    }
    const forward = (sig) => p.kill(sig);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    p.on('error', (e) => {
      console.error(`with-dynalite: cannot run ${cmd}: ${e.message}`);
      resolve(127);
    });
    p.on('close', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      if (quiet && code !== 0) process.stderr.write(out);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

async function main(argv) {
  let bin = process.env.BOOKCHAT_BIN || join(root, 'build', 'bookchat');
  let table = 'bookchat-test';
  let i = 0;
  for (; i < argv.length && argv[i] !== '--'; i++) {
    if (argv[i] === '--bin') bin = argv[++i];
    else if (argv[i] === '--table') table = argv[++i];
    else {
      console.error('usage: with-dynalite.mjs [--bin BOOKCHAT] [--table NAME] -- CMD [ARGS...]');
      return 2;
    }
  }
  const cmd = argv.slice(i + 1);
  if (!cmd.length) {
    console.error('with-dynalite: no command given');
    return 2;
  }
  const d = await startDynalite();
  try {
    const url = d.url(table);
    const env = { ...process.env, ...FAKE_AWS_ENV, BC_TEST_STORE_URL: url, BOOKCHAT_STORE: url };
    delete env.AWS_SESSION_TOKEN;
    const init = await run(bin, ['store', 'init', '--store', url], env, { quiet: true });
    if (init !== 0) {
      console.error(`with-dynalite: \`bookchat store init\` failed (exit ${init})`);
      return 1;
    }
    const t0 = process.hrtime.bigint();
    const code = await run(cmd[0], cmd.slice(1), env);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    console.error(`with-dynalite: ${cmd[0].split('/').pop()} exited ${code} after ${ms.toFixed(0)} ms`);
    return code;
  } finally {
    await d.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main(process.argv.slice(2));
}
