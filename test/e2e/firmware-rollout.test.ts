// The operator's path with the built binary only: drg firmware push, drg simulate as a child process (MQTT devices in
// packed CBOR, HTTP devices with ct in named CBOR), drg firmware rollout --yes --wait; every device ends on the
// version, as the simulator, drg get devices and drg firmware status each say, with every Swap's checksum verified.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  allOn,
  devicesOf,
  imageFile,
  rolloutOf,
  serveFor,
  spawnDrg,
  summaryOf,
  until,
} from '../helpers/firmware-e2e.js';
import { drg, ok } from '../helpers/serve.js';

const VERSION = '2.0.0';

test('push, simulate, roll out: MQTT (packed) and HTTP (named) devices all reach the version, checksums verified', {
  timeout: 60_000,
}, async (t) => {
  const serve = await serveFor(t);
  const config = serve.configPath;
  const image = imageFile('sensor.bin', 48 * 1024);

  // MQTT, packed CBOR, the defaults but --yes --wait.
  ok(await drg(config, ['create', 'app', 'fleet']));
  const pushed = ok(await drg(config, ['firmware', 'push', image.path, '--version', VERSION, '--app', 'fleet']));
  assert.match(pushed.stdout, /Pushed firmware sensor 2\.0\.0/);
  const mqtt = spawnDrg(t, config, [
    ...['simulate', '--app', 'fleet', '--devices', '8', '--until-version', VERSION],
    ...['--encoding', 'packed', '-o', 'json'],
  ]);
  await allOn(config, 'fleet', 8, '1.0.0');
  const rollout = ok(
    await drg(config, ['firmware', 'rollout', '--app', 'fleet', '--version', VERSION, '--yes', '--wait']),
  );
  assert.match(rollout.stderr, /Completed: 8 in sync, 0 updating, 0 pending, 0 failed/);
  const summary = await summaryOf(mqtt);
  assert.deepEqual(summary.versions, { [VERSION]: 8 });
  assert.equal(summary.updates, 8);
  assert.deepEqual(summary.failures, { reverted: 0, mismatched: 0 }, 'every Swap checksum matched the bytes written');
  assert.equal(summary.bytes_written, 8 * image.data.length, 'each device took the image once, whole');
  for (const device of await devicesOf(config, 'fleet')) {
    assert.equal(device.status?.firmware?.current, VERSION, device.metadata.name);
    assert.deepEqual(
      device.status?.firmware?.conditions?.find((c) => c.type === 'InSync')?.status,
      'True',
      device.metadata.name,
    );
  }
  const status = await rolloutOf(config, 'fleet');
  assert.equal(status.status?.phase, 'Completed');
  assert.deepEqual(status.counts, { pending: 0, updating: 0, inSync: 8, failed: 0 });
  assert.ok(status.rollout.stages.length > 2, 'the defaults make a canary stage and batches');

  // HTTP (ct), named CBOR: devices that were offline when the rollout started come online and take it.
  ok(await drg(config, ['create', 'app', 'web']));
  ok(await drg(config, ['firmware', 'push', image.path, '--version', VERSION, '--app', 'web']));
  const http = ['simulate', '--app', 'web', '--devices', '3', '--protocol', 'http', '--encoding', 'named'];
  ok(await drg(config, [...http, '--until-version', '1.0.0']));
  await allOn(config, 'web', 3, '1.0.0');
  const following = spawnDrg(t, config, [
    ...['firmware', 'rollout', '--app', 'web', '--version', VERSION, '--canary', '100%', '--yes', '--wait'],
  ]);
  await until('the rollout gave the devices their firmware', async (seen) => {
    const devices = await devicesOf(config, 'web');
    seen(devices.map((d) => d.spec?.firmware));
    return devices.every((d) => d.spec?.firmware !== undefined) || undefined;
  });
  const web = spawnDrg(t, config, [...http, '--until-version', VERSION, '-o', 'json']);
  const webSummary = await summaryOf(web);
  assert.deepEqual(webSummary.versions, { [VERSION]: 3 });
  assert.deepEqual(webSummary.failures, { reverted: 0, mismatched: 0 });
  assert.equal(webSummary.bytes_written, 3 * image.data.length);
  const followed = ok(await following.done);
  assert.match(followed.stderr, /Completed: 3 in sync/);
  for (const device of await devicesOf(config, 'web')) {
    assert.equal(device.status?.firmware?.current, VERSION, device.metadata.name);
  }
});
