// The OCI client against registries that misbehave (small HTTP servers of the test's): bytes that do not match their
// digest or size, a manifest that is not the one its digest names, redirects to blob storage on another origin,
// errors and silence. Nothing that fails a check is returned or cached.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { type TestContext, test } from 'node:test';
import { OciClient, OciImageCache } from '../../src/firmware/oci/index.js';
import { ociError, sha256 } from '../helpers/docker-registry.js';
import { freePort } from '../helpers/serve.js';
import { peer } from '../helpers/transport.js';

const client = new OciClient({ credentials: () => undefined });

type BlobAnswer = (res: ServerResponse, data: Buffer) => void;

/** A registry that serves one image, `fw:1.0.0` of `data`, its blob answered by `blob`; it counts blob requests. */
async function fakeRegistry(t: TestContext, data: Buffer, blob: BlobAnswer) {
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(Buffer.from('{}')), size: 2 },
      layers: [{ mediaType: 'application/octet-stream', digest: sha256(data), size: data.length }],
    }),
  );
  const counts = { blob: 0 };
  const server = await peer(t, (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/v2/fw/manifests/1.0.0' || req.url === `/v2/fw/manifests/${sha256(Buffer.from('other'))}`) {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(manifest);
    } else if (req.url === `/v2/fw/blobs/${sha256(data)}`) {
      counts.blob++;
      blob(res, data);
    } else res.writeHead(404).end();
  });
  return { host: `127.0.0.1:${server.port}`, counts };
}

test('a layer whose bytes do not match its digest is an error, and is not cached', async (t) => {
  const data = randomBytes(4096);
  const registry = await fakeRegistry(t, data, (res, real) =>
    res.end(Buffer.concat([real.subarray(0, -1), Buffer.from([real[real.length - 1] ^ 1])])),
  );
  const ref = `${registry.host}/fw:1.0.0`;
  const err = await ociError(client.fetch(ref));
  assert.equal(err.code, 'digest-mismatch');
  assert.match(
    err.message,
    new RegExp(`^${ref}: digest mismatch: the registry sent bytes of sha256:[0-9a-f]{64} instead of ${sha256(data)}$`),
  );
  const cache = new OciImageCache(client, { maxBytes: 1024 * 1024 });
  for (let attempt = 1; attempt <= 2; attempt++) {
    assert.equal((await ociError(cache.get(ref))).code, 'digest-mismatch');
  }
  assert.equal(registry.counts.blob, 3, 'each get asked the registry again');
});

test('a layer longer or shorter than its size is an error', async (t) => {
  const data = randomBytes(1000);
  const long = await fakeRegistry(t, data, (res, real) => res.end(Buffer.concat([real, Buffer.from('more')])));
  const longer = await ociError(client.fetch(`${long.host}/fw:1.0.0`));
  assert.deepEqual(
    [longer.code, longer.message],
    ['digest-mismatch', `${long.host}/fw:1.0.0: digest mismatch: the registry sent more than 1000 bytes`],
  );
  const short = await fakeRegistry(t, data, (res, real) => res.end(real.subarray(1)));
  const shorter = await ociError(client.fetch(`${short.host}/fw:1.0.0`));
  assert.deepEqual(
    [shorter.code, shorter.message],
    ['digest-mismatch', `${short.host}/fw:1.0.0: digest mismatch: the registry sent 999 bytes instead of 1000`],
  );
});

test('a manifest fetched by digest must have that digest', async (t) => {
  const registry = await fakeRegistry(t, Buffer.from('fw'), (res, real) => res.end(real));
  const digest = sha256(Buffer.from('other'));
  const err = await ociError(client.resolve(`${registry.host}/fw@${digest}`));
  assert.equal(err.code, 'digest-mismatch');
  assert.match(
    err.message,
    new RegExp(`^${registry.host}/fw@${digest}: digest mismatch: the registry sent a manifest of sha256:`),
  );
});

test('a blob redirected to storage on another origin is fetched there, without the registry’s credentials', async (t) => {
  const data = randomBytes(2048);
  const seenByStorage: (string | undefined)[] = [];
  const storage = await peer(t, (req, res) => {
    seenByStorage.push(req.headers.authorization);
    res.end(data);
  });
  const password = 'registry-secret';
  const authorization = `Basic ${Buffer.from(`carol:${password}`).toString('base64')}`;
  const seenByRegistry: (string | undefined)[] = [];
  const server = await peer(t, (req, res) => {
    seenByRegistry.push(req.headers.authorization);
    if (req.headers.authorization !== authorization) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="fake"' }).end();
      return;
    }
    const inner = fakeAnswer(req, data);
    if (inner) res.writeHead(200, { 'content-type': inner.type }).end(inner.body);
    else res.writeHead(307, { location: `${storage.url}/bucket/blob?signature=abc` }).end();
  });
  const withCredentials = new OciClient({ credentials: () => ({ username: 'carol', password }) });
  const { data: pulled } = await withCredentials.fetch(`127.0.0.1:${server.port}/fw:1.0.0`);
  assert.ok(pulled.equals(data));
  assert.deepEqual(seenByStorage, [undefined]);
  assert.deepEqual(seenByRegistry, [undefined, authorization, authorization]);
});

/** The manifest of `fw:1.0.0` for `data`, or undefined for the blob. */
function fakeAnswer(req: IncomingMessage, data: Buffer): { type: string; body: string } | undefined {
  if (!req.url?.includes('/manifests/')) return undefined;
  return {
    type: 'application/vnd.oci.image.manifest.v1+json',
    body: JSON.stringify({
      schemaVersion: 2,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(Buffer.from('{}')), size: 2 },
      layers: [{ mediaType: 'application/octet-stream', digest: sha256(data), size: data.length }],
    }),
  };
}

test('errors of the registry and of the network are OciErrors that name the registry', async (t) => {
  const broken = await peer(t, (_req, res) => res.writeHead(500, { 'content-type': 'text/html' }).end('<h1>oops</h1>'));
  const err = await ociError(client.resolve(`127.0.0.1:${broken.port}/fw:1.0.0`));
  assert.deepEqual(
    [err.code, err.status, err.message],
    ['registry', 500, `127.0.0.1:${broken.port}/fw:1.0.0: unexpected answer (500)`],
  );

  const notJson = await peer(t, (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{'));
  const bad = await ociError(client.resolve(`127.0.0.1:${notJson.port}/fw:1.0.0`));
  assert.deepEqual(
    [bad.code, bad.message],
    ['unsupported', `127.0.0.1:${notJson.port}/fw:1.0.0: the manifest is not JSON`],
  );

  const port = await freePort();
  const refused = await ociError(client.resolve(`127.0.0.1:${port}/fw:1.0.0`));
  assert.deepEqual(
    [refused.code, refused.message],
    ['network', `127.0.0.1:${port}/fw: cannot reach 127.0.0.1:${port}: connection refused`],
  );
});

test('a layer over the client’s size limit is refused before it is downloaded', async (t) => {
  const data = randomBytes(4096);
  const registry = await fakeRegistry(t, data, (res, real) => res.end(real));
  const small = new OciClient({ credentials: () => undefined, maxImageBytes: 4095 });
  const err = await ociError(small.fetch(`${registry.host}/fw:1.0.0`));
  assert.deepEqual(
    [err.code, err.message],
    ['too-large', `${registry.host}/fw:1.0.0: the layer is 4096 bytes, more than the limit of 4095`],
  );
  assert.equal(registry.counts.blob, 0);
});

test('an upload redirected (307) to storage elsewhere is streamed again from the start, without credentials', async (t) => {
  const data = randomBytes(100_000);
  const received: { authorization?: string; body: Buffer }[] = [];
  const storage = await peer(t, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ authorization: req.headers.authorization, body: Buffer.concat(chunks) });
      res.writeHead(201).end();
    });
  });
  const manifests: string[] = [];
  const registry = await peer(t, (req, res) => {
    if (req.headers.authorization !== 'Basic ZXZlOnB3') {
      req.resume();
      res.writeHead(401, { 'www-authenticate': 'Basic realm="fake"' }).end();
    } else if (req.method === 'HEAD') res.writeHead(404).end();
    else if (req.method === 'POST') res.writeHead(202, { location: '/upload/1?state=x' }).end();
    else if (req.url?.startsWith('/upload/1?state=x&digest=')) {
      req.resume();
      res.writeHead(307, { location: `${storage.url}/bucket?${req.url.split('&')[1]}` }).end();
    } else if (req.method === 'PUT' && req.url === '/v2/fw/manifests/1.0.0') {
      req.on('data', (chunk: Buffer) => manifests.push(chunk.toString()));
      req.on('end', () => res.writeHead(201).end());
    } else res.writeHead(400).end();
  });
  let opened = 0;
  const source = {
    stream: () => {
      opened++;
      return Readable.from([data.subarray(0, 50_000), data.subarray(50_000)]);
    },
    size: data.length,
    digest: sha256(data),
  };
  const eve = new OciClient({ credentials: () => ({ username: 'eve', password: 'pw' }) });
  const pushed = await eve.push(`127.0.0.1:${registry.port}/fw:1.0.0`, source);
  assert.equal(pushed.digest, sha256(data));
  assert.ok(opened >= 2, 'the stream opened again for the redirect');
  const layer = received.find((r) => r.body.length === data.length);
  assert.ok(layer?.body.equals(data));
  assert.ok(received.every((r) => r.authorization === undefined));
  assert.equal(JSON.parse(manifests.join('')).layers[0].digest, sha256(data));
});

test('a source that fails while it is pushed fails the push with its own error', async (t) => {
  const registry = await peer(t, (req, res) => {
    req.resume();
    if (req.method === 'HEAD') res.writeHead(404).end();
    else if (req.method === 'POST') res.writeHead(202, { location: '/upload/1' }).end();
    else req.on('end', () => res.writeHead(201).end());
  });
  const broken = new Error('the disk went away');
  const source = {
    stream: () =>
      new Readable({
        read() {
          this.push(Buffer.alloc(1000));
          this.destroy(broken);
        },
      }),
    size: 5000,
    digest: sha256(Buffer.alloc(5000)),
  };
  await assert.rejects(client.push(`127.0.0.1:${registry.port}/fw:1.0.0`, source), broken);
});
