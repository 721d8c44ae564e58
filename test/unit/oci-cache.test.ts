// OciImageCache over a real registry (docker-registry), its requests counted by a recording front: IfNotPresent
// serves what it has, Always resolves again and downloads only a changed layer, the byte bound evicts the least
// recently used, concurrent gets share one download.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { OciClient, OciImageCache } from '../../src/firmware/oci/index.js';
import {
  type DockerRegistry,
  dockerRegistryMissing,
  type RecordingFront,
  recordingFront,
  startDockerRegistry,
} from '../helpers/docker-registry.js';

describe('the image cache', { skip: dockerRegistryMissing }, () => {
  let registry: DockerRegistry;
  let front: RecordingFront;
  const client = new OciClient({ credentials: () => undefined });
  before(async () => {
    registry = await startDockerRegistry();
    front = await recordingFront(registry.host);
  });
  after(async () => {
    await front?.stop();
    await registry?.stop();
  });

  /** The requests for `repository`'s manifests and blobs that `action` made. */
  async function requestsOf(repository: string, action: () => Promise<unknown>) {
    const first = front.requests.length;
    await action();
    const made = front.requests.slice(first);
    return {
      manifests: made.filter((r) => r.startsWith(`GET /v2/${repository}/manifests/`)).length,
      blobs: made.filter((r) => r.startsWith(`GET /v2/${repository}/blobs/`)).length,
    };
  }

  test('IfNotPresent serves a cached image without a request; Always resolves again, reusing an unchanged layer', async () => {
    const data = randomBytes(10_000);
    const ref = `${front.host}/cache/policy:1.0.0`;
    await client.push(ref, data);
    const cache = new OciImageCache(client, { maxBytes: 1024 * 1024 });
    let got: Awaited<ReturnType<OciImageCache['get']>> | undefined;
    assert.deepEqual(await requestsOf('cache/policy', async () => (got = await cache.get(ref))), {
      manifests: 1,
      blobs: 1,
    });
    assert.ok(got?.data.equals(data));
    assert.deepEqual(await requestsOf('cache/policy', () => cache.get(ref)), { manifests: 0, blobs: 0 });
    assert.deepEqual(
      await requestsOf('cache/policy', () => cache.get(`${front.host}/cache/policy:1.0.0`, 'IfNotPresent')),
      {
        manifests: 0,
        blobs: 0,
      },
    );
    assert.deepEqual(await requestsOf('cache/policy', () => cache.get(ref, 'Always')), { manifests: 1, blobs: 0 });

    const changed = randomBytes(10_000);
    await client.push(ref, changed);
    assert.ok((await cache.get(ref)).data.equals(data), 'IfNotPresent keeps what it has');
    assert.deepEqual(await requestsOf('cache/policy', async () => (got = await cache.get(ref, 'Always'))), {
      manifests: 1,
      blobs: 1,
    });
    assert.ok(got?.data.equals(changed), 'Always sees the tag moved');
    assert.ok((await cache.get(ref)).data.equals(changed), 'and IfNotPresent from then on');
  });

  test('the byte bound evicts the least recently used layer; a layer larger than the bound is served, not kept', async () => {
    const [a, b, c] = [randomBytes(6000), randomBytes(6000), randomBytes(6000)];
    const ref = (name: string) => `${front.host}/cache/bound:${name}`;
    await client.push(ref('a'), a);
    await client.push(ref('b'), b);
    await client.push(ref('c'), c);
    const cache = new OciImageCache(client, { maxBytes: 13_000 });
    await cache.get(ref('a'));
    await cache.get(ref('b'));
    await cache.get(ref('a'));
    await cache.get(ref('c'));
    assert.deepEqual(await requestsOf('cache/bound', () => cache.get(ref('a'))), { manifests: 0, blobs: 0 });
    assert.deepEqual(await requestsOf('cache/bound', () => cache.get(ref('b'))), { manifests: 1, blobs: 1 }, 'b went');

    const big = randomBytes(14_000);
    await client.push(ref('big'), big);
    for (let i = 0; i < 2; i++) {
      const counted = await requestsOf('cache/bound', async () =>
        assert.ok((await cache.get(ref('big'))).data.equals(big)),
      );
      assert.deepEqual(counted, { manifests: 1, blobs: 1 });
    }
    assert.deepEqual(await requestsOf('cache/bound', () => cache.get(ref('a'))), { manifests: 0, blobs: 0 }, 'kept');
  });

  test('concurrent gets of one image, and of two tags of one layer, share one download', async () => {
    const data = randomBytes(50_000);
    await client.push(`${front.host}/cache/shared:1.0.0`, data);
    await client.push(`${front.host}/cache/shared:stable`, data);
    const cache = new OciImageCache(client, { maxBytes: 1024 * 1024 });
    const counted = await requestsOf('cache/shared', async () => {
      const all = await Promise.all([
        cache.get(`${front.host}/cache/shared:1.0.0`),
        cache.get(`${front.host}/cache/shared:1.0.0`, 'Always'),
        cache.get(`${front.host}/cache/shared:1.0.0`),
        cache.get(`${front.host}/cache/shared:stable`),
      ]);
      for (const got of all) assert.ok(got.data.equals(data));
      assert.deepEqual(
        all.map((got) => got.info.version),
        ['1.0.0', '1.0.0', '1.0.0', 'stable'],
      );
    });
    assert.deepEqual(counted, { manifests: 2, blobs: 1 });
  });
});
