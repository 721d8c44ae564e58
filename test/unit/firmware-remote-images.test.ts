// The images a remote agent serves from a cluster's store: each image downloaded once, and a firmware without a
// version resolved to the newest one at most once a second, not on every report.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ImageCache } from '../../src/firmware/image-cache.js';
import { remoteImages } from '../../src/firmware/remote-agent.js';
import type { ImageInfo } from '../../src/model/firmware.js';

test('the newest version is asked once a second, and each image downloaded once', async () => {
  const calls = { versions: 0, downloads: 0 };
  const info = (version: string): ImageInfo => ({ name: 'fw', version, size: 1, checksum: `sha256:${'0'.repeat(64)}` });
  const store = {
    versions: async () => {
      calls.versions++;
      return [info('2.0.0'), info('1.0.0')];
    },
    download: async (_app: string, _name: string, version: string) => {
      calls.downloads++;
      return { info: info(version), data: Buffer.from([1]) };
    },
  };
  const images = remoteImages(store, new ImageCache(1024), { get: async () => assert.fail('no OCI here') });
  for (let i = 0; i < 5; i++) assert.equal((await images.file('app', 'fw')).info.version, '2.0.0');
  assert.deepEqual(calls, { versions: 1, downloads: 1 });
  assert.equal((await images.file('app', 'fw', '1.0.0')).info.version, '1.0.0');
  assert.deepEqual(calls, { versions: 1, downloads: 2 });
});
