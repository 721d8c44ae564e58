// drg serve with an HTTPS device port: discovery names it and the local CA's file, curl (a peer nobody here wrote)
// reaches the API through it, --tls-cert/--tls-key replace the local CA, and start errors are one line.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { TLS_DIR } from '../../src/server-lite/devices/tls.js';
import { opensslCa, opensslClientCert } from '../helpers/certs.js';
import { curl } from '../helpers/curl.js';
import { runDrg } from '../helpers/drg.js';
import { newConfigPath, tempDir } from '../helpers/serve.js';

const run = promisify(execFile);

import { startTestServer } from '../helpers/server.js';

test('drg serve with an HTTPS port: discovery names it and the CA file; curl reaches the API through it', async (t) => {
  const dataDir = join(tempDir(), 'data');
  const s = await startTestServer(dataDir, { httpsPort: 0 });
  t.after(() => s.close());
  const endpoints = await (await s.call('GET', '/.well-known/drogue-endpoints')).json();
  const caFile = join(dataDir, TLS_DIR, 'ca.pem');
  assert.equal(endpoints.local_certs, true);
  assert.equal(endpoints.local_ca_file, caFile);
  assert.match(endpoints.https.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.notEqual(endpoints.https.url, s.url.replace('http:', 'https:'));
  await s.waitForLog(/"msg":"made a local CA"/);

  const version = await curl(['--cacert', caFile, `${endpoints.https.url}/.well-known/drogue-version`]);
  assert.deepEqual(version, { status: 200, body: '{"version":"0.11.0"}' });
  const apps = await curl([
    '--cacert',
    caFile,
    '-H',
    `authorization: ${s.authorization}`,
    `${endpoints.https.url}/api/registry/v1alpha1/apps`,
  ]);
  assert.ok('status' in apps && apps.status === 200, JSON.stringify(apps));
  assert.deepEqual(JSON.parse(apps.body), []);
});

test('a restart reuses the local CA; one whose CA was damaged makes a new one and warns', async () => {
  const dataDir = join(tempDir(), 'data');
  const caFile = join(dataDir, TLS_DIR, 'ca.pem');
  await (await startTestServer(dataDir, { httpsPort: 0 })).close();
  const ca = readFileSync(caFile, 'utf8');

  const reused = await startTestServer(dataDir, { httpsPort: 0 });
  await reused.close();
  assert.equal(readFileSync(caFile, 'utf8'), ca);
  assert.doesNotMatch(reused.logs(), /local CA/);

  writeFileSync(caFile, ca.slice(0, 64));
  const renewed = await startTestServer(dataDir, { httpsPort: 0 });
  await renewed.close();
  const warning = JSON.parse(await renewed.waitForLog(/made a new local CA/));
  assert.equal(warning.level, 40);
  assert.equal(warning.caFile, caFile);
  assert.match(warning.msg, /TLS clients must trust the new one$/);
  assert.notEqual(readFileSync(caFile, 'utf8'), ca);
});

test('drg serve with --tls-cert and --tls-key: that certificate, no local CA in discovery', async (t) => {
  const dir = tempDir();
  const given = opensslCa(dir, 'server', [['CN', 'localhost']], 30, 'subjectAltName=DNS:localhost');
  const s = await startTestServer(join(dir, 'data'), {
    httpsPort: 0,
    tlsCert: join(dir, 'server.crt'),
    tlsKey: join(dir, 'server.key'),
  });
  t.after(() => s.close());
  const endpoints = await (await s.call('GET', '/.well-known/drogue-endpoints')).json();
  assert.equal(endpoints.local_certs, undefined);
  assert.equal(endpoints.local_ca_file, undefined);
  const caFile = join(dir, 'trust.pem');
  writeFileSync(caFile, given.pem);
  const https = endpoints.https.url.replace('127.0.0.1', 'localhost');
  assert.deepEqual(await curl(['--cacert', caFile, `${https}/.well-known/drogue-version`]), {
    status: 200,
    body: '{"version":"0.11.0"}',
  });
});

test('start errors: a bad pair and a taken HTTPS port are one line each, and the data directory is free again', async () => {
  const dir = tempDir();
  opensslCa(dir, 'a', [['CN', 'a']], 30);
  opensslCa(dir, 'b', [['CN', 'b']], 30);
  await assert.rejects(
    startTestServer(join(dir, 'data'), { httpsPort: 0, tlsCert: join(dir, 'a.crt'), tlsKey: join(dir, 'b.key') }),
    {
      message: `cannot start tls: the key in --tls-key ${join(dir, 'b.key')} does not belong to the certificate in --tls-cert ${join(dir, 'a.crt')}`,
    },
  );

  const taken = createServer();
  taken.listen(0, '127.0.0.1');
  await once(taken, 'listening');
  const { port } = taken.address() as { port: number };
  try {
    await assert.rejects(startTestServer(join(dir, 'data2'), { httpsPort: port }), {
      message: `port ${port} on 127.0.0.1 is already in use: pick another with --https-port`,
    });
  } finally {
    taken.close();
  }
  // Everything the failed starts began was stopped: the data directory's lock too.
  const again = await startTestServer(join(dir, 'data2'), { httpsPort: 0 });
  await again.close();
});

test('a device with a client certificate publishes over HTTPS and MQTTS with no password; a foreign one is refused', async (t) => {
  const dir = tempDir();
  const dataDir = join(dir, 'data');
  const s = await startTestServer(dataDir, { httpsPort: 0, mqttPort: 0, mqttsPort: 0 });
  t.after(() => s.close());
  const ca = opensslCa(
    dir,
    'app-ca',
    [
      ['CN', 'tls-app'],
      ['O', 'Drogue IoT'],
      ['OU', 'Cloud'],
    ],
    30,
  );
  const anchors = { anchors: [{ certificate: Buffer.from(ca.pem).toString('base64') }] };
  const created = await s.call('POST', '/api/registry/v1alpha1/apps', {
    metadata: { name: 'tls-app' },
    spec: { trustAnchors: anchors },
  });
  assert.equal(created.status, 201, await created.text());
  const device = await s.call('POST', '/api/registry/v1alpha1/apps/tls-app/devices', {
    metadata: { name: 'd1', application: 'tls-app' },
    spec: { alias: ['CN=d1, O=Drogue IoT, OU=tls-app'] },
  });
  assert.equal(device.status, 201, await device.text());
  const rdns: [string, string][] = [
    ['CN', 'd1'],
    ['O', 'Drogue IoT'],
    ['OU', 'tls-app'],
  ];
  const cert = opensslClientCert(dir, 'd1', ca, rdns);
  const foreignCa = opensslCa(
    dir,
    'foreign',
    [
      ['CN', 'tls-app'],
      ['O', 'Drogue IoT'],
      ['OU', 'Cloud'],
    ],
    30,
  );
  const forged = opensslClientCert(dir, 'forged', foreignCa, rdns);

  const { https, mqtts } = await (await s.call('GET', '/.well-known/drogue-endpoints')).json();
  const caFile = join(dataDir, TLS_DIR, 'ca.pem');
  const post = (files: { certFile: string; keyFile: string }) =>
    curl([
      ...['--cacert', caFile, '--cert', files.certFile, '--key', files.keyFile],
      ...['-H', 'content-type: application/json', '-d', '{"temp":21}', `${https.url}/v1/telemetry`],
    ]);
  assert.deepEqual(await post(cert), { status: 202, body: '' });
  const refused = await post(forged);
  assert.ok('status' in refused && refused.status === 403, JSON.stringify(refused));
  assert.deepEqual(await post(cert), { status: 202, body: '' });

  // mosquitto_pub: no user name, no password; a refused certificate gets a CONNACK refusal.
  const pub = (files: { certFile: string; keyFile: string }) =>
    run('mosquitto_pub', [
      ...['--cafile', caFile, '--cert', files.certFile, '--key', files.keyFile, '-h', 'localhost'],
      ...['-p', String(mqtts.port), '-V', 'mqttv5', '-q', '1', '-t', 'telemetry', '-m', '{"temp":22}'],
    ]);
  await pub(cert);
  await assert.rejects(pub(forged), (err: { stderr: string }) =>
    /not authori[sz]ed|bad user name or password/i.test(err.stderr),
  );
  await pub(cert);
});

test('drg serve --tls-cert without --tls-key (or the other way round) is a usage error', async () => {
  for (const flags of [
    ['--tls-cert', 'server.pem'],
    ['--tls-key', 'server-key.pem'],
  ]) {
    const result = await runDrg(newConfigPath(), ['serve', '--no-login', ...flags]);
    assert.equal(result.code, 2, result.stderr);
    assert.equal(
      result.stderr,
      'error: --tls-cert and --tls-key go together: give both, or neither for the local CA\n',
    );
  }
});
