// Rollouts end to end in this process: an image in drg serve's store, simulated devices over MQTT (packed and named
// CBOR) and HTTP (ct), `drg firmware rollout` with its defaults, the agent in drg serve answering, every device
// reaching the version with the right checksum; a failing canary pausing the rollout; status, pause, cancel.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type { DfuEncoding } from '../../src/dfu/codec.js';
import { type Fleet, startFleet } from '../../src/simulator/fleet.js';
import { localServerDuringTests, startLocalServer } from '../helpers/drg.js';
import { fleetApp as fleetAppOf } from '../helpers/firmware.js';
import { fails, ok } from '../helpers/serve.js';

const serve = localServerDuringTests(() =>
  startLocalServer({
    mqttPort: 0,
    firmwareAgent: { statusIntervalMs: 100, rolloutTickMs: 100, syncPoll: 300, waitPoll: 1 },
  }),
);

const IMAGE = randomBytes(5_000);
/** An application with `count` devices (password pw-N) and the image `fw` 2.0.0 in its store. */
const fleetApp = (app: string, count: number) => fleetAppOf(serve, app, count, IMAGE);

function mqttFleet(
  app: string,
  devices: { name: string; password: string }[],
  extra: { encoding?: DfuEncoding; failRate?: number } = {},
) {
  const mqtt = serve.server.endpoints().mqtt;
  assert.ok(mqtt);
  return startFleet({
    app,
    devices,
    protocol: 'mqtt',
    mqtt: { host: mqtt.host, port: mqtt.port, tls: false },
    firmwareVersion: '1.0.0',
    mtu: 512,
    ...extra,
  });
}

/** Until the agent has recorded every device's version: what a rollout plans from. */
async function reported(app: string, count: number): Promise<void> {
  for (;;) {
    const listed = JSON.parse(ok(await serve.run(['get', 'devices', '--app', app, '-o', 'json'])).stdout) as Array<{
      status?: { firmware?: { current?: string } };
    }>;
    if (listed.filter((d) => d.status?.firmware?.current === '1.0.0').length === count) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function closing<T>(fleet: Fleet, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } finally {
    await fleet.close();
  }
}

for (const encoding of ['packed', 'named'] as const) {
  test(`a rollout with the defaults takes five MQTT devices (${encoding} CBOR) to the version, checksum verified`, async () => {
    const app = `roll-${encoding}`;
    const devices = await fleetApp(app, 5);
    const fleet = await mqttFleet(app, devices, { encoding });
    await closing(fleet, async () => {
      await reported(app, 5);
      const result = ok(
        await serve.run(['firmware', 'rollout', '--app', app, '--version', '2.0.0', '--yes', '--wait']),
      );
      assert.match(result.stderr, /Completed: 5 in sync/);
      await fleet.waitForVersion('2.0.0', 10_000);
      const stats = fleet.stats();
      assert.equal(stats.updates, 5);
      assert.equal(stats.failures.mismatched, 0, 'every Swap checksum matched what was written');
      assert.equal(stats.bytesWritten, 5 * IMAGE.length);
      const status = JSON.parse(ok(await serve.run(['firmware', 'status', '--app', app, '-o', 'json'])).stdout);
      assert.equal(status.status.phase, 'Completed');
      assert.deepEqual(status.counts, { pending: 0, updating: 0, inSync: 5, failed: 0 });
      assert.deepEqual(
        status.rollout.stages.map((s: string[]) => s.length),
        [1, 2, 2],
        'a canary of one, then batches of 25%',
      );
      const wide = ok(await serve.run(['get', 'devices', '--app', app, '-o', 'wide'])).stdout;
      for (const d of devices) assert.match(wide, new RegExp(`${d.name}\\s.*\\sInSync\\s+2\\.0\\.0\\s+2\\.0\\.0\\s`));
    });
  });
}

test('an HTTP device (ct) is updated too', async () => {
  const app = 'roll-http';
  const devices = await fleetApp(app, 2);
  const fleet = await startFleet({
    app,
    devices,
    protocol: 'http',
    http: { url: serve.url },
    firmwareVersion: '1.0.0',
    mtu: 1024,
    encoding: 'json',
    timing: { commandTimeoutS: 5, retryMs: 100 },
  });
  await closing(fleet, async () => {
    await reported(app, 2);
    ok(
      await serve.run(['firmware', 'rollout', '--app', app, '--version', '2.0.0', '--canary', '2', '--yes', '--wait']),
    );
    await fleet.waitForVersion('2.0.0', 10_000);
    assert.equal(fleet.stats().failures.mismatched, 0);
  });
});

test('a canary that fails its update pauses the rollout, which reports why; cancel puts the others back', async () => {
  const app = 'roll-canary';
  const devices = await fleetApp(app, 5);
  // failRate 0.2 fails the last of five: make it the canary (the first by name).
  const fleet = await mqttFleet(app, [...devices].reverse(), { failRate: 0.2 });
  await closing(fleet, async () => {
    await reported(app, 5);
    const result = fails(
      await serve.run(['firmware', 'rollout', '--app', app, '--version', '2.0.0', '--yes', '--wait']),
      /rollout r-\S+ paused: 1 device failed \(at most 0 allowed\): dev-1/,
    );
    assert.equal(result.code, 1);
    const status = JSON.parse(ok(await serve.run(['firmware', 'status', '--app', app, '-o', 'json'])).stdout);
    assert.equal(status.status.phase, 'Paused');
    const canary = status.devices.find((d: { name: string }) => d.name === 'dev-1');
    assert.equal(canary.state, 'failed');
    assert.match(canary.reason, /came back with version 1\.0\.0 after the swap to 2\.0\.0/);
    assert.equal(
      status.devices
        .filter((d: { stage: number }) => d.stage > 1)
        .every((d: { state: string }) => d.state === 'pending'),
      true,
      'no later stage started',
    );
    const table = ok(await serve.run(['firmware', 'status', '--app', app])).stdout;
    assert.match(table, /Paused/);
    assert.match(table, /dev-1\s+1\s+failed/);
    fails(
      await serve.run(['firmware', 'rollout', '--app', app, '--version', '2.0.0', '--yes']),
      /rollout r-\S+ of application roll-canary is not finished \(Paused\)/,
    );
    ok(await serve.run(['firmware', 'cancel', '--app', app]));
    const device = JSON.parse(ok(await serve.run(['get', 'device', 'dev-1', '--app', app, '-o', 'json'])).stdout);
    assert.equal(device.spec.firmware, undefined, 'the canary has its previous (no) firmware again');
    fails(await serve.run(['firmware', 'pause', '--app', app]), /is cancelled: there is nothing to change/);
  });
});

test('rollout refuses without --yes when there is no terminal, and --dry-run changes nothing', async () => {
  const app = 'roll-dry';
  await fleetApp(app, 3);
  fails(
    await serve.run(['firmware', 'rollout', '--app', app, '--version', '2.0.0']),
    /no terminal to confirm it on: add --yes/,
  );
  const dry = ok(
    await serve.run([
      'firmware',
      'rollout',
      '--app',
      app,
      '--version',
      '2.0.0',
      '--dry-run',
      '--canary',
      '1',
      '--batch-size',
      '1',
    ]),
  );
  assert.match(
    dry.stdout,
    /stage 1 \(canary\): 1 device: dev-1\n\s+stage 2: 1 device: dev-2\n\s+stage 3: 1 device: dev-3/,
  );
  ok(await serve.run(['label', 'device', 'dev-2', 'ring=early', '--app', app]));
  const picked = JSON.parse(
    ok(
      await serve.run([
        'firmware',
        'rollout',
        '--app',
        app,
        '--version',
        '2.0.0',
        '--selector',
        'ring=early',
        '--dry-run',
        '-o',
        'json',
      ]),
    ).stdout,
  );
  assert.deepEqual(picked.stages, [['dev-2']], '--selector picks the devices');
  assert.equal(picked.selector, 'ring=early');
  fails(
    await serve.run(['firmware', 'rollout', '--app', app, '--version', '2.0.0', '-l', 'ring=none', '--yes']),
    /no devices to roll out to in application roll-dry with labels ring=none/,
  );
  const many = await fleetApp('roll-many', 30);
  const brief = ok(
    await serve.run(['firmware', 'rollout', '--app', 'roll-many', '--version', '2.0.0', '--dry-run', '--canary', '15']),
  );
  assert.match(
    brief.stdout,
    /stage 1 \(canary\): 15 devices: (dev-\d+, ){9}dev-\d+, and 5 more \(-o wide lists them\)/,
  );
  const wide = ok(
    await serve.run([
      'firmware',
      'rollout',
      '--app',
      'roll-many',
      '--version',
      '2.0.0',
      '--dry-run',
      '--canary',
      '15',
      '-o',
      'wide',
    ]),
  );
  for (const d of many) assert.ok(wide.stdout.includes(`${d.name},`) || wide.stdout.includes(`${d.name}\n`), d.name);
  const appDoc = JSON.parse(ok(await serve.run(['get', 'app', app, '-o', 'json'])).stdout);
  assert.equal(appDoc.spec?.rollout, undefined);
  fails(
    await serve.run(['firmware', 'rollout', '--app', app, '--version', '9.9.9', '--yes']),
    /has no firmware with version 9\.9\.9/,
  );
  fails(
    await serve.run(['firmware', 'rollout', '--app', app, '--version', '2.0.0', '--canary', 'many', '--yes']),
    /--canary must be/,
  );
});
