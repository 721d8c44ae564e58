// What a new user ran into: each a clear answer with a way forward, instead of silence, a loop or raw HTML.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { contextApi } from '../helpers/context-api.js';
import { localServerDuringTests, runDrg } from '../helpers/drg.js';
import { newConfigPath, ok, tempDir } from '../helpers/serve.js';
import { peer } from '../helpers/transport.js';

const serve = localServerDuringTests();
const api = contextApi(serve);
const run = (...args: string[]) => serve.run(args);

test('drg login against something that is not a Drogue Cloud says so, without printing what it answered', async (t) => {
  const html = '<!doctype html><html><body><h1>Welcome to nginx!</h1></body></html>';
  const pages: [number, string, string][] = [
    [200, 'text/html', html],
    [404, 'text/html', html],
    [404, 'text/plain', 'Not Found'],
    [200, 'application/json', '[1, 2]'],
  ];
  for (const [status, type, body] of pages) {
    const { url } = await peer(t, (_req, res) => res.writeHead(status, { 'content-type': type }).end(body));
    const res = await runDrg(newConfigPath(), ['login', url, '--access-token', 'admin:whatever']);
    assert.equal(res.code, 1, `${status} ${type}`);
    assert.match(res.stderr, new RegExp(`^error: ${url} is not a Drogue Cloud API endpoint: it `));
    assert.match(res.stderr, /\ngive the cluster's API URL/);
    assert.ok(!res.stderr.includes('nginx') && !res.stderr.includes('<'), res.stderr);
  }
});

test('a deleted access token: the credentials were rejected, and how to log in again (exit 4)', async () => {
  const { token, prefix } = serve.server.accessTokens.create('admin', 'soon deleted');
  const config = newConfigPath();
  ok(await runDrg(config, ['login', serve.url, '--access-token-stdin', '-c', 'doomed'], { input: `admin:${token}\n` }));
  ok(await runDrg(config, ['delete', 'token', prefix]));
  const res = await runDrg(config, ['get', 'apps']);
  assert.equal(res.code, 4);
  assert.equal(
    res.stderr,
    `error: ${serve.url} rejected the credentials of context doomed: the access token was deleted, or belongs to another user or server\n` +
      `log in again with a valid token: drg login ${serve.url} --access-token USER:TOKEN -c doomed\n`,
  );
  assert.ok(!res.stderr.includes('forbidden'));
});

test('login reads secrets from stdin or the environment, never only from argv', async () => {
  const stdin = newConfigPath();
  ok(await runDrg(stdin, ['login', serve.url, '--access-token-stdin'], { input: `admin:${serve.token}\n` }));
  assert.equal(JSON.parse(ok(await runDrg(stdin, ['whoami', '-o', 'json'])).stdout).user, 'admin');
  const env = newConfigPath();
  ok(await runDrg(env, ['login', serve.url], { env: { DRG_ACCESS_TOKEN: `admin:${serve.token}` } }));
  assert.equal(JSON.parse(ok(await runDrg(env, ['whoami', '-o', 'json'])).stdout).user, 'admin');
  const both = await runDrg(newConfigPath(), ['login', serve.url, '--access-token-stdin', '--device']);
  assert.equal(both.code, 2);
  const bad = await runDrg(newConfigPath(), ['login', serve.url, '--access-token-stdin'], { input: 'no-colon' });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^error: the access token on stdin must be USER:TOKEN/);
  const help = ok(await runDrg(newConfigPath(), ['login', '--help'])).stdout.replace(/\s+/g, ' ');
  assert.match(help, /visible in the process list: prefer --access-token-stdin/);
  assert.match(help, /DRG_ACCESS_TOKEN/);
});

test('whoami --token with an access token says it works only as Basic USER:TOKEN', async () => {
  const res = ok(await run('whoami', '--token'));
  assert.equal(res.stdout, `${serve.token}\n`);
  assert.match(res.stderr, /an access token: send it as HTTP Basic credentials admin:TOKEN/);
});

test('commands that change things follow one -o rule: a document for json and yaml, kind/name for name', async () => {
  ok(await run('create', 'app', 'outcomes'));
  const yaml = ok(await run('create', 'device', 'y1', '--app', 'outcomes', '-o', 'yaml'));
  assert.deepEqual(parse(yaml.stdout), { status: 'success', message: 'Device y1 created' });
  const json = ok(await run('label', 'device', 'y1', 'a=b', '--app', 'outcomes', '-o', 'json'));
  assert.deepEqual(JSON.parse(json.stdout), { status: 'success', message: 'Device y1 updated' });
  assert.equal(ok(await run('delete', 'device', 'y1', '--app', 'outcomes', '-o', 'name')).stdout, 'device/y1\n');
  const failed = await run('delete', 'device', 'y1', '--app', 'outcomes', '-o', 'yaml');
  assert.equal(failed.code, 1);
  assert.deepEqual(parse(failed.stdout), {
    status: 'failure',
    message: "device 'y1' in application 'outcomes' not found",
    http_status: 404,
  });
});

test('a spec field the cloud does not understand is a warning that names the right place', async () => {
  ok(await run('create', 'app', 'specs'));
  ok(await run('create', 'device', 'd1', '--app', 'specs'));
  const res = ok(await run('edit', 'device', 'd1', '--app', 'specs', '--spec', '{"disabled": true}'));
  assert.equal(res.stdout, 'Device d1 updated\n');
  assert.match(
    res.stderr,
    /^warning: device d1: Drogue Cloud does not act on spec.disabled \(did you mean spec.core.disabled\?\)/,
  );
  const typo = ok(await run('create', 'device', 'd2', '--app', 'specs', '--spec', '{"core": {"disable": true}}'));
  assert.match(typo.stderr, /spec.core.disable\b/);
  const fine = ok(await run('create', 'device', 'd3', '--app', 'specs', '--spec', '{"core": {"disabled": true}}'));
  assert.equal(fine.stderr, '');
});

test('transfer cancel with nothing pending is an error, not "cancelled"', async () => {
  ok(await run('create', 'app', 'no-offer'));
  const res = await run('transfer', 'cancel', 'no-offer');
  assert.equal(res.code, 1);
  assert.equal(res.stderr, "error: no transfer of application 'no-offer' is pending: nothing to cancel\n");
});

test('edit -f with a stale file: refused at once with a way forward that works', async () => {
  ok(await run('create', 'app', 'stale-edit'));
  const file = join(tempDir(), 'stale.yaml');
  writeFileSync(file, ok(await run('get', 'app', 'stale-edit', '-o', 'yaml')).stdout.replace(/^spec:.*$/m, ''));
  ok(await run('label', 'app', 'stale-edit', 'someone=else'));
  const doc = parse(ok(await run('get', 'app', 'stale-edit', '-o', 'yaml')).stdout);
  writeFileSync(
    file,
    `${ok(await run('get', 'app', 'stale-edit', '-o', 'yaml')).stdout}`.replace(
      doc.metadata.resourceVersion,
      'an-older-version',
    ),
  );
  const before = await api.getApp('stale-edit');
  for (let i = 0; i < 2; i++) {
    const res = await run('edit', 'app', 'stale-edit', '-f', file);
    assert.equal(res.code, 1);
    assert.match(
      res.stderr,
      /^error: .*stale\.yaml was written from an older version of application 'stale-edit': nothing was changed\n/,
    );
    assert.match(res.stderr, /drg apply -f .*stale\.yaml --ignore-resource-version/);
  }
  assert.equal((await api.getApp('stale-edit'))?.metadata.resourceVersion, before?.metadata.resourceVersion);
  ok(await run('apply', '-f', file, '--ignore-resource-version'));
});

test('an apply conflict says how to write the manifest over the current version', async () => {
  ok(await run('create', 'app', 'stale-apply'));
  const file = join(tempDir(), 'app.yaml');
  writeFileSync(file, 'metadata:\n  name: stale-apply\n  resourceVersion: not-the-current-one\nspec:\n  v: 1\n');
  const res = await run('apply', '-f', file);
  assert.equal(res.code, 1);
  assert.match(res.stderr, /changed by someone else/);
  assert.match(res.stderr, /run drg apply --ignore-resource-version/);
});

test('--no-headers, and a clear line for an empty list instead of a bare header', async () => {
  ok(await run('create', 'app', 'headless'));
  const empty = ok(await run('get', 'devices', '--app', 'headless'));
  assert.equal(empty.stdout, '');
  assert.equal(empty.stderr, 'No devices found.\n');
  ok(await run('create', 'device', 'h1', '--app', 'headless'));
  const bare = ok(await run('get', 'devices', '--app', 'headless', '--no-headers'));
  assert.match(bare.stdout, /^h1\s+\d+s\n$/);
});

test("serve's files are read from the working directory drg runs in", async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'users'), 'alice:not-a-hash\n');
  writeFileSync(join(dir, 'admin-password'), 'x\ny\n', { mode: 0o600 });
  const args = ['serve', '--port', '0', '--data-dir', join(dir, 'data'), '--no-login'];
  const users = await runDrg(newConfigPath(), [...args, '--users-file', 'users'], { cwd: dir });
  assert.equal(users.code, 2);
  assert.match(users.stderr, /^error: users:1: expected NAME:BCRYPT_HASH/);
  const admin = await runDrg(newConfigPath(), [...args, '--admin-password-file', 'admin-password'], { cwd: dir });
  assert.equal(admin.code, 2);
  assert.match(admin.stderr, /^error: admin's password file must hold the password on one line/);
});
