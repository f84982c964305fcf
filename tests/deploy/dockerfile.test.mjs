// The Dockerfile, checked without building it (this machine cannot reach a container registry): the
// dockerfile-utils linter (the Docker language server's validator) finds nothing, and the rules of
// docs/deploy.md hold: pinned Debian 12 stages, a slim runtime, a non-root user, a health check on /healthz,
// a data volume, the runtime libraries the built binary links, and the web build's packages.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DockerfileParser } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const text = readFileSync(join(root, 'Dockerfile'), 'utf8');
const df = DockerfileParser.parse(text);
const BIN = process.env.BOOKCHAT_BIN || join(root, 'build', 'bookchat');

const stages = () => df.getFROMs().map((f) => ({ image: f.getImageName(), tag: f.getImageTag(), name: f.getBuildStage(), from: f }));
// Instructions of the last (runtime) stage.
function runtime() {
  const froms = df.getFROMs();
  const start = froms[froms.length - 1].getRange().start.line;
  return df.getInstructions().filter((i) => i.getRange().start.line >= start);
}
const args = (i) => i.getArgumentsContent() ?? '';

test('the linter finds no problem, and does find one in a broken file', () => {
  assert.deepEqual(validate(text), []);
  const broken = validate('FROM debian:12.12 AS build\nEXPOSE 80000\nHEALTHCHECK --interval=abc CMD true\nCOPY\n');
  assert.ok(broken.length >= 2, JSON.stringify(broken));
});

test('two named stages on pinned Debian 12 point releases: the toolchain, then slim', () => {
  const s = stages();
  assert.equal(s.length, 2);
  assert.deepEqual(s.map((x) => x.name), ['build', 'runtime']);
  for (const x of s) {
    assert.equal(x.image, 'debian');
    assert.match(x.tag, /^12\.[0-9]+(-slim)?$/, 'a Debian 12 point release, not latest or bookworm');
  }
  assert.match(s[1].tag, /-slim$/);
  assert.ok(!/-slim$/.test(s[0].tag));
  // the runtime takes only the binary from the build stage
  const copies = runtime().filter((i) => i.getKeyword() === 'COPY');
  assert.deepEqual(copies.map(args), ['/out/usr/bin/bookchat /usr/bin/bookchat']);
  assert.ok(copies[0].getFlags().some((f) => f.getName() === 'from' && f.getValue() === 'build'));
});

test('runs as a non-root numeric user created in the image, with a data volume', () => {
  const rt = runtime();
  const users = rt.filter((i) => i.getKeyword() === 'USER');
  assert.equal(users.length, 1);
  const [uid, gid] = args(users[0]).split(':');
  assert.match(uid, /^[0-9]+$/);
  assert.notEqual(Number(uid), 0);
  assert.notEqual(Number(gid), 0);
  const run = rt.filter((i) => i.getKeyword() === 'RUN').map(args).join('\n');
  assert.match(run, new RegExp(`useradd[^\\n]*--uid ${uid}\\b`));
  assert.match(run, /install -d -o bookchat -g bookchat -m 0700 \/var\/lib\/bookchat/);
  const vol = rt.find((i) => i.getKeyword() === 'VOLUME');
  assert.deepEqual(JSON.parse(args(vol)), ['/var/lib/bookchat']);
  const env = rt.filter((i) => i.getKeyword() === 'ENV').map(args).join(' ');
  assert.match(env, /BOOKCHAT_DATA=\/var\/lib\/bookchat/);
  assert.match(env, /BOOKCHAT_LISTEN=0\.0\.0\.0:8080/);
  // the user comes before the entry point: nothing of the runtime stage runs bookchat as root
  const idx = (k) => rt.findIndex((i) => i.getKeyword() === k);
  assert.ok(idx('USER') < idx('ENTRYPOINT') && idx('USER') < idx('HEALTHCHECK'));
});

test('HEALTHCHECK asks /healthz on the listening port, and curl is installed for it', () => {
  const hc = runtime().find((i) => i.getKeyword() === 'HEALTHCHECK');
  assert.ok(hc);
  const flags = Object.fromEntries(hc.getFlags().map((f) => [f.getName(), f.getValue()]));
  for (const f of ['interval', 'timeout', 'start-period']) assert.match(flags[f] ?? '', /^\d+s$/, f);
  assert.match(args(hc), /CMD \["curl", "--fail"[^\]]*"http:\/\/127\.0\.0\.1:8080\/healthz"\]/);
  const run = runtime().filter((i) => i.getKeyword() === 'RUN').map(args).join('\n');
  assert.match(run, /\bcurl\b/);
  assert.equal(args(runtime().find((i) => i.getKeyword() === 'STOPSIGNAL')), 'SIGTERM');
  assert.deepEqual(JSON.parse(args(runtime().find((i) => i.getKeyword() === 'ENTRYPOINT'))), ['/usr/bin/bookchat']);
});

// "apt-get install … pkg pkg …" of a stage's RUN lines
function aptPackages(instructions) {
  const run = instructions.filter((i) => i.getKeyword() === 'RUN').map(args).join('\n').replace(/\\\n/g, ' ');
  const m = run.match(/apt-get install ([^&]*)/);
  return m[1].split(/\s+/).filter((w) => w && !w.startsWith('-'));
}

// The Debian package of each shared library of the built binary (one dpkg -S for all of them; dpkg knows a
// file under /lib/… or /usr/lib/…, so both names are asked).
function libraryOwners() {
  const libs = execFileSync('ldd', [BIN], { encoding: 'utf8' })
    .split('\n').map((l) => l.match(/=> (\/\S+)/)).filter(Boolean).map((m) => m[1]);
  const names = libs.flatMap((l) => [l, l.replace(/^\/lib\//, '/usr/lib/'), l.replace(/^\/usr\/lib\//, '/lib/')]);
  const out = spawnSync('dpkg', ['-S', ...new Set(names)], { encoding: 'utf8' }).stdout;
  const owner = new Map();
  for (const line of out.split('\n')) {
    const m = line.match(/^([^:,\s]+)(?::\S+)?: (\S+)$/);
    if (m) owner.set(m[2], m[1]);
  }
  return libs.map((l) => ({ lib: l, pkg: owner.get(l) ?? owner.get(l.replace(/^\/lib\//, '/usr/lib/')) ?? owner.get(l.replace(/^\/usr\/lib\//, '/lib/')) }));
}

// Libraries whose package neither is in pkgs nor comes with one of them (Depends, Pre-Depends).
function missingLibraries(pkgs, owners) {
  const deps = new Map();
  for (const line of execFileSync('dpkg-query', ['-W', '-f', '${Package}\t${Depends}, ${Pre-Depends}\n'], { encoding: 'utf8' }).split('\n')) {
    const [name, d = ''] = line.split('\t');
    deps.set(name, d.split(/[,|]/).map((x) => x.trim().split(/[\s:(]/)[0]).filter(Boolean));
  }
  const closure = new Set();
  const add = (p) => { if (closure.has(p)) return; closure.add(p); for (const d of deps.get(p) || []) add(d); };
  for (const p of pkgs) add(p);
  return owners.filter((o) => !closure.has(o.pkg)).map((o) => `${o.pkg} (${o.lib})`);
}

test('the runtime stage installs the Debian package of every shared library the built binary links', () => {
  const pkgs = aptPackages(runtime());
  const owners = libraryOwners();
  assert.ok(owners.length > 5, 'ldd found the libraries');
  for (const o of owners) assert.ok(o.pkg, `no package owns ${o.lib}`);
  assert.deepEqual(missingLibraries(pkgs, owners), []);
  // the check bites: leave one package out and its library is missing
  assert.match(missingLibraries(pkgs.filter((p) => p !== 'libical3'), owners).join(), /libical3 \(.*libical\.so/);
});

test('the build stage installs the web packages that web/ imports, at the lock file versions', () => {
  const arg = df.getInstructions().find((i) => i.getKeyword() === 'ARG' && args(i).startsWith('WEB_PACKAGES='));
  const listed = new Set(args(arg).replace(/^WEB_PACKAGES="|"$/g, '').split(/\s+/));
  assert.ok(listed.has('esbuild'));
  const imported = new Set();
  const walk = (d) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(m?js|ts)$/.test(f))
        for (const m of readFileSync(p, 'utf8').matchAll(/(?:from\s+|import\s*\(\s*)['"]([^'"./][^'"]*)['"]/g)) imported.add(m[1].split('/')[0]);
    }
  };
  walk(join(root, 'web'));
  assert.ok(imported.size > 0);
  for (const pkg of imported) assert.ok(listed.has(pkg), `web/ imports ${pkg}, which the image's build does not install`);
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')).packages;
  for (const pkg of listed) assert.ok(lock[`node_modules/${pkg}`]?.version, `${pkg} is in package-lock.json`);
});

test('the build context leaves out build output, node_modules and data', () => {
  const ignore = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  for (const p of ['.git', 'build', 'node_modules', 'data']) assert.ok(ignore.includes(p), p);
});
