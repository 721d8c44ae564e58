// Device authentication on the registry: each password kind, user credentials, disabled devices, gateways, X.509
// against trust anchors, and the cache of verified credentials, dropped when the registry changes the device.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { encrypt } from 'unixcrypt';
import { DeviceAuthenticator, type DeviceAuthOutcome } from '../../src/server-lite/devices/auth.js';
import { DeviceDirectory } from '../../src/server-lite/devices/directory.js';
import { PasswordPool } from '../../src/server-lite/identity/oidc/password-pool.js';
import { Registry } from '../../src/server-lite/registry/registry.js';
import { type Db, openStore } from '../../src/server-lite/store/db.js';
import { opensslCa, opensslClientCert, type TestCert } from '../helpers/certs.js';
import { tempDir } from '../helpers/serve.js';

const alice = { user: 'alice' };
const dir = tempDir('drg-device-auth-');
let db: Db;
let registry: Registry;
let auth: DeviceAuthenticator;
let ca: TestCert;
/** How many bcrypt and sha512-crypt checks the pool ran. */
let slowChecks = 0;

function device(name: string, spec: Record<string, unknown>) {
  registry.devices.create(alice, 'app1', { metadata: { name, application: 'app1' }, spec });
}

function setSpec(name: string, spec: Record<string, unknown>) {
  const current = JSON.parse(registry.devices.get(alice, 'app1', name));
  registry.devices.update(alice, 'app1', name, { ...current, spec });
}

before(() => {
  db = openStore(dir);
  registry = new Registry(db);
  ca = opensslCa(
    dir,
    'ca',
    [
      ['CN', 'app1'],
      ['O', 'Drogue IoT'],
      ['OU', 'Cloud'],
    ],
    30,
  );
  registry.applications.create(alice, {
    metadata: { name: 'app1' },
    spec: { trustAnchors: { anchors: [{ certificate: Buffer.from(ca.pem).toString('base64') }] } },
  });
  device('plain', { authentication: { credentials: [{ pass: 'secret' }] } });
  device('bcrypt', { authentication: { credentials: [{ pass: { bcrypt: bcrypt.hashSync('secret', 4) } }] } });
  device('sha512', { credentials: { credentials: [{ pass: { sha512: encrypt('secret') } }] } });
  device('user', { authentication: { credentials: [{ user: { username: 'joe', password: { plain: 'pw' } } }] } });
  device('off', { authentication: { credentials: [{ pass: 'secret' }] }, core: { disabled: true } });
  device('gw', { authentication: { credentials: [{ pass: 'secret' }] } });
  device('behind', { gatewaySelector: { matchNames: ['gw'] } });
  device('x509', { alias: ['CN=x509, O=Drogue IoT, OU=app1'] });
  auth = new DeviceAuthenticator(new DeviceDirectory(db), registry.events, () => {
    const pool = new PasswordPool({ threads: 1 });
    const compare = pool.compare.bind(pool);
    const sha = pool.compareSha512Crypt.bind(pool);
    pool.compare = (p, h) => {
      slowChecks++;
      return compare(p, h);
    };
    pool.compareSha512Crypt = (p, h) => {
      slowChecks++;
      return sha(p, h);
    };
    return pool;
  });
});

after(async () => {
  await auth.close();
  db.close();
});

/** password() answers at once for credentials it has verified before, else with a promise. */
type Answer = DeviceAuthOutcome | Promise<DeviceAuthOutcome>;

const ok = async (answer: Answer, device: string) => {
  const outcome = (await answer) as { outcome: string; device?: { device: { name: string } } };
  assert.equal(outcome.outcome, 'ok', JSON.stringify(outcome));
  assert.equal(outcome.device?.device.name, device);
};
const refusedFor = async (answer: Answer, reason: string) => {
  assert.deepEqual(await answer, { outcome: 'refused', reason });
};

describe('passwords', () => {
  for (const name of ['plain', 'bcrypt', 'sha512']) {
    test(`${name}: the right password, and a wrong one refused`, async () => {
      await ok(auth.password({ app: 'app1', device: name, password: 'secret' }), name);
      await refusedFor(auth.password({ app: 'app1', device: name, password: 'Secret' }), 'bad-credentials');
    });
  }

  test('a user credential by its user name, with or without the device', async () => {
    await ok(auth.password({ app: 'app1', username: 'joe', password: 'pw' }), 'user');
    await ok(auth.password({ app: 'app1', username: 'joe', device: 'user', password: 'pw' }), 'user');
    await refusedFor(auth.password({ app: 'app1', username: 'joe', password: 'nope' }), 'bad-credentials');
    await refusedFor(
      auth.password({ app: 'app1', username: 'joe', device: 'plain', password: 'pw' }),
      'bad-credentials',
    );
  });

  test('a disabled device, a missing one, a missing application', async () => {
    await refusedFor(auth.password({ app: 'app1', device: 'off', password: 'secret' }), 'disabled');
    await refusedFor(auth.password({ app: 'app1', device: 'nobody', password: 'secret' }), 'bad-credentials');
    await refusedFor(auth.password({ app: 'nope', device: 'plain', password: 'secret' }), 'bad-credentials');
  });

  test('a verified bcrypt password is remembered; a changed password stops working at once', async () => {
    setSpec('bcrypt', { authentication: { credentials: [{ pass: { bcrypt: bcrypt.hashSync('first', 4) } }] } });
    await ok(auth.password({ app: 'app1', device: 'bcrypt', password: 'first' }), 'bcrypt');
    const checks = slowChecks;
    for (let i = 0; i < 20; i++)
      await ok(auth.password({ app: 'app1', device: 'bcrypt', password: 'first' }), 'bcrypt');
    assert.equal(slowChecks, checks, 'no bcrypt for a remembered credential');
    const remembered = auth.password({ app: 'app1', device: 'bcrypt', password: 'first' });
    assert.ok(!(remembered instanceof Promise), 'a remembered credential is answered at once');
    await ok(remembered, 'bcrypt');
    setSpec('bcrypt', { authentication: { credentials: [{ pass: { bcrypt: bcrypt.hashSync('second', 4) } }] } });
    await refusedFor(auth.password({ app: 'app1', device: 'bcrypt', password: 'first' }), 'bad-credentials');
    await ok(auth.password({ app: 'app1', device: 'bcrypt', password: 'second' }), 'bcrypt');
    setSpec('bcrypt', {
      authentication: { credentials: [{ pass: { bcrypt: bcrypt.hashSync('second', 4) } }] },
      core: { disabled: true },
    });
    await refusedFor(auth.password({ app: 'app1', device: 'bcrypt', password: 'second' }), 'disabled');
  });

  test("a write of another device's status, or of this one's, keeps what is remembered", async () => {
    setSpec('bcrypt', { authentication: { credentials: [{ pass: { bcrypt: bcrypt.hashSync('third', 4) } }] } });
    await ok(auth.password({ app: 'app1', device: 'bcrypt', password: 'third' }), 'bcrypt');
    const checks = slowChecks;
    for (const name of ['bcrypt', 'plain']) {
      const current = JSON.parse(registry.devices.get(alice, 'app1', name));
      registry.devices.update(alice, 'app1', name, { ...current, status: { firmware: { current: `${checks}` } } });
      await ok(auth.password({ app: 'app1', device: 'bcrypt', password: 'third' }), 'bcrypt');
    }
    assert.equal(slowChecks, checks, 'a status write changes no credential');
  });

  test('a check under way while the password changes is not remembered', async () => {
    setSpec('sha512', { credentials: { credentials: [{ pass: { sha512: encrypt('old') } }] } });
    const checking = auth.password({ app: 'app1', device: 'sha512', password: 'old' });
    setSpec('sha512', { credentials: { credentials: [{ pass: { sha512: encrypt('new') } }] } });
    await checking;
    await refusedFor(auth.password({ app: 'app1', device: 'sha512', password: 'old' }), 'bad-credentials');
  });
});

describe('gateways', () => {
  test('a gateway acts for a device that lists it, not for others', async () => {
    const outcome = await auth.password({ app: 'app1', device: 'gw', password: 'secret' });
    assert.equal(outcome.outcome, 'ok');
    if (outcome.outcome !== 'ok') return;
    assert.equal(auth.actAs(outcome.device, 'behind')?.device.name, 'behind');
    assert.equal(auth.actAs(outcome.device, 'plain'), undefined);
    assert.equal(auth.actAs(outcome.device, 'nobody'), undefined);
    setSpec('behind', { gatewaySelector: { matchNames: ['gw'] }, core: { disabled: true } });
    assert.equal(auth.actAs(outcome.device, 'behind'), undefined, 'not for a disabled device');
    setSpec('behind', { gatewaySelector: { matchNames: ['gw'] } });
  });

  test('onChange names the application and the device', () => {
    const seen: Array<[string, string | undefined]> = [];
    const stop = auth.onChange((app, dev) => seen.push([app, dev]));
    setSpec('plain', { authentication: { credentials: [{ pass: 'secret' }] }, alias: ['p'] });
    stop();
    setSpec('plain', { authentication: { credentials: [{ pass: 'secret' }] } });
    assert.deepEqual(seen, [['app1', 'plain']]);
  });
});

describe('X.509', () => {
  const der = (pem: string) => Buffer.from(new X509Certificate(pem).raw);

  test('a certificate issued by a trust anchor authenticates the device named by its subject (as an alias)', async () => {
    const cert = opensslClientCert(dir, 'x509', ca, [
      ['CN', 'x509'],
      ['O', 'Drogue IoT'],
      ['OU', 'app1'],
    ]);
    await ok(auth.certificate([der(cert.pem)]), 'x509');
    await ok(auth.certificate([der(cert.pem)], 'app1'), 'x509');
    await refusedFor(auth.certificate([der(cert.pem)], 'other'), 'bad-credentials');
  });

  test('a certificate naming no device is not authorized; a foreign CA and garbage are refused', async () => {
    const stranger = opensslClientCert(dir, 'stranger', ca, [['CN', 'stranger']]);
    await refusedFor(auth.certificate([der(stranger.pem)]), 'not-authorized');
    const foreign = opensslCa(
      dir,
      'foreign',
      [
        ['CN', 'app1'],
        ['O', 'Drogue IoT'],
        ['OU', 'Cloud'],
      ],
      30,
    );
    const forged = opensslClientCert(dir, 'forged', foreign, [
      ['CN', 'x509'],
      ['O', 'Drogue IoT'],
      ['OU', 'app1'],
    ]);
    await refusedFor(auth.certificate([der(forged.pem)]), 'bad-credentials');
    await refusedFor(auth.certificate([Buffer.from('not a certificate')]), 'bad-credentials');
    await refusedFor(auth.certificate([]), 'bad-credentials');
  });
});

test('X.509: a subject in another order than the alias (drg 0.11 makes O, OU, CN certificates) still names it', async () => {
  const cert = opensslClientCert(dir, 'reordered', ca, [
    ['O', 'Drogue IoT'],
    ['OU', 'app1'],
    ['CN', 'x509'],
  ]);
  const outcome = await auth.certificate([Buffer.from(new X509Certificate(cert.pem).raw)]);
  assert.equal(outcome.outcome, 'ok', JSON.stringify(outcome));
});
