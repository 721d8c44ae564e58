// Firmware fixtures against an in-process drg serve: an application with devices that have passwords, and an image
// in its store.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { CHECKSUM_HEADER } from '../../src/model/firmware-images.js';
import type { LocalServer } from './drg.js';
import { ok } from './serve.js';

export interface SimulatedDevice {
  name: string;
  password: string;
}

/** Creates `app` with devices dev-1 ... dev-COUNT (password pw-N), and pushes `image` as fw VERSION into its store. */
export async function fleetApp(
  serve: LocalServer,
  app: string,
  count: number,
  image: Buffer,
  version = '2.0.0',
): Promise<SimulatedDevice[]> {
  ok(await serve.run(['create', 'app', app]));
  const devices = Array.from({ length: count }, (_, i) => ({ name: `dev-${i + 1}`, password: `pw-${i + 1}` }));
  for (const d of devices) {
    const spec = JSON.stringify({ authentication: { credentials: [{ pass: d.password }] } });
    ok(await serve.run(['create', 'device', d.name, '--app', app, '--spec', spec]));
  }
  const response = await fetch(`${serve.url}/api/firmware/v1alpha1/apps/${app}/images/fw/${version}`, {
    method: 'PUT',
    headers: {
      authorization: `Basic ${Buffer.from(`admin:${serve.token}`).toString('base64')}`,
      'content-type': 'application/octet-stream',
      [CHECKSUM_HEADER]: `sha256:${createHash('sha256').update(image).digest('hex')}`,
    },
    body: new Uint8Array(image),
  });
  assert.equal(response.status, 201, await response.text());
  return devices;
}
