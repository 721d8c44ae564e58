// Firmware from an OCI registry nobody here wrote (Debian's docker-registry on loopback): drg firmware push --image
// puts the file there as oras does, a rollout with --image has the agent in drg serve pull it (once, through a
// recording front), and every simulated device ends on the version with the layer's checksum verified at Swap.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dockerRegistryMissing, recordingFront, sha256, startDockerRegistry } from '../helpers/docker-registry.js';
import { allOn, imageFile, rolloutOf, serveFor, spawnDrg, summaryOf } from '../helpers/firmware-e2e.js';
import { drg, ok } from '../helpers/serve.js';

const VERSION = '2.0.0';
const DEVICES = 5;

test('a rollout of an OCI artifact: the agent pulls the layer, every device reaches the version with its checksum', {
  skip: dockerRegistryMissing,
  timeout: 60_000,
}, async (t) => {
  const registry = await startDockerRegistry();
  t.after(() => registry.stop());
  const front = await recordingFront(registry.host);
  t.after(() => front.stop());
  const serve = await serveFor(t);
  const config = serve.configPath;
  const image = imageFile('sensor.bin', 64 * 1024);
  const digest = sha256(image.data);

  ok(await drg(config, ['create', 'app', 'oci']));
  const pushed = JSON.parse(
    ok(
      await drg(config, [
        ...['firmware', 'push', image.path, '--image', `${registry.host}/fw/sensor:${VERSION}`],
        ...['--version', VERSION, '-o', 'json'],
      ]),
    ).stdout,
  );
  assert.equal(pushed.image.checksum, digest);
  // The registry's own view: a manifest whose application/octet-stream layer is the file.
  const manifest = await fetch(`${registry.url}/v2/fw/sensor/manifests/${VERSION}`, {
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
  assert.equal(manifest.status, 200);
  const layers = ((await manifest.json()) as { layers: { mediaType: string; digest: string; size: number }[] }).layers;
  assert.deepEqual(
    layers.map((l) => [l.mediaType, l.digest, l.size]),
    [['application/octet-stream', digest, image.data.length]],
  );

  const simulation = spawnDrg(t, config, [
    ...['simulate', '--app', 'oci', '--devices', String(DEVICES), '--until-version', VERSION, '-o', 'json'],
  ]);
  await allOn(config, 'oci', DEVICES, '1.0.0');
  const ref = `${front.host}/fw/sensor:${VERSION}`;
  const rollout = ok(
    await drg(config, ['firmware', 'rollout', '--app', 'oci', '--version', VERSION, '--image', ref, '--yes', '--wait']),
  );
  assert.match(rollout.stderr, /Completed: 5 in sync/);

  const summary = await summaryOf(simulation);
  assert.deepEqual(summary.versions, { [VERSION]: DEVICES });
  assert.deepEqual(
    summary.failures,
    { reverted: 0, mismatched: 0 },
    "every Swap's checksum (the layer digest) matched",
  );
  assert.equal(summary.bytes_written, DEVICES * image.data.length);
  const status = await rolloutOf(config, 'oci');
  assert.deepEqual(status.rollout.firmware, { container: { image: ref } });
  assert.equal(status.status?.phase, 'Completed');
  await allOn(config, 'oci', DEVICES, VERSION);
  const blobs = front.requests.filter((r) => r === `GET /v2/fw/sensor/blobs/${digest}`);
  assert.equal(blobs.length, 1, `the layer is pulled once, then served from the cache: ${front.requests.join(', ')}`);
});
