// drg serve killed (-9) in the middle of a rollout, once the canary stage is in sync and the next stage runs, and
// started again on the same data and ports: the simulated devices reconnect and carry on from where they were, the
// rollout its stages, to Completed without anyone touching it; `drg firmware status --watch` follows it throughout.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  allOn,
  endpointsOf,
  imageFile,
  type RolloutDoc,
  rolloutOf,
  serveFor,
  spawnDrg,
  summaryOf,
  until,
} from '../helpers/firmware-e2e.js';
import { drg, freePort, ok, startServe } from '../helpers/serve.js';

const VERSION = '2.0.0';
const DEVICES = 8;

test('a rollout that drg serve was killed in the middle of completes after its restart, every device in sync', {
  timeout: 60_000,
}, async (t) => {
  const [port, mqttPort] = [await freePort(), await freePort()];
  const fixedPorts = { port, args: ['--mqtt-port', String(mqttPort)] };
  const first = await serveFor(t, () => startServe(fixedPorts));
  assert.equal((await endpointsOf(first.url)).mqtt?.port, mqttPort);
  const config = first.configPath;
  const image = imageFile('sensor.bin', 200 * 1024);
  ok(await drg(config, ['create', 'app', 'fleet']));
  ok(await drg(config, ['firmware', 'push', image.path, '--version', VERSION, '--app', 'fleet']));
  const simulation = spawnDrg(t, config, [
    ...['simulate', '--app', 'fleet', '--devices', String(DEVICES), '--mtu', '256'],
    ...['--until-version', VERSION, '-o', 'json'],
  ]);
  await allOn(config, 'fleet', DEVICES, '1.0.0');
  ok(
    await drg(config, [
      ...['firmware', 'rollout', '--app', 'fleet', '--version', VERSION],
      ...['--canary', '1', '--batch-size', '2', '--yes'],
    ]),
  );

  const middle = await until('the canary in sync and the next stage started', async (seen) => {
    const rollout = await rolloutOf(config, 'fleet');
    seen(rollout.status);
    assert.notEqual(rollout.status?.phase, 'Completed', 'the rollout ended before the test could stop drg serve');
    const started = rollout.status?.stagesStarted.length ?? 0;
    return started >= 2 && rollout.counts.inSync < DEVICES - 1 ? rollout : undefined;
  });
  // An operator following it: `status --watch` rides out the restart.
  const watch = spawnDrg(t, config, ['firmware', 'status', '--app', 'fleet', '--watch']);
  await until('the watch following', async () => (/Running: /.test(watch.stderr()) ? true : undefined));
  await first.kill9();
  await until('the watch noticing', async () => (/lost contact/.test(watch.stderr()) ? true : undefined));

  const second = await serveFor(t, () => startServe({ ...fixedPorts, dataDir: first.dataDir, configPath: config }));
  const final = await until('the rollout completed', async (seen) => {
    const rollout = await rolloutOf(config, 'fleet');
    seen({ status: rollout.status, counts: rollout.counts });
    return rollout.status?.phase === 'Completed' ? rollout : undefined;
  });
  assert.deepEqual(final.counts, { pending: 0, updating: 0, inSync: DEVICES, failed: 0 });
  assert.ok(final.rollout.stages.length > (middle.status?.stagesStarted.length ?? 0), 'stages started after the kill');
  assert.equal(final.rollout.id, middle.rollout.id);
  assertAllInSync(final);

  const watched = ok(await watch.done);
  assert.match(watched.stderr, /lost contact \(cannot reach http:\/\/127\.0\.0\.1:\d+.*\): trying again/);
  assert.match(watched.stderr, /in contact again/);
  assert.match(watched.stdout, /Rollout r-\S+ of 2\.0\.0 in application fleet: Completed/);

  const summary = await summaryOf(simulation);
  assert.deepEqual(summary.versions, { [VERSION]: DEVICES });
  assert.deepEqual(summary.failures, { reverted: 0, mismatched: 0 }, 'every Swap checksum matched the bytes written');
  assert.equal(summary.updates, DEVICES);
  const devices = await allOn(config, 'fleet', DEVICES, VERSION);
  assert.equal(devices.length, DEVICES);
  assert.equal(second.process.exitCode, null, 'drg serve runs on');
});

function assertAllInSync(rollout: RolloutDoc): void {
  for (const device of rollout.devices) {
    assert.deepEqual([device.name, device.state, device.current], [device.name, 'in-sync', VERSION]);
  }
}
