// Runs the CDK app (bin/app.ts) or its tests (test/*.test.ts) with Node alone: esbuild (already a
// devDependency, the web build's bundler) turns the TypeScript into CommonJS under build/deploy-aws/,
// leaving aws-cdk-lib and constructs to node_modules. Type checking is `tsc -p deploy/aws` (make deploy-check).
//   node deploy/aws/run.mjs            synthesise (what cdk.json's "app" runs)
//   node deploy/aws/run.mjs --test     build the tests and run them with node --test
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const out = path.join(root, process.env.BUILD || 'build', 'deploy-aws');
const testing = process.argv.includes('--test');
const tests = readdirSync(path.join(here, 'test')).filter((f) => f.endsWith('.test.ts'));

await build({
  entryPoints: testing ? tests.map((f) => path.join(here, 'test', f)) : [path.join(here, 'bin', 'app.ts')],
  outdir: out,
  outbase: here,
  bundle: true,
  packages: 'external',
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
  sourcemap: 'inline',
  logLevel: 'warning',
});

// Relative paths of the context (assetDir) are the repository root's, wherever the CLI was started.
process.env.BOOKCHAT_REPO = root;
if (testing) {
  const files = tests.map((f) => path.join(out, 'test', f.replace(/\.ts$/, '.cjs')));
  const extra = process.argv.slice(process.argv.indexOf('--test') + 1);
  const r = spawnSync(process.execPath, ['--enable-source-maps', '--test', ...extra, ...files], { stdio: 'inherit', env: process.env });
  process.exit(r.status ?? 1);
} else {
  createRequire(import.meta.url)(path.join(out, 'bin', 'app.cjs'));
}
