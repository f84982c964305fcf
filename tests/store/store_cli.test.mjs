// `bookchat store init|check` against a real DynamoDB-protocol server (dynalite) and LMDB: table creation,
// idempotence, the checks (missing table, key schema, TTL) and the errors an operator sees.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { cli, tempDir } from '../api/harness.mjs';
import { startDynalite, FAKE_AWS_ENV } from './with-dynalite.mjs';

let d;
const env = { ...FAKE_AWS_ENV, BOOKCHAT_STORE: '' };
delete env.AWS_SESSION_TOKEN;

before(async () => {
  d = await startDynalite();
});
after(async () => {
  await d.stop();
});

test('store check reports a missing table and exits 1', async () => {
  const r = await cli(['store', 'check', '--json', '--store', d.url('absent-table')], { env });
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.json.ok, false);
  assert.match(JSON.stringify(r.json.check.problems), /does not exist/);
});

test('store init creates the table once, then is idempotent; check passes', async () => {
  const url = d.url('cli-table');
  const first = await cli(['store', 'init', '--json', '--store', url], { env });
  assert.equal(first.code, 0, first.stderr + first.stdout);
  assert.equal(first.json.init.created, true);
  assert.equal(first.json.check.ok, true);
  assert.equal(first.json.check.billing_mode, 'PAY_PER_REQUEST');
  assert.equal(first.json.check.key_schema_ok, true);
  const again = await cli(['store', 'init', '--json', '--store', url], { env });
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.json.init.created, false);
  const check = await cli(['store', 'check', '--store', url], { env });
  assert.equal(check.code, 0, check.stderr);
  assert.match(check.stdout, /store check: ok/);
  assert.match(check.stdout, /table_status\s+ACTIVE/);
});

test('without ttl=reap, an engine lacking TTL is refused with a hint', async () => {
  const url = d.url('native-ttl', { ttl: '' });
  const init = await cli(['store', 'init', '--store', url], { env });
  assert.equal(init.code, 1);
  assert.match(init.stdout + init.stderr, /ttl=reap/);
  const check = await cli(['store', 'check', '--json', '--store', url], { env });
  assert.equal(check.code, 1);
  assert.match(JSON.stringify(check.json.check.problems), /TTL is not enabled/);
});

test('a table with another key schema fails init and check', async () => {
  // created through the protocol directly: dynalite checks that a request is signed, not the signature
  const res = await fetch(d.endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': 'DynamoDB_20120810.CreateTable',
      'X-Amz-Date': '20260101T000000Z',
      Authorization:
        'AWS4-HMAC-SHA256 Credential=AKIDDYNALITETEST/20260101/us-east-1/dynamodb/aws4_request, ' +
        'SignedHeaders=host, Signature=00',
    },
    body: JSON.stringify({
      TableName: 'wrong-schema',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  });
  assert.equal(res.status, 200, await res.text());
  const url = d.url('wrong-schema');
  const check = await cli(['store', 'check', '--json', '--store', url], { env });
  assert.equal(check.code, 1);
  assert.equal(check.json.check.key_schema_ok, false);
  const init = await cli(['store', 'init', '--json', '--store', url], { env });
  assert.equal(init.code, 1);
  assert.match(init.json.init.message, /another key schema/);
});

test('configuration errors are one clear line and exit 1; bad usage exits 2', async () => {
  const noCreds = await cli(['store', 'check', '--store', d.url('cli-table')], {
    env: { ...env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' },
  });
  assert.equal(noCreds.code, 1);
  assert.match(noCreds.stderr, /AWS_ACCESS_KEY_ID/);
  const badUrl = await cli(['store', 'check', '--store', 'dynamodb://x?region=eu-west-1'], { env });
  assert.equal(badUrl.code, 1);
  assert.match(badUrl.stderr, /table name/);
  const down = await cli(['store', 'check', '--json', '--store', 'dynamodb://tbl?endpoint=http://127.0.0.1:1&retries=0'], {
    env,
  });
  assert.equal(down.code, 1);
  assert.match(JSON.stringify(down.json.check.problems), /network/);
  const usage = await cli(['store', 'migrate'], { env });
  assert.equal(usage.code, 2);
});

test('store init and check work on LMDB too', async () => {
  const dir = tempDir('bc-store-cli');
  try {
    const init = await cli(['store', 'init', '--json', '--store', `lmdb:${dir}/db`], { env });
    assert.equal(init.code, 0, init.stderr);
    assert.equal(init.json.check.backend, 'lmdb');
    const check = await cli(['store', 'check', '--json', '--data', dir], { env });
    assert.equal(check.code, 0, check.stderr);
    assert.equal(check.json.check.ok, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
