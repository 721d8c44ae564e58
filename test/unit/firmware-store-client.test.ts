// FirmwareClient (src/client/firmware.ts) on the project's ApiClient: against a real drg serve, a streamed push
// with its progress, a download checked against the image's checksum, the server's refusals as ApiErrors; against
// a stand-in, answers that are not images, and bytes that do not match.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { FirmwareClient } from '../../src/client/firmware.js';
import { ApiClient, staticTokenProvider } from '../../src/client/http.js';
import { ApiError, ProtocolError } from '../../src/errors.js';
import { ADMIN_USER } from '../../src/server-lite/identity/users.js';
import { startTestServer } from '../helpers/server.js';
import { peer } from '../helpers/transport.js';

const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** An upload of `data` in chunks, and how many times it was opened. */
function upload(data: Buffer, checksum = sha256(data)) {
  const opened = { count: 0 };
  const chunks = Array.from({ length: Math.ceil(data.length / 16_384) }, (_, i) =>
    data.subarray(i * 16_384, (i + 1) * 16_384),
  );
  return {
    opened,
    image: {
      open: () => {
        opened.count++;
        return Readable.from(chunks);
      },
      size: data.length,
      checksum,
    },
  };
}

test('push (streamed, with progress), get, versions, list, download and delete against drg serve', async (t) => {
  const s = await startTestServer();
  t.after(() => s.close());
  await s.call('POST', '/api/registry/v1alpha1/apps', { metadata: { name: 'app' } });
  const api = new ApiClient({
    baseUrl: s.url,
    tokens: staticTokenProvider({ id: ADMIN_USER, token: s.token }),
    credentials: 'access-token',
  });
  const client = new FirmwareClient(api);
  const data = Buffer.alloc(200_000, 9);
  const { image, opened } = upload(data);
  const progress: number[] = [];
  const pushed = await client.push('app', 'fw', '1.0', image, (bytes) => progress.push(bytes));
  assert.equal(pushed.created, true);
  assert.deepEqual(
    { ...pushed.info, created: undefined },
    {
      name: 'fw',
      version: '1.0',
      size: data.length,
      checksum: sha256(data),
      created: undefined,
    },
  );
  assert.equal(opened.count, 1);
  assert.equal(progress.at(-1), data.length);
  assert.deepEqual(
    progress,
    [...progress].sort((a, b) => a - b),
    'progress only grows',
  );
  assert.equal((await client.push('app', 'fw', '1.0', upload(data).image)).created, false);

  assert.deepEqual(await client.get('app', 'fw', '1.0'), pushed.info);
  assert.deepEqual(await client.versions('app', 'fw'), [pushed.info]);
  assert.deepEqual(await client.list('app'), [pushed.info]);
  assert.deepEqual(await client.download('app', 'fw', '1.0'), { info: pushed.info, data });

  const conflict = await client.push('app', 'fw', '1.0', upload(Buffer.alloc(200_000, 8)).image).catch((e) => e);
  assert.ok(conflict instanceof ApiError && conflict.status === 409, String(conflict));
  const mismatch = await client.push('app', 'fw', '2', upload(data, sha256(Buffer.from('x'))).image).catch((e) => e);
  assert.ok(mismatch instanceof ApiError && mismatch.status === 400, String(mismatch));

  await client.delete('app', 'fw', '1.0');
  const gone = await client.get('app', 'fw', '1.0').catch((e) => e);
  assert.ok(gone instanceof ApiError && gone.status === 404);
  assert.deepEqual(await client.list('app'), []);
});

test('answers that are not images, and bytes that are not the image, are protocol errors', async (t) => {
  const info = { name: 'fw', version: '1', size: 5, checksum: sha256(Buffer.from('right')) };
  const server = await peer(t, (request, response) => {
    if (request.url?.endsWith('/content')) response.writeHead(200).end('wrong');
    else if (request.url?.endsWith('/images'))
      response.writeHead(200, { 'content-type': 'application/json' }).end('[{"name": 1}]');
    else response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(info));
  });
  const client = new FirmwareClient(new ApiClient({ baseUrl: server.url }));
  await assert.rejects(client.download('app', 'fw', '1'), (err: unknown) => {
    assert.ok(err instanceof ProtocolError);
    assert.match(err.message, /sent 5 bytes with checksum sha256:[0-9a-f]{64}, not the image's 5 bytes with sha256:/);
    return true;
  });
  await assert.rejects(client.list('app'), /did not answer with firmware images/);
});
