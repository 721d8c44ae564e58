// `drg set` and `drg label` against a real drg serve.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { verify } from 'unixcrypt';
import type { Resource } from '../../src/model/resource.js';
import { contextApi } from '../helpers/context-api.js';
import { runDrg as drg, localServerDuringTests } from '../helpers/drg.js';

const serve = localServerDuringTests();
const api = contextApi(serve);

before(async () => {
  await serve.ready();
  await api.createApp({ metadata: { name: 'set-app', labels: { a: '1', b: '2' } } });
});

const run = (args: string[], opts: { input?: string } = {}) => drg(serve.configPath, args, opts);

async function newDevice(name: string, spec?: Record<string, unknown>): Promise<void> {
  await api.createDevice('set-app', { metadata: { name, application: 'set-app' }, ...(spec ? { spec } : {}) });
}

function credentials(device: Resource | undefined, section: 'authentication' | 'credentials'): unknown[] {
  return (device?.spec?.[section] as { credentials?: unknown[] } | undefined)?.credentials ?? [];
}

test('set password stores a sha512-crypt hash in both sections, never the password', async () => {
  await newDevice('pw-dev', { authentication: { credentials: [{ psk: { key: 'AA==' } }] } });
  const res = await run(['set', 'password', '--app', 'set-app', 'pw-dev', 'correct horse']);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stdout, 'Device pw-dev updated\n');
  const device = await api.getDevice('set-app', 'pw-dev');
  const auth = credentials(device, 'authentication') as { pass?: { sha512: string } }[];
  assert.deepEqual(auth[0], { psk: { key: 'AA==' } }, 'other credentials stay');
  const hash = auth[1].pass!.sha512;
  assert.match(hash, /^\$6\$/);
  assert.ok(verify('correct horse', hash));
  assert.deepEqual(credentials(device, 'credentials'), [{ pass: { sha512: hash } }]);
  assert.ok(!JSON.stringify(device).includes('correct horse'));
  assert.ok(!serve.logs().includes('correct horse'));

  const again = await run(['set', 'password', 'pw-dev', '--password-stdin', '-a', 'set-app'], { input: 'second\n' });
  assert.equal(again.code, 0, again.stderr);
  const after = await api.getDevice('set-app', 'pw-dev');
  const passes = credentials(after, 'authentication').filter((c) => Object.hasOwn(c as object, 'pass'));
  assert.equal(passes.length, 1, 'replaced, not duplicated');
  assert.ok(verify('second', (passes[0] as { pass: { sha512: string } }).pass.sha512));
});

test('set password --username writes a user credential, replacing the same username only', async () => {
  await newDevice('user-dev');
  for (const [user, password] of [
    ['alice', 'one'],
    ['bob', 'two'],
    ['alice', 'three'],
  ]) {
    const res = await run(['set', 'password', 'user-dev', password, '--username', user, '--app', 'set-app']);
    assert.equal(res.code, 0, res.stderr);
  }
  const device = await api.getDevice('set-app', 'user-dev');
  for (const section of ['authentication', 'credentials'] as const) {
    const users = credentials(device, section) as {
      user: { username: string; password: { sha512: string }; unique: boolean };
    }[];
    assert.deepEqual(
      users.map((c) => c.user.username),
      ['alice', 'bob'],
    );
    assert.ok(verify('three', users[0].user.password.sha512));
    assert.ok(verify('two', users[1].user.password.sha512));
    assert.equal(users[0].user.unique, false);
  }
});

test('set gateway and set alias add once; set psk stores base64', async () => {
  await newDevice('gw-dev');
  await newDevice('gw-1');
  await newDevice('gw-2');
  for (let i = 0; i < 2; i++) {
    assert.equal((await run(['set', 'gateway', 'gw-dev', 'gw-1', '--app', 'set-app'])).code, 0);
    assert.equal((await run(['set', 'alias', 'gw-dev', 'alias-1', '--app', 'set-app'])).code, 0);
  }
  const repeated = await run(['set', 'alias', 'gw-dev', 'alias-1', '--app', 'set-app', '-o', 'json']);
  assert.deepEqual(JSON.parse(repeated.stdout), { status: 'success', message: 'Device gw-dev unchanged' });
  await run(['set', 'gateway', 'gw-dev', 'gw-2', '--app', 'set-app']);
  const psk = await run(['set', 'psk', 'gw-dev', 'shared secret', '--app', 'set-app']);
  assert.equal(psk.code, 0, psk.stderr);
  const device = await api.getDevice('set-app', 'gw-dev');
  assert.deepEqual(device?.spec?.gatewaySelector, { matchNames: ['gw-1', 'gw-2'] });
  assert.deepEqual(device?.spec?.alias, ['alias-1']);
  assert.deepEqual(credentials(device, 'authentication'), [
    { psk: { key: Buffer.from('shared secret').toString('base64') } },
  ]);
});

test('set gateway refuses a gateway that does not exist, and the device itself; nothing is written', async () => {
  await newDevice('lonely');
  const before = await api.getDevice('set-app', 'lonely');
  const missing = await run(['set', 'gateway', 'lonely', 'nosuchgw', '--app', 'set-app']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^error: there is no device nosuchgw in application set-app to be the gateway\n/);
  assert.match(missing.stderr, /drg create device nosuchgw --app set-app/);
  const itself = await run(['set', 'gateway', 'lonely', 'lonely', '--app', 'set-app']);
  assert.equal(itself.code, 2);
  assert.match(itself.stderr, /a device cannot be its own gateway/);
  assert.equal((await api.getDevice('set-app', 'lonely'))?.metadata.resourceVersion, before?.metadata.resourceVersion);
});

test('unset gateway and unset alias remove what set added; removing what is not there changes nothing', async () => {
  await newDevice('unset-dev');
  await newDevice('unset-gw');
  await newDevice('other-gw');
  assert.equal((await run(['set', 'gateway', 'unset-dev', 'unset-gw', '--app', 'set-app'])).code, 0);
  assert.equal((await run(['set', 'gateway', 'unset-dev', 'other-gw', '--app', 'set-app'])).code, 0);
  assert.equal((await run(['set', 'alias', 'unset-dev', 'a-1', '--app', 'set-app'])).code, 0);
  const removed = await run(['unset', 'gateway', 'unset-dev', 'unset-gw', '--app', 'set-app']);
  assert.equal(removed.stdout, 'Device unset-dev updated\n', removed.stderr);
  assert.equal((await run(['unset', 'alias', 'unset-dev', 'a-1', '--app', 'set-app'])).code, 0);
  const device = await api.getDevice('set-app', 'unset-dev');
  assert.deepEqual(device?.spec?.gatewaySelector, { matchNames: ['other-gw'] });
  assert.deepEqual(device?.spec?.alias, []);
  const again = await run(['unset', 'alias', 'unset-dev', 'a-1', '--app', 'set-app', '-o', 'json']);
  assert.deepEqual(JSON.parse(again.stdout), { status: 'success', message: 'Device unset-dev unchanged' });
});

test('set on a missing device is a 404 failure', async () => {
  const res = await run(['set', 'alias', 'nope', 'x', '--app', 'set-app', '-o', 'json']);
  assert.equal(res.code, 1);
  const doc = JSON.parse(res.stdout);
  assert.equal(doc.status, 'failure');
  assert.equal(doc.http_status, 404);
});

test('label merges, changes and removes (k-); other labels stay', async () => {
  const res = await run(['label', 'application', 'set-app', 'b=3', 'c=4', 'a-']);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stdout, 'Application set-app updated\n');
  assert.deepEqual((await api.getApp('set-app'))?.metadata.labels, { b: '3', c: '4' });

  await newDevice('label-dev');
  const dev = await run(['label', 'device', 'label-dev', 'example.com/role=sensor', '--app', 'set-app']);
  assert.equal(dev.code, 0, dev.stderr);
  assert.equal(dev.stdout, 'Device label-dev updated\n');
  const again = await run(['label', 'device', 'label-dev', 'example.com/role=sensor', '--app', 'set-app']);
  assert.equal(again.stdout, 'Device label-dev unchanged\n');
  const named = await run(['label', 'device', 'label-dev', 'tier=edge', '--app', 'set-app', '-o', 'name']);
  assert.equal(named.stdout, 'device/label-dev\n', '-o name prints kind/name, like kubectl');
  assert.deepEqual((await api.getDevice('set-app', 'label-dev'))?.metadata.labels, {
    'example.com/role': 'sensor',
    tier: 'edge',
  });
});

test('invalid labels are a usage error before any request', async () => {
  const before = await api.getApp('set-app');
  const res = await run(['label', 'app', 'set-app', 'ok=1', 'bad key=x', '-o', 'json']);
  assert.equal(res.code, 2);
  assert.equal(JSON.parse(res.stdout).status, 'failure');
  const missing = await run(['label', 'app', 'no-such-app', 'bad key=x']);
  assert.equal(missing.code, 2, 'rejected before asking the server (which would say 404)');
  assert.equal((await api.getApp('set-app'))?.metadata.resourceVersion, before?.metadata.resourceVersion);
});
