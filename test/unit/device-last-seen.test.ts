// drg serve's connections API with lastSeen: when each device last sent a message (HTTP, MQTT) or connected, kept in
// memory, dropped with the device or its application; the client's reader still takes bodies without it.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import mqtt from 'mqtt';
import { connectedDevices } from '../../src/client/connections.js';
import { ApiClient } from '../../src/client/http.js';
import { basic } from '../helpers/config.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
let mqttPort: number;

before(async () => {
  s = await startTestServer(undefined, { mqttPort: 0 });
  mqttPort = s.server.endpoints().mqtt?.port ?? 0;
  await createApp('app1');
});
after(() => s?.close());

async function createApp(app: string): Promise<void> {
  assert.equal((await s.call('POST', '/api/registry/v1alpha1/apps', { metadata: { name: app } })).status, 201);
  for (const device of ['d1', 'd2', 'd3', 'gw']) {
    const spec: Record<string, unknown> = { authentication: { credentials: [{ pass: 'pw' }] } };
    if (device === 'd3') spec.gatewaySelector = { matchNames: ['gw'] };
    const res = await s.call('POST', `/api/registry/v1alpha1/apps/${app}/devices`, {
      metadata: { name: device, application: app },
      spec,
    });
    assert.equal(res.status, 201);
  }
}

async function lastSeen(app = 'app1'): Promise<Record<string, string>> {
  const res = await s.call('GET', `/api/connections/v1alpha1/apps/${app}`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { devices: object; lastSeen: Record<string, string> };
  assert.ok(body.devices);
  return body.lastSeen;
}

async function publishHttp(device: string, query = ''): Promise<void> {
  const res = await fetch(`${s.url}/v1/temp${query}`, {
    method: 'POST',
    headers: { authorization: basic(`${device}@app1`, 'pw'), 'content-type': 'application/json' },
    body: '{"t": 1}',
  });
  assert.equal(res.status, 202);
}

function assertWithin(time: string | undefined, from: number, to: number, what: string): void {
  assert.ok(time, `${what} has a last seen`);
  assert.match(time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, what);
  const ms = Date.parse(time);
  assert.ok(ms >= from && ms <= to, `${what}: ${time} not within the message's time`);
}

test('an HTTP message sets its device’s last seen; a device that sent nothing has none', async () => {
  const from = Date.now();
  await publishHttp('d1');
  const seen = await lastSeen();
  assertWithin(seen.d1, from, Date.now(), 'd1');
  assert.equal(seen.d2, undefined);
  // A gateway publishing for a device: that device's message.
  const gatewayFrom = Date.now();
  await publishHttp('gw', '?as=d3');
  assertWithin((await lastSeen()).d3, gatewayFrom, Date.now(), 'd3');
});

test('an MQTT connect and every MQTT message set it', async () => {
  const from = Date.now();
  const client = await mqtt.connectAsync({ host: '127.0.0.1', port: mqttPort, username: 'd2@app1', password: 'pw' });
  try {
    const connected = (await lastSeen()).d2;
    assertWithin(connected, from, Date.now(), 'd2 connected');
    // Later than the connect, by the clock.
    while (Date.now() <= Date.parse(connected)) await new Promise((resolve) => setImmediate(resolve));
    const sent = Date.now();
    await client.publishAsync('temp', '{"t": 2}', { qos: 1 });
    assertWithin((await lastSeen()).d2, sent, Date.now(), 'd2 published');
  } finally {
    await client.endAsync();
  }
});

test('deleting a device drops its entry, deleting the application all of them', async () => {
  await publishHttp('d1');
  assert.equal((await s.call('DELETE', '/api/registry/v1alpha1/apps/app1/devices/d1')).status, 204);
  const seen = await lastSeen();
  assert.equal(seen.d1, undefined);
  assert.ok(seen.d2, 'the others stay');
  assert.equal((await s.call('DELETE', '/api/registry/v1alpha1/apps/app1')).status, 204);
  // The same name again: nothing of the old application is seen.
  await createApp('app1');
  assert.deepEqual(await lastSeen(), {});
});

test('the client reads the connected devices from bodies with or without lastSeen (an older drg serve)', async () => {
  const old = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ devices: { d1: { since: '2024-05-01T12:00:00.000Z', protocol: 'mqtt/5' } } }));
  });
  await new Promise<void>((resolve) => old.listen(0, '127.0.0.1', resolve));
  try {
    const api = new ApiClient({ baseUrl: `http://127.0.0.1:${(old.address() as AddressInfo).port}` });
    assert.deepEqual(await connectedDevices(api, 'app1'), {
      d1: { since: '2024-05-01T12:00:00.000Z', protocol: 'mqtt/5' },
    });
  } finally {
    old.close();
  }
});
