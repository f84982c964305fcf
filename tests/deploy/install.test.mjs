// `make install` with PREFIX and DESTDIR: the layout it stages, the systemd unit it configures for that
// prefix (checked by systemd-analyze: verify, and the offline security exposure score), and nothing outside
// DESTDIR/PREFIX. Runs the real make target against the release build directory (BUILD, default build/).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BUILD = process.env.BUILD || 'build';
const PREFIX = '/opt/bookchat';
let dest, previousPrefix;

function cachedPrefix() {
  const cache = readFileSync(join(root, BUILD, 'CMakeCache.txt'), 'utf8');
  return cache.match(/^CMAKE_INSTALL_PREFIX:PATH=(.*)$/m)?.[1];
}

function files(dir) {
  const out = [];
  const walk = (d) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else out.push('/' + relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

before(() => {
  previousPrefix = cachedPrefix();
  dest = mkdtempSync(join(process.env.BC_TEST_TMP || tmpdir(), 'bc-install-'));
  const r = spawnSync('make', ['-s', '--no-print-directory', 'install', `BUILD=${BUILD}`, `PREFIX=${PREFIX}`, `DESTDIR=${dest}`, 'JOBS=2'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

after(() => {
  rmSync(dest, { recursive: true, force: true });
  // give the build directory its prefix back (make install configured it with ours)
  if (previousPrefix && previousPrefix !== PREFIX)
    execFileSync('cmake', ['-S', root, '-B', join(root, BUILD), `-DCMAKE_INSTALL_PREFIX=${previousPrefix}`], { stdio: 'ignore' });
});

test('stages the binary, the unit, the sysusers.d user, the example environment and the docs under DESTDIR/PREFIX', () => {
  const all = files(dest);
  assert.ok(all.every((f) => f.startsWith(PREFIX + '/')), `outside ${PREFIX}: ${all.filter((f) => !f.startsWith(PREFIX + '/'))}`);
  for (const f of ['bin/bookchat', 'lib/systemd/system/bookchat.service', 'lib/sysusers.d/bookchat.conf',
    'share/doc/bookchat/examples/bookchat.env.example', 'share/doc/bookchat/README.md', 'share/doc/bookchat/deploy.md',
    'share/doc/bookchat/operations.md'])
    assert.ok(all.includes(`${PREFIX}/${f}`), f);
  const bin = join(dest, PREFIX, 'bin/bookchat');
  assert.ok(statSync(bin).mode & 0o111, 'executable');
  // the installed binary is the real one, with the web assets inside (no asset files are installed)
  const help = spawnSync(bin, ['help', 'serve'], { encoding: 'utf8' });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /drain_timeout/);
  assert.ok(!all.some((f) => /\.(js|css|html)$/.test(f)), 'assets are embedded, not installed');
  assert.match(readFileSync(join(dest, PREFIX, 'lib/sysusers.d/bookchat.conf'), 'utf8'), /^u bookchat - .* \/var\/lib\/bookchat/m);
});

// The unit's settings as a map of name -> [values].
function unit() {
  const text = readFileSync(join(dest, PREFIX, 'lib/systemd/system/bookchat.service'), 'utf8');
  const m = new Map();
  for (const line of text.split('\n')) {
    const kv = line.match(/^([A-Za-z]+)=(.*)$/);
    if (kv) m.set(kv[1], [...(m.get(kv[1]) || []), kv[2]]);
  }
  return { text, get: (k) => m.get(k)?.[0], all: (k) => m.get(k) || [] };
}

test('the unit names the installed paths and runs serve as the dedicated user', () => {
  const u = unit();
  assert.doesNotMatch(u.text, /@[A-Z_]+@/, 'every @VAR@ is configured');
  assert.equal(u.get('ExecStart'), `${PREFIX}/bin/bookchat serve`);
  // GNUInstallDirs: the configuration of a prefix under /opt lives in /etc/opt/… (FHS); /usr/local's in /usr/local/etc
  assert.equal(u.get('EnvironmentFile'), `-/etc${PREFIX}/bookchat/bookchat.env`);
  assert.equal(u.get('User'), 'bookchat');
  assert.equal(u.get('Group'), 'bookchat');
  assert.equal(u.get('StateDirectory'), 'bookchat');
  assert.ok(u.all('Environment').includes('BOOKCHAT_DATA=/var/lib/bookchat'));
});

test('hardened: the directives of docs/deploy.md are on', () => {
  const u = unit();
  const want = {
    NoNewPrivileges: 'yes', ProtectSystem: 'strict', PrivateTmp: 'yes', ProtectHome: 'yes', PrivateDevices: 'yes',
    ProtectKernelTunables: 'yes', ProtectKernelModules: 'yes', ProtectControlGroups: 'yes', RestrictSUIDSGID: 'yes',
    MemoryDenyWriteExecute: 'yes', LockPersonality: 'yes', SystemCallArchitectures: 'native', CapabilityBoundingSet: '',
    UMask: '0077',
  };
  for (const [k, v] of Object.entries(want)) assert.equal(u.get(k), v, k);
  assert.ok(u.all('SystemCallFilter').includes('@system-service'));
  // no ReadWritePaths: the state directory is the only writable place
  assert.equal(u.get('ReadWritePaths'), undefined);
});

test("SIGTERM drain respected: systemd waits longer than serve's drain_timeout before SIGKILL", () => {
  const u = unit();
  assert.equal(u.get('KillSignal'), 'SIGTERM');
  const help = execFileSync(join(dest, PREFIX, 'bin/bookchat'), ['help', 'serve'], { encoding: 'utf8' });
  const drain = Number(help.match(/drain_timeout\s.*\[default: (\d+)\]/)[1]);
  assert.ok(Number(u.get('TimeoutStopSec')) > drain, `TimeoutStopSec ${u.get('TimeoutStopSec')} > drain_timeout ${drain}`);
});

test('systemd-analyze verify accepts the unit (pointed at the staged binary)', () => {
  // verify needs ExecStart's binary to exist: the staged unit, with the prefix read as DESTDIR/PREFIX
  const dir = mkdtempSync(join(process.env.BC_TEST_TMP || tmpdir(), 'bc-unit-'));
  try {
    const staged = unit().text.replaceAll(`${PREFIX}/`, `${dest}${PREFIX}/`);
    writeFileSync(join(dir, 'bookchat.service'), staged);
    const r = spawnSync('systemd-analyze', ['verify', join(dir, 'bookchat.service')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.stderr.trim(), '', 'no warning');
    // and it does refuse a broken unit
    writeFileSync(join(dir, 'bookchat.service'), staged.replace('ProtectSystem=strict', 'ProtectSystem=sometimes'));
    const bad = spawnSync('systemd-analyze', ['verify', join(dir, 'bookchat.service')], { encoding: 'utf8' });
    assert.match(bad.stderr, /protect system value, ignoring: sometimes/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('systemd-analyze security rates the exposure low (offline)', () => {
  const r = spawnSync('systemd-analyze', ['security', '--offline=yes', join(dest, PREFIX, 'lib/systemd/system/bookchat.service')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const score = Number(r.stdout.match(/Overall exposure level for bookchat\.service: ([0-9.]+)/)[1]);
  assert.ok(score <= 2.0, `exposure ${score} (0 best, 10 worst; "OK" is below 2.0)`);
});
