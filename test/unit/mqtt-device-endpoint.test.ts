// The MQTT device endpoint of an in-process drg serve, with raw clients for what mosquitto cannot show: the PUBACK
// waits for the durable append, who is connected (DeviceConnections) through a take-over, and a device deleted or
// disabled while connected is disconnected.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CONNECTIONS_BASE } from '../../src/model/api-paths.js';
import { type CloudEvent, DEVICE_EVENT_TYPE } from '../../src/model/cloudevents.js';
import { recordEvents } from '../helpers/events.js';
import { type MqttVersion, RawMqttClient } from '../helpers/mqtt-client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const REGISTRY = '/api/registry/v1alpha1';
let s: TestServer;
let port: number;

before(async () => {
  s = await startTestServer(undefined, { mqttPort: 0 });
  port = s.server.endpoints().mqtt!.port;
  assert.equal((await s.call('POST', `${REGISTRY}/apps`, { metadata: { name: 'app1' } })).status, 201);
  for (const name of ['d1', 'd2', 'd3']) {
    const spec = { authentication: { credentials: [{ pass: 'secret' }] } };
    const res = await s.call('POST', `${REGISTRY}/apps/app1/devices`, {
      metadata: { name, application: 'app1' },
      spec,
    });
    assert.equal(res.status, 201);
  }
});
after(() => s.close());

/** Connected as `device@app1` with its password, once the CONNACK (checked to be a success) is in. */
async function connectDevice(device: string, version: MqttVersion): Promise<RawMqttClient> {
  const client = await RawMqttClient.open(port, version, {
    clientId: device,
    username: `${device}@app1`,
    password: Buffer.from('secret'),
  });
  const connack = await client.next();
  assert.equal(connack.cmd === 'connack' && (connack.reasonCode ?? connack.returnCode), 0);
  return client;
}

test('the PUBACK of a QoS 1 publish is sent only once the event is durable in the log', async () => {
  const bus = s.server.events;
  const append = bus.append;
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let gated = 0;
  let committed = false;
  bus.append = (events: CloudEvent[]) => {
    if (events[0].type !== DEVICE_EVENT_TYPE) return append.call(bus, events);
    gated++;
    return gate
      .then(() => append.call(bus, events))
      .then((result) => {
        committed = true;
        return result;
      });
  };
  try {
    const client = await connectDevice('d1', 4);
    client.send({
      cmd: 'publish',
      topic: 'telemetry',
      payload: Buffer.from('{"n":1}'),
      qos: 1,
      dup: false,
      retain: false,
      messageId: 9,
    });
    client.send({ cmd: 'pingreq' });
    // Answered at once, after anything the server wrote before it: no PUBACK yet, the append is waiting.
    assert.equal((await client.next()).cmd, 'pingresp');
    assert.equal(gated, 1);
    assert.equal(committed, false);
    release();
    const puback = await client.next();
    assert.equal(puback.cmd === 'puback' && puback.messageId, 9);
    // (Not a count of appends: the connection's own event may be appended meanwhile.)
    assert.ok(committed, 'committed before the PUBACK');
    client.socket.destroy();
  } finally {
    bus.append = append;
  }
});

/** The connected devices of app1, as drg serve's extension route reports them (from DeviceConnections). */
async function connected(): Promise<Record<string, { since: string; protocol: string }>> {
  const res = await s.call('GET', `${CONNECTIONS_BASE}/apps/app1`);
  assert.equal(res.status, 200);
  return (await res.json()).devices;
}

test('who is connected, over which protocol, through a take-over', async () => {
  const first = await connectDevice('d2', 4);
  assert.equal((await connected()).d2?.protocol, 'mqtt/3.1.1');
  const second = await connectDevice('d2', 5);
  await first.closed;
  assert.equal((await connected()).d2?.protocol, 'mqtt/5', 'the old connection does not remove the new one');
  second.send({ cmd: 'disconnect', reasonCode: 0 });
  await second.closed;
  while ((await connected()).d2) await new Promise((resolve) => setImmediate(resolve));
});

test('a device disabled or deleted while connected is disconnected (MQTT 5: 0x87)', async () => {
  const client = await connectDevice('d3', 5);
  const device = await (await s.call('GET', `${REGISTRY}/apps/app1/devices/d3`)).json();
  device.spec.core = { disabled: true };
  assert.equal((await s.call('PUT', `${REGISTRY}/apps/app1/devices/d3`, device)).status, 204);
  const disconnect = await client.next();
  assert.equal(disconnect.cmd === 'disconnect' && disconnect.reasonCode, 0x87);
  await client.closed;

  const events = recordEvents(s.server.events, 'app1', { filter: (e) => e.device === 'd1' });
  const d1 = await connectDevice('d1', 4);
  assert.deepEqual((await events.next()).data, { connected: true });
  assert.equal((await s.call('DELETE', `${REGISTRY}/apps/app1/devices/d1`)).status, 204);
  await d1.closed;
  assert.deepEqual((await events.next()).data, { connected: false });
  events.close();
});
