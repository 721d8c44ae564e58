// A simulated fleet against a real in-process drg serve: devices provisioned in its registry, connected over MQTT
// and HTTP, their telemetry and DFU reports in the event log, and whole updates answered by a test responder
// through the command API.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ApiClient, staticTokenProvider } from '../../src/client/http.js';
import { RegistryClient } from '../../src/client/registry.js';
import { decodeStatus } from '../../src/dfu/codec.js';
import type { CloudEvent } from '../../src/model/cloudevents.js';
import { ADMIN_USER } from '../../src/server-lite/identity/users.js';
import { type FleetOptions, startFleet } from '../../src/simulator/fleet.js';
import {
  devicePassword,
  provisionDevices,
  simulatedDeviceNames,
  simulatorSecret,
} from '../../src/simulator/provision.js';
import { startDfuResponder } from '../helpers/dfu-responder.js';
import { recordEvents } from '../helpers/events.js';
import { tempDir } from '../helpers/serve.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let registry: RegistryClient;
let secret: Buffer;

before(async () => {
  // The agent of drg serve is off: the test responder answers the reports.
  server = await startTestServer(undefined, { mqttPort: 0, firmwareAgent: false });
  const api = new ApiClient({
    baseUrl: server.url,
    tokens: staticTokenProvider({ id: ADMIN_USER, token: server.token }),
    credentials: 'access-token',
  });
  registry = new RegistryClient(api);
  secret = await simulatorSecret(join(tempDir(), 'drg_config.yaml'));
});
after(() => server.close());

/** An application with `count` simulated devices, and the fleet options that connect them. */
async function fleetOf(app: string, count: number, protocol: 'mqtt' | 'http'): Promise<FleetOptions> {
  await registry.createApp({ metadata: { name: app } });
  const devices = simulatedDeviceNames('sim', count).map((name) => ({
    name,
    password: devicePassword(secret, app, name),
  }));
  await provisionDevices(registry, app, devices, { concurrency: 4 });
  const { mqtt } = server.server.endpoints();
  assert.ok(mqtt);
  return {
    app,
    devices,
    protocol,
    mqtt: { ...mqtt, tls: false },
    http: { url: server.url },
    firmwareVersion: '1.0.0',
    timing: { retryMs: 100, answerTimeoutMs: 2_000, commandTimeoutS: 5 },
  };
}

function payloadOf(event: CloudEvent): Buffer {
  return event.data_base64 !== undefined
    ? Buffer.from(event.data_base64, 'base64')
    : Buffer.from(JSON.stringify(event.data));
}

test('the secret is made once, 0600, and gives each device its own password', async () => {
  const configPath = join(tempDir(), 'drg_config.yaml');
  const first = await simulatorSecret(configPath);
  assert.equal(first.length, 32);
  assert.deepEqual(await simulatorSecret(configPath), first);
  assert.equal(statSync(join(configPath, '..', 'drg_simulator_secret')).mode & 0o777, 0o600);
  assert.notEqual(devicePassword(first, 'a', 'sim-1'), devicePassword(first, 'a', 'sim-2'));
  assert.notEqual(devicePassword(first, 'a', 'sim-1'), devicePassword(first, 'b', 'sim-1'));
});

test('provisioning creates the missing devices labelled simulated=true, and a second run changes nothing', async () => {
  await registry.createApp({ metadata: { name: 'prov' } });
  // A device of the user's, with a password of its own: it keeps it, and gets the simulator's beside it.
  await registry.createDevice('prov', {
    metadata: { name: 'sim-2', application: 'prov' },
    spec: { authentication: { credentials: [{ pass: 'users-own' }] } },
  });
  const devices = simulatedDeviceNames('sim', 3).map((name) => ({
    name,
    password: devicePassword(secret, 'prov', name),
  }));
  assert.deepEqual(await provisionDevices(registry, 'prov', devices, { concurrency: 2 }), { created: 2, updated: 1 });
  const listed = await registry.listDevices('prov');
  assert.deepEqual(
    listed.map((d) => [d.metadata.name, d.metadata.labels?.simulated]),
    [
      ['sim-1', 'true'],
      ['sim-2', undefined],
      ['sim-3', 'true'],
    ],
  );
  const authentication = listed[1]?.spec?.authentication as { credentials: { pass: unknown }[] } | undefined;
  const [users, simulators] = authentication?.credentials ?? [];
  assert.equal(users?.pass, 'users-own');
  assert.match(JSON.stringify(simulators?.pass), /^\{"bcrypt":"\$2[aby]\$04\$/);
  assert.ok(!JSON.stringify(listed).includes(devices[0]?.password ?? '?'), 'no password in the registry');
  assert.deepEqual(await provisionDevices(registry, 'prov', devices, { concurrency: 2 }), { created: 0, updated: 0 });
});

for (const [protocol, encoding] of [
  ['mqtt', 'packed'],
  ['http', 'json'],
] as const) {
  test(`over ${protocol}, devices send telemetry and ${encoding} DFU reports that reach the event log`, async () => {
    const options = await fleetOf(`sim-${protocol}`, 3, protocol);
    const events = recordEvents(server.server.events, options.app);
    const fleet = await startFleet({ ...options, encoding, mtu: 256, telemetryRate: 20 });
    try {
      const telemetry = new Set<string>();
      const reports = new Map<string, unknown>();
      while (telemetry.size < 3 || reports.size < 3) {
        const event = await events.next();
        if (event.subject === 'telemetry') {
          assert.equal(typeof (event.data as { seq: unknown }).seq, 'number');
          telemetry.add(event.device);
        }
        if (event.subject === 'dfu') {
          const decoded = decodeStatus(payloadOf(event), event.datacontenttype);
          assert.equal(decoded.encoding, encoding);
          reports.set(event.device, decoded.status);
        }
      }
      assert.deepEqual([...reports.keys()].sort(), ['sim-1', 'sim-2', 'sim-3']);
      for (const status of reports.values()) assert.deepEqual(status, { version: '1.0.0', mtu: 256 });
      // Over HTTP a device counts as connected once an answer reached it, which may come after its event.
      if (protocol === 'mqtt') assert.equal(fleet.stats().connected, 3);
      assert.deepEqual(fleet.versions(), { '1.0.0': 3 });
    } finally {
      events.close();
      await fleet.close();
    }
    assert.equal(fleet.stats().connected, 0);
  });

  test(`over ${protocol}, a whole update: blocks, Swap, the new version; a failing device reverts`, async () => {
    const options = await fleetOf(`dfu-${protocol}`, 3, protocol);
    const image = { version: '2.0.0', data: randomBytes(3000) };
    const responder = startDfuResponder({
      bus: server.server.events,
      url: server.url,
      authorization: server.authorization,
      app: options.app,
      image,
      poll: 60,
    });
    // One in three fails: device index 2 (sim-3), by failsUpdates.
    const fleet = await startFleet({
      ...options,
      encoding: protocol === 'mqtt' ? 'packed' : 'named',
      mtu: 512,
      failRate: 1 / 3,
    });
    try {
      const reverted = responder.report('sim-3', () => responder.failed.has('sim-3'));
      const updated = ['sim-1', 'sim-2'].map((d) => responder.report(d, (s) => s.version === '2.0.0'));
      assert.deepEqual(await reverted, { version: '1.0.0', mtu: 512 });
      for (const status of await Promise.all(updated)) assert.deepEqual(status, { version: '2.0.0', mtu: 512 });
      assert.deepEqual(fleet.versions(), { '1.0.0': 1, '2.0.0': 2 });
      const stats = fleet.stats();
      assert.equal(stats.updates, 2);
      assert.equal(stats.failures.reverted, 1);
      assert.equal(stats.failures.mismatched, 0);
      assert.ok(stats.bytesWritten >= 3 * image.data.length, String(stats.bytesWritten));
      assert.deepEqual(responder.errors, []);
      // Every block was mtu long but the last, at the offsets the device reported.
      const writes = responder.answers.filter((a) => a.device === 'sim-1' && a.command.op === 'write');
      assert.deepEqual(
        writes.map((w) => (w.command.op === 'write' ? [w.command.offset, w.command.data.length] : [])),
        [0, 512, 1024, 1536, 2048, 2560].map((offset) => [offset, Math.min(512, 3000 - offset)]),
      );
    } finally {
      responder.close();
      await fleet.close();
    }
  });
}

test('waitForVersion resolves once every device runs the version, and says what they run when it times out', async () => {
  const options = await fleetOf('wait-for', 2, 'mqtt');
  const responder = startDfuResponder({
    bus: server.server.events,
    url: server.url,
    authorization: server.authorization,
    app: options.app,
    image: { version: '1.1.0', data: randomBytes(700) },
  });
  const fleet = await startFleet(options);
  try {
    await fleet.waitForVersion('1.1.0', 8_000);
    assert.deepEqual(fleet.versions(), { '1.1.0': 2 });
    await assert.rejects(fleet.waitForVersion('3.0.0', 1), /not every device runs 3\.0\.0 after 1 ms: 2 on 1\.1\.0/);
  } finally {
    responder.close();
    await fleet.close();
  }
});
