// The app's entry point as the CDK CLI runs it (cdk.json: node run.mjs, with the context and the output
// directory in CDK_CONTEXT_JSON and CDK_OUTDIR): it writes the stage's template, and refuses to synthesise
// the Lambda shape without a Lambda package.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

const root = process.env.BOOKCHAT_REPO ?? process.cwd();

function runApp(context: Record<string, unknown>) {
  const out = mkdtempSync(path.join(tmpdir(), 'bc-cdk-'));
  const r = spawnSync(process.execPath, [path.join(root, 'deploy/aws/run.mjs')], {
    cwd: path.join(root, 'deploy/aws'),
    env: { ...process.env, CDK_OUTDIR: out, CDK_CONTEXT_JSON: JSON.stringify(context) },
    encoding: 'utf8',
  });
  return { ...r, out };
}

test('synthesises Bookchat-<stage> into the CLI output directory, the package path taken from the repository root', () => {
  const r = runApp({ stage: 'qa', account: '222222222222', assetDir: 'deploy/aws/test/fixtures/lambda-package' });
  try {
    assert.equal(r.status, 0, r.stderr);
    const template = JSON.parse(readFileSync(path.join(r.out, 'Bookchat-qa.template.json'), 'utf8'));
    const fns = Object.values(template.Resources as Record<string, { Type: string }>).filter((x) => x.Type === 'AWS::Lambda::Function');
    assert.equal(fns.length, 1);
    const manifest = JSON.parse(readFileSync(path.join(r.out, 'manifest.json'), 'utf8'));
    assert.equal(manifest.artifacts['Bookchat-qa'].environment, 'aws://222222222222/us-east-1');
  } finally {
    rmSync(r.out, { recursive: true, force: true });
  }
});

test('without the Lambda package it says to run make lambda-package', () => {
  const r = runApp({ assetDir: 'build/no-such-package' });
  rmSync(r.out, { recursive: true, force: true });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /no Lambda package at .*build\/no-such-package: run `make lambda-package` first/);
});

test('a malformed context value stops it with the reason', () => {
  const r = runApp({ compute: 'ec2', assetDir: 'deploy/aws/test/fixtures/lambda-package' });
  rmSync(r.out, { recursive: true, force: true });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /context compute: expected one of lambda, fargate, got ec2/);
});
