// The OCI client against a real registry (Debian's docker-registry, distribution 2.8) without authentication:
// push then pull, oras's format, tags and digests, Docker manifests and indexes put there by hand, streamed pushes,
// and the environment's proxy (tinyproxy).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createReadStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, type TestContext, test } from 'node:test';
import { send } from '../../src/client/transport.js';
import { OciClient } from '../../src/firmware/oci/index.js';
import {
  type DockerRegistry,
  dockerRegistryMissing,
  ociError,
  recordingFront,
  sha256,
  startDockerRegistry,
} from '../helpers/docker-registry.js';
import { tempDir } from '../helpers/serve.js';
import { proxiedHostName, startTinyproxy } from '../helpers/tinyproxy.js';

/** Puts a blob into the registry with plain distribution API calls (POST, then PUT ?digest=). */
async function putBlob(registry: DockerRegistry, repository: string, data: Buffer): Promise<string> {
  const digest = sha256(data);
  const started = await send({ method: 'POST', url: `${registry.url}/v2/${repository}/blobs/uploads/`, body: '' });
  assert.equal(started.status, 202);
  const location = new URL(String(started.headers.location), registry.url);
  const put = await send({
    method: 'PUT',
    url: `${location.href}&digest=${digest}`,
    headers: { 'content-type': 'application/octet-stream' },
    body: data,
  });
  assert.equal(put.status, 201, put.body.toString());
  return digest;
}

async function putManifest(registry: DockerRegistry, repository: string, tag: string, manifest: object, type: string) {
  const body = Buffer.from(JSON.stringify({ ...manifest, mediaType: type }));
  const put = await send({
    method: 'PUT',
    url: `${registry.url}/v2/${repository}/manifests/${tag}`,
    headers: { 'content-type': type },
    body,
  });
  assert.equal(put.status, 201, put.body.toString());
  return { digest: sha256(body), size: body.length };
}

describe('an OCI registry without authentication', { skip: dockerRegistryMissing }, () => {
  let registry: DockerRegistry;
  const client = new OciClient({ credentials: () => undefined });
  before(async () => {
    registry = await startDockerRegistry();
  });
  after(() => registry?.stop());

  test('push then pull: the layer comes back byte for byte, its digest the checksum, its tag the version', async () => {
    const data = randomBytes(200 * 1024);
    const ref = `${registry.host}/fw/device:1.0.0`;
    const before = Date.now();
    const pushed = await client.push(ref, data);
    assert.equal(pushed.digest, sha256(data));
    assert.equal(pushed.size, data.length);
    const { info, data: pulled } = await client.fetch(ref);
    assert.ok(pulled.equals(data));
    assert.deepEqual(
      { ...info, created: undefined },
      {
        name: `${registry.host}/fw/device`,
        version: '1.0.0',
        size: data.length,
        checksum: sha256(data),
        created: undefined,
      },
    );
    assert.match(info.created ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.ok(Date.parse(info.created ?? '') >= Math.floor(before / 1000) * 1000);
  });

  test('what push writes is what oras push makes: the empty config, artifactType, one titled octet-stream layer', async () => {
    const data = Buffer.from('firmware image');
    const ref = `${registry.host}/fw/oras:2.0.0`;
    const { manifestDigest } = await client.push(ref, data, { title: 'fw.bin' });
    const response = await send({
      method: 'GET',
      url: `${registry.url}/v2/fw/oras/manifests/2.0.0`,
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    assert.equal(response.headers['content-type'], 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(sha256(response.body), manifestDigest);
    const manifest = JSON.parse(response.body.toString());
    assert.deepEqual(manifest, {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.unknown.artifact.v1',
      config: {
        mediaType: 'application/vnd.oci.empty.v1+json',
        digest: sha256(Buffer.from('{}')),
        size: 2,
        data: 'e30=',
      },
      layers: [
        {
          mediaType: 'application/octet-stream',
          digest: sha256(data),
          size: data.length,
          annotations: { 'org.opencontainers.image.title': 'fw.bin' },
        },
      ],
      annotations: { 'org.opencontainers.image.created': manifest.annotations['org.opencontainers.image.created'] },
    });
    const config = await send({ method: 'GET', url: `${registry.url}/v2/fw/oras/blobs/${manifest.config.digest}` });
    assert.equal(config.body.toString(), '{}');
  });

  test('each tag resolves to its own layer; a digest reference resolves; an unknown tag is not found', async () => {
    const one = Buffer.from('version one');
    const two = Buffer.from('version two, longer');
    await client.push(`${registry.host}/fw/tags:1.0.0`, one);
    const { manifestDigest } = await client.push(`${registry.host}/fw/tags:1.1.0`, two);
    assert.equal((await client.resolve(`${registry.host}/fw/tags:1.0.0`)).checksum, sha256(one));
    const second = await client.resolve(`${registry.host}/fw/tags:1.1.0`);
    assert.deepEqual([second.checksum, second.size, second.version], [sha256(two), two.length, '1.1.0']);
    const byDigest = await client.fetch(`${registry.host}/fw/tags@${manifestDigest}`);
    assert.ok(byDigest.data.equals(two));
    assert.equal(byDigest.info.version, manifestDigest);

    const missing = await ociError(client.resolve(`${registry.host}/fw/tags:9.9.9`));
    assert.equal(missing.code, 'not-found');
    assert.equal(missing.status, 404);
    assert.equal(missing.message, `${registry.host}/fw/tags:9.9.9: not found (404 MANIFEST_UNKNOWN)`);
  });

  test('a Docker v2 manifest put there by hand resolves: Accept names Docker manifests too', async () => {
    const data = Buffer.from('docker-made firmware');
    const config = Buffer.from('{"architecture":"arm"}');
    const layerDigest = await putBlob(registry, 'fw/docker', data);
    const configDigest = await putBlob(registry, 'fw/docker', config);
    await putManifest(
      registry,
      'fw/docker',
      '3.0.0',
      {
        schemaVersion: 2,
        config: {
          mediaType: 'application/vnd.docker.container.image.v1+json',
          digest: configDigest,
          size: config.length,
        },
        layers: [{ mediaType: 'application/octet-stream', digest: layerDigest, size: data.length }],
      },
      'application/vnd.docker.distribution.manifest.v2+json',
    );
    const { info, data: pulled } = await client.fetch(`${registry.host}/fw/docker:3.0.0`);
    assert.equal(info.checksum, layerDigest);
    assert.ok(pulled.equals(data));
  });

  test('an OCI index resolves to its first image manifest', async () => {
    const data = Buffer.from('indexed firmware');
    const pushed = await client.push(`${registry.host}/fw/indexed:4.0.0-inner`, data);
    const manifest = await send({
      method: 'HEAD',
      url: `${registry.url}/v2/fw/indexed/manifests/4.0.0-inner`,
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    await putManifest(
      registry,
      'fw/indexed',
      '4.0.0',
      {
        schemaVersion: 2,
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: pushed.manifestDigest,
            size: Number(manifest.headers['content-length']),
            platform: { architecture: 'arm', os: 'none' },
          },
        ],
      },
      'application/vnd.oci.image.index.v1+json',
    );
    const { info, data: pulled } = await client.fetch(`${registry.host}/fw/indexed:4.0.0`);
    assert.deepEqual([info.version, info.checksum], ['4.0.0', sha256(data)]);
    assert.ok(pulled.equals(data));
  });

  test('a manifest without an application/octet-stream layer is refused, naming the layers it has', async () => {
    const layer = await putBlob(registry, 'fw/container', Buffer.from('not firmware'));
    const config = await putBlob(registry, 'fw/container', Buffer.from('{}'));
    await putManifest(
      registry,
      'fw/container',
      'app',
      {
        schemaVersion: 2,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 2 },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer, size: 12 }],
      },
      'application/vnd.oci.image.manifest.v1+json',
    );
    const err = await ociError(client.resolve(`${registry.host}/fw/container:app`));
    assert.equal(err.code, 'unsupported');
    assert.equal(
      err.message,
      `${registry.host}/fw/container:app: no application/octet-stream layer (layers: application/vnd.oci.image.layer.v1.tar+gzip)`,
    );
  });

  test('a file is pushed streamed from disk with progress; a layer the registry has is not sent again', async (t: TestContext) => {
    const front = await recordingFront(registry.host);
    t.after(() => front.stop());
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const file = join(tempDir(), 'fw.bin');
    writeFileSync(file, data);
    const source = { stream: () => createReadStream(file), size: data.length, digest: sha256(data) };
    const progress: number[] = [];
    await client.push(`${front.host}/fw/streamed:1.0.0`, source, { onProgress: (bytes) => progress.push(bytes) });
    assert.ok(progress.length > 1, 'progress as the file is read');
    assert.ok(progress.every((bytes, i) => i === 0 || bytes > progress[i - 1]));
    assert.equal(progress.at(-1), data.length);
    const uploads = () => front.requests.filter((r) => r.startsWith('PUT /v2/fw/streamed/blobs/uploads/')).length;
    assert.equal(uploads(), 2, 'the layer and the config');

    const again: number[] = [];
    await client.push(`${front.host}/fw/streamed:1.0.1`, source, { onProgress: (bytes) => again.push(bytes) });
    assert.equal(uploads(), 2, 'nothing uploaded again');
    assert.deepEqual(again, [data.length]);
    assert.ok((await client.fetch(`${front.host}/fw/streamed:1.0.1`)).data.equals(data));
  });

  test('a push to a digest reference, and references that do not parse, are refused before any request', async () => {
    const digest = sha256(Buffer.from('x'));
    const toDigest = await ociError(client.push(`${registry.host}/fw/x@${digest}`, Buffer.from('x')));
    assert.equal(toDigest.code, 'reference');
    for (const ref of [`${registry.host}/FW:1`, `${registry.host}/fw:bad tag`, `${registry.host}/fw@sha512:ab`]) {
      assert.equal((await ociError(client.resolve(ref))).code, 'reference', ref);
    }
  });
});

describe('through the environment’s HTTP proxy', { skip: dockerRegistryMissing }, () => {
  test('push and pull go through tinyproxy to a registry named by a host name', async (t) => {
    const registry = await startDockerRegistry();
    t.after(() => registry.stop());
    const proxy = await startTinyproxy();
    t.after(() => proxy.stop());
    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY };
    process.env.HTTP_PROXY = proxy.url;
    delete process.env.NO_PROXY;
    t.after(() => {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    });
    const host = `${await proxiedHostName()}:${registry.port}`;
    const client = new OciClient({ credentials: () => undefined, insecure: (name) => name === host });
    const data = randomBytes(64 * 1024);
    await client.push(`${host}/fw/proxied:1.0.0`, data);
    const { data: pulled } = await client.fetch(`${host}/fw/proxied:1.0.0`);
    assert.ok(pulled.equals(data));
    await proxy.logged(`GET http://${host}/v2/fw/proxied/manifests/1.0.0`);
    await proxy.logged(`GET http://${host}/v2/fw/proxied/blobs/${sha256(data)}`);
  });
});
