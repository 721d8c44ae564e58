// The MQTT device endpoint over TLS (--mqtts-port) with mosquitto_pub, trusting drg serve's local CA: a password,
// and an X.509 client certificate made by openssl against the application's trust anchor (with and without a
// device@app user name); a certificate of another device named in the user name, or of a foreign CA, is refused
// with a CONNACK.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { DEVICE_EVENT_TYPE } from '../../src/model/cloudevents.js';
import { opensslCa, opensslClientCert, type TestCert } from '../helpers/certs.js';
import { recordEvents } from '../helpers/events.js';
import { tempDir } from '../helpers/serve.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const REGISTRY = '/api/registry/v1alpha1';

let s: TestServer;
let tlsArgs: string[];
let dir: string;
let device: TestCert & { certFile: string; keyFile: string };
let foreign: TestCert & { certFile: string; keyFile: string };

async function create(path: string, body: unknown) {
  const res = await s.call('POST', `${REGISTRY}${path}`, body);
  assert.equal(res.status, 201, await res.text());
}

before(async () => {
  s = await startTestServer(undefined, { mqttPort: 0, mqttsPort: 0 });
  const endpoints = s.server.endpoints();
  tlsArgs = ['--cafile', endpoints.local_ca_file!, '-h', 'localhost', '-p', String(endpoints.mqtts!.port)];
  dir = tempDir();
  const ca = opensslCa(dir, 'app-ca', [['CN', 'app1 devices']], 30);
  const other = opensslCa(dir, 'other-ca', [['CN', 'app1 devices']], 30);
  device = opensslClientCert(dir, 'dev1', ca, [['CN', 'dev1']]);
  foreign = opensslClientCert(dir, 'foreign', other, [['CN', 'dev1']]);
  const anchors = { anchors: [{ certificate: Buffer.from(ca.pem).toString('base64') }] };
  await create('/apps', { metadata: { name: 'app1' }, spec: { trustAnchors: anchors } });
  const devices = { dev1: { alias: ['CN=dev1'] }, d1: { authentication: { credentials: [{ pass: 'secret' }] } } };
  for (const [name, spec] of Object.entries(devices)) {
    await create('/apps/app1/devices', { metadata: { name, application: 'app1' }, spec });
  }
});
after(() => s.close());

async function pub(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run('mosquitto_pub', [...tlsArgs, '-d', '-q', '1', '-t', 'tls', ...args]);
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

const connackOf = (r: { out: string }) => Number(/received CONNACK \((\d+)\)/.exec(r.out)?.[1]);

for (const version of ['mqttv311', 'mqttv5']) {
  test(`${version}: a password, a client certificate, and one with device@app, over TLS`, async () => {
    const events = recordEvents(s.server.events, 'app1', { filter: (e) => e.type === DEVICE_EVENT_TYPE });
    const cert = ['--cert', device.certFile, '--key', device.keyFile];
    const runs = [
      ['-u', 'd1@app1', '-P', 'secret', '-m', '"password"'],
      [...cert, '-m', '"certificate"'],
      [...cert, '-u', 'dev1@app1', '-m', '"named"'],
    ];
    for (const args of runs) {
      const r = await pub(['-V', version, ...args]);
      assert.equal(r.code, 0, r.out);
    }
    const got = [await events.next(), await events.next(), await events.next()];
    events.close();
    assert.deepEqual(
      got.map((e) => [e.device, e.data]),
      [
        ['d1', 'password'],
        ['dev1', 'certificate'],
        ['dev1', 'named'],
      ],
    );
  });

  test(`${version}: a certificate for another device than the user name names, or from a foreign CA: refused`, async () => {
    const [badCredentials, notAuthorized] = version === 'mqttv5' ? [0x86, 0x87] : [4, 5];
    const mismatch = await pub([
      '-V',
      version,
      '--cert',
      device.certFile,
      '--key',
      device.keyFile,
      '-u',
      'd1@app1',
      '-m',
      '{}',
    ]);
    assert.equal(connackOf(mismatch), notAuthorized, mismatch.out);
    const other = await pub(['-V', version, '--cert', foreign.certFile, '--key', foreign.keyFile, '-m', '{}']);
    assert.equal(connackOf(other), badCredentials, other.out);
  });
}
