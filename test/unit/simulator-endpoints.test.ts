// Where simulated devices connect, from discovery: drg serve's plain MQTT port (it lists TLS apart), a Drogue
// Cloud's TLS one, the HTTP endpoint, and drg serve's local CA for TLS.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DrgError } from '../../src/errors.js';
import { deviceEndpoint } from '../../src/simulator/endpoints.js';
import { tempDir } from '../helpers/serve.js';

const SERVER = 'https://api.example.com';

test("drg serve's mqtt is plain (it lists mqtts apart, or says event_replay); a cluster's is TLS", async () => {
  const mqtt = { host: 'h', port: 1883 };
  assert.deepEqual(await deviceEndpoint({ mqtt, mqtts: { host: 'h', port: 8883 } }, 'mqtt', SERVER), {
    mqtt: { host: 'h', port: 1883, tls: false, ca: undefined },
  });
  assert.deepEqual(await deviceEndpoint({ mqtt, event_replay: true }, 'mqtt', SERVER), {
    mqtt: { host: 'h', port: 1883, tls: false, ca: undefined },
  });
  assert.deepEqual(await deviceEndpoint({ mqtt: { host: 'mqtt.example.com', port: 443 } }, 'mqtt', SERVER), {
    mqtt: { host: 'mqtt.example.com', port: 443, tls: true, ca: undefined },
  });
});

test("TLS trusts drg serve's local CA when discovery names it", async () => {
  const file = join(tempDir(), 'ca.pem');
  writeFileSync(file, 'PEM');
  const endpoints = { http: { url: 'https://127.0.0.1:8443' }, local_certs: true, local_ca_file: file };
  assert.deepEqual(await deviceEndpoint(endpoints, 'http', SERVER), {
    http: { url: 'https://127.0.0.1:8443', ca: 'PEM' },
  });
  assert.deepEqual(await deviceEndpoint({ ...endpoints, http: { url: 'http://127.0.0.1:8011' } }, 'http', SERVER), {
    http: { url: 'http://127.0.0.1:8011', ca: undefined },
  });
  await assert.rejects(
    deviceEndpoint({ ...endpoints, local_ca_file: join(tempDir(), 'missing.pem') }, 'http', SERVER),
    /cannot read the server's CA certificate .*missing\.pem/,
  );
});

test('a server without the endpoint says so, and what to do', async () => {
  await assert.rejects(deviceEndpoint({ http: { url: 'http://h' } }, 'mqtt', SERVER), (error: unknown) => {
    assert.ok(error instanceof DrgError);
    assert.equal(error.message, `${SERVER} has no MQTT device endpoint (discovery lists no mqtt)`);
    assert.equal(error.hint, 'use --protocol http, or start drg serve with --mqtt-port');
    return true;
  });
  await assert.rejects(deviceEndpoint({ mqtt: { host: 'h', port: 1 } }, 'http', SERVER), /has no HTTP device endpoint/);
});
