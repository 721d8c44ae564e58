// X.509 device authentication end to end, with the built binary and peers nobody here wrote: `drg create app-cert`
// and `drg create device-cert` make a device certificate; mosquitto_pub (MQTT over TLS, 3.1.1 and 5) and curl (HTTPS)
// publish with it and no password, trusting drg serve's local CA, which `drg whoami endpoints` names; the events reach
// a plain ws client. Certificates from a foreign CA, expired ones and ones for no device are refused cleanly (CONNACK
// refusal, 403), and the server goes on serving the others.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { generateKeyPair, privateKeyPem, signingKeyPair } from '../../src/certs/keys.js';
import type { Endpoints } from '../../src/model/endpoints.js';
import { opensslCa, opensslClientCert } from '../helpers/certs.js';
import { basic } from '../helpers/config.js';
import { curl } from '../helpers/curl.js';
import { drg, ok, serveDuringTests, tempDir } from '../helpers/serve.js';

const run = promisify(execFile);
const serve = serveDuringTests();
const APP = 'x509-app';
const DEVICE = 'dev-1';
const DAY_MS = 24 * 60 * 60 * 1000;

interface Files {
  certFile: string;
  keyFile: string;
}

let dir: string;
let endpoints: Endpoints & { websocket_integration: { url: string } };
let caFile: string;
/** drg's device certificate and key. */
let good: Files;
/** The application's CA certificate (PEM) and key file, as drg create app-cert made them. */
let appCa: { pem: string; keyFile: string };

before(async () => {
  await serve.ready();
  dir = tempDir();
  const inDir = (args: string[]) => drg(serve.configPath, args, { cwd: dir });
  ok(await inDir(['create', 'app', APP]));
  ok(await inDir(['create', 'device', DEVICE, '--app', APP]));
  ok(await inDir(['create', 'app-cert', '--app', APP, '--key-output', 'ca-key.pem']));
  ok(await inDir(['create', 'device-cert', DEVICE, '--app', APP, '--ca-key', 'ca-key.pem']));
  good = { certFile: join(dir, `${DEVICE}-cert.pem`), keyFile: join(dir, `${DEVICE}-key.pem`) };
  const app = JSON.parse(ok(await inDir(['get', 'app', APP, '-o', 'json'])).stdout);
  const anchor = app.spec.trustAnchors.anchors[0].certificate as string;
  appCa = { pem: Buffer.from(anchor, 'base64').toString('utf8'), keyFile: join(dir, 'ca-key.pem') };
  endpoints = await (await fetch(`${serve.url}/.well-known/drogue-endpoints`)).json();
  caFile = endpoints.local_ca_file!;
});

/** A plain ws client on the application's events; `next()` resolves with the next one. */
async function consume(): Promise<{ next: () => Promise<Record<string, unknown>>; close: () => void }> {
  // Only the telemetry channel: the MQTT connects and disconnects are events too.
  const socket = new WebSocket(`${endpoints.websocket_integration.url}${APP}/telemetry`, {
    headers: { authorization: basic('admin', serve.token) },
  });
  const queue: Record<string, unknown>[] = [];
  const waiting: Array<(event: Record<string, unknown>) => void> = [];
  socket.on('message', (data) => {
    const event = JSON.parse(String(data));
    const waiter = waiting.shift();
    if (waiter) waiter(event);
    else queue.push(event);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return {
    next: () => {
      const event = queue.shift();
      return event ? Promise.resolve(event) : new Promise((resolve) => waiting.push(resolve));
    },
    close: () => socket.close(),
  };
}

/** mosquitto_pub over TLS with a client certificate and no user name or password: its exit code and stderr. */
async function mosquittoPub(files: Files, version: 'mqttv311' | 'mqttv5', payload: string) {
  const args = ['--cafile', caFile, '--cert', files.certFile, '--key', files.keyFile];
  const target = ['-h', 'localhost', '-p', String(endpoints.mqtts!.port), '-V', version, '-q', '1'];
  try {
    await run('mosquitto_pub', [...args, ...target, '-t', 'telemetry', '-m', payload]);
    return { code: 0, stderr: '' };
  } catch (err) {
    const failed = err as { code: number; stderr: string };
    return { code: failed.code, stderr: failed.stderr };
  }
}

/** curl POSTs JSON to the HTTPS device endpoint with a client certificate. */
function curlPost(files: Files, payload: string) {
  const url = `${endpoints.https!.url.replace('127.0.0.1', 'localhost')}/v1/telemetry`;
  const tls = ['--cacert', caFile, '--cert', files.certFile, '--key', files.keyFile];
  return curl([...tls, '-H', 'content-type: application/json', '-d', payload, url]);
}

/** A certificate for `subject` signed by the application's CA, valid in [notBefore, notAfter], made with @peculiar/x509. */
async function signedByAppCa(name: string, subject: string, notBefore: Date, notAfter: Date): Promise<Files> {
  await import('../../src/certs/x509.js'); // loads reflect-metadata and sets @peculiar/x509's crypto provider first
  const x509 = await import('@peculiar/x509');
  const caKey = await signingKeyPair(createPrivateKey(readFileSync(appCa.keyFile)), 'the CA key');
  const key = await generateKeyPair('ECDSA');
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '0badc0de',
    subject,
    issuer: new x509.X509Certificate(appCa.pem).subject,
    notBefore,
    notAfter,
    publicKey: key.keys.publicKey,
    signingKey: caKey.keys.privateKey,
    signingAlgorithm: caKey.signature,
  });
  const files = { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
  writeFileSync(files.certFile, cert.toString('pem'));
  writeFileSync(files.keyFile, privateKeyPem(key.keys.privateKey), { mode: 0o600 });
  return files;
}

test('drg whoami endpoints names the TLS endpoints and the CA file, and says how to trust it', async () => {
  assert.equal(endpoints.local_certs, true);
  assert.equal(caFile, join(serve.dataDir, 'tls', 'ca.pem'));
  assert.ok(new X509Certificate(readFileSync(caFile)).ca);
  const listed = ok(await drg(serve.configPath, ['whoami', 'endpoints']));
  const rows = Object.fromEntries(listed.stdout.split('\n').map((line) => line.split(/\s+/, 2)));
  assert.equal(rows.local_ca_file, caFile);
  assert.equal(rows.https, endpoints.https!.url);
  assert.equal(rows.mqtts, `${endpoints.mqtts!.host}:${endpoints.mqtts!.port}`);
  assert.match(listed.stderr, new RegExp(`mosquitto_pub --cafile ${caFile} -h \\S+ -p ${endpoints.mqtts!.port}`));
  assert.match(listed.stderr, new RegExp(`curl --cacert ${caFile} ${endpoints.https!.url}/v1/telemetry`));
  assert.equal(ok(await drg(serve.configPath, ['whoami', 'endpoints', 'local_ca_file'])).stdout, `${caFile}\n`);
});

test('a device certificate from drg publishes with no password: mosquitto_pub over MQTTS (3.1.1, 5), curl over HTTPS', async () => {
  const events = await consume();
  try {
    for (const [i, version] of (['mqttv311', 'mqttv5'] as const).entries()) {
      const published = await mosquittoPub(good, version, JSON.stringify({ via: version, i }));
      assert.equal(published.code, 0, published.stderr);
      const event = await events.next();
      assert.equal(event.device, DEVICE);
      assert.equal(event.application, APP);
      assert.equal(event.subject, 'telemetry');
      assert.deepEqual(event.data, { via: version, i });
    }
    assert.deepEqual(await curlPost(good, '{"via":"curl"}'), { status: 202, body: '' });
    const event = await events.next();
    assert.equal(event.device, DEVICE);
    assert.deepEqual(event.data, { via: 'curl' });
  } finally {
    events.close();
  }
});

test('a foreign CA, an expired certificate, one for no device: refused cleanly, and the others still served', async () => {
  // The foreign CA copies the application CA's subject, and its certificate the device's: only the signature differs.
  const foreignCa = opensslCa(
    dir,
    'foreign-ca',
    [
      ['O', 'Drogue IoT'],
      ['OU', 'Cloud'],
      ['CN', APP],
    ],
    30,
  );
  const subject = new X509Certificate(readFileSync(good.certFile)).subject.split('\n');
  const forged = opensslClientCert(
    dir,
    'forged',
    foreignCa,
    subject.map((rdn) => rdn.split('=') as [string, string]),
  );
  const now = Date.now();
  const expired = await signedByAppCa(
    'expired',
    subject.join(', '),
    new Date(now - 30 * DAY_MS),
    new Date(now - DAY_MS),
  );
  const nobody = await signedByAppCa(
    'nobody',
    `O=Drogue IoT, OU=${APP}, CN=nobody`,
    new Date(now - DAY_MS),
    new Date(now + DAY_MS),
  );

  const events = await consume();
  try {
    for (const [name, files] of Object.entries({ forged, expired, nobody })) {
      for (const version of ['mqttv311', 'mqttv5'] as const) {
        const refused = await mosquittoPub(files, version, `{"refused":"${name}"}`);
        assert.notEqual(refused.code, 0, `${name} over ${version} was accepted`);
        // A CONNACK refusal, not a TLS failure or a dropped connection.
        assert.match(
          refused.stderr,
          /refused|not authori[sz]ed|bad user name or password/i,
          `${name}: ${refused.stderr}`,
        );
      }
      const denied = await curlPost(files, `{"refused":"${name}"}`);
      assert.ok('status' in denied && denied.status === 403, `${name}: ${JSON.stringify(denied)}`);
    }
    // The good certificate still works, and its event is the next one: none of the refused got through.
    assert.equal((await mosquittoPub(good, 'mqttv5', '{"after":"refusals"}')).code, 0);
    assert.deepEqual((await events.next()).data, { after: 'refusals' });
    assert.deepEqual(await curlPost(good, '{"after":"curl"}'), { status: 202, body: '' });
    assert.deepEqual((await events.next()).data, { after: 'curl' });
  } finally {
    events.close();
  }
});
