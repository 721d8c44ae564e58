import assert from 'node:assert/strict';
import { test } from 'node:test';
import { verify } from 'unixcrypt';
import { DrgError, UsageError } from '../../src/errors.js';
import type { Device } from '../../src/model/resource.js';
import {
  hashPassword,
  passwordCredential,
  pskCredential,
  withAlias,
  withCredential,
  withGateway,
} from '../../src/resources/device-spec.js';

/** spec.authentication.credentials of a device. */
const authCredentials = (d: Device) => (d.spec?.authentication as { credentials: unknown[] } | undefined)?.credentials;

const device = (spec?: Record<string, unknown>): Device => ({
  metadata: { name: 'd1', application: 'app1', resourceVersion: 'rv1' },
  ...(spec ? { spec } : {}),
});

test('passwords are hashed with sha512-crypt and a random salt', () => {
  const a = hashPassword('s3cret');
  const b = hashPassword('s3cret');
  assert.match(a, /^\$6\$/);
  assert.notEqual(a, b);
  assert.ok(verify('s3cret', a));
  assert.ok(!verify('other', a));
  assert.ok(!a.includes('s3cret'));
});

test('a password credential goes into both sections, created when missing', () => {
  const next = withCredential(device(), passwordCredential('$6$x$y'));
  assert.deepEqual(next.spec, {
    authentication: { credentials: [{ pass: { sha512: '$6$x$y' } }] },
    credentials: { credentials: [{ pass: { sha512: '$6$x$y' } }] },
  });
  assert.equal(next.metadata.resourceVersion, 'rv1', 'the resourceVersion is carried for optimistic locking');
});

test('a new pass replaces the old one; other credentials stay in place', () => {
  const user = { user: { username: 'u1', password: 'old', unique: false } };
  const before = device({
    authentication: { credentials: [{ pass: 'old' }, user, { pass: { plain: 'older' } }] },
    credentials: { credentials: [user] },
    core: { disabled: false },
  });
  const next = withCredential(before, passwordCredential('$6$n$h'));
  assert.deepEqual(next.spec?.authentication, { credentials: [{ pass: { sha512: '$6$n$h' } }, user] });
  assert.deepEqual(next.spec?.credentials, { credentials: [user, { pass: { sha512: '$6$n$h' } }] });
  assert.deepEqual(next.spec?.core, { disabled: false });
  assert.equal(authCredentials(before)?.length, 3, 'input kept');
});

test('a user credential replaces the one with the same username only', () => {
  const before = device({
    authentication: {
      credentials: [
        { user: { username: 'u1', password: 'a', unique: true } },
        { user: { username: 'u2', password: 'b', unique: false } },
        { pass: 'p' },
      ],
    },
  });
  const next = withCredential(before, passwordCredential('$6$s$h', 'u2'));
  assert.deepEqual(authCredentials(next), [
    { user: { username: 'u1', password: 'a', unique: true } },
    { user: { username: 'u2', password: { sha512: '$6$s$h' }, unique: false } },
    { pass: 'p' },
  ]);
  const added = withCredential(before, passwordCredential('$6$s$h', 'u3'));
  assert.equal(authCredentials(added)?.length, 4);
});

test('psk: text keys are base64-encoded, base64 keys are checked and kept; one psk at a time', () => {
  assert.deepEqual(pskCredential('my key'), { psk: { key: Buffer.from('my key').toString('base64') } });
  assert.deepEqual(pskCredential('AAEC/w==', { base64: true }), { psk: { key: 'AAEC/w==' } });
  assert.throws(() => pskCredential('not base64!', { base64: true }), UsageError);
  assert.throws(() => pskCredential(''), UsageError);
  const once = withCredential(device(), pskCredential('k1'));
  const twice = withCredential(once, pskCredential('k2'));
  assert.deepEqual(authCredentials(twice), [{ psk: { key: Buffer.from('k2').toString('base64') } }]);
});

test('malformed credential sections are an error, not overwritten', () => {
  assert.throws(
    () => withCredential(device({ authentication: { credentials: 'x' } }), passwordCredential('$6$a$b')),
    (err: Error) => err instanceof DrgError && /spec.authentication.credentials is not a list/.test(err.message),
  );
  assert.throws(() => withCredential(device({ credentials: [] }), passwordCredential('$6$a$b')), DrgError);
});

test('gateways and aliases are added once, keeping what is there', () => {
  const before = device({ gatewaySelector: { matchNames: ['gw1'] }, alias: ['a1'] });
  const gw = withGateway(withGateway(before, 'gw2'), 'gw2');
  assert.deepEqual(gw.spec?.gatewaySelector, { matchNames: ['gw1', 'gw2'] });
  assert.deepEqual(withGateway(before, 'gw1').spec, before.spec);
  const al = withAlias(withAlias(before, 'a2'), 'a1');
  assert.deepEqual(al.spec?.alias, ['a1', 'a2']);
  assert.deepEqual(withAlias(device(), 'x').spec, { alias: ['x'] });
  assert.throws(() => withAlias(device({ alias: 'x' }), 'y'), /spec.alias is not a list/);
});
