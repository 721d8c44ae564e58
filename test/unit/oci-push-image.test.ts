// `drg firmware push FILE --image REF` (in-process, captured IO) against a real registry (docker-registry): the
// tag and --version, the outcome, the progress bar, credentials from the environment, exit codes.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { send } from '../../src/client/transport.js';
import { OciClient, OciError } from '../../src/firmware/oci/index.js';
import { type DockerRegistry, dockerRegistryMissing, sha256, startDockerRegistry } from '../helpers/docker-registry.js';
import { runDrg } from '../helpers/drg.js';
import { newConfigPath, tempDir } from '../helpers/serve.js';

function firmwareFile(size: number): { path: string; data: Buffer } {
  const data = randomBytes(size);
  const path = join(tempDir(), 'fw.bin');
  writeFileSync(path, data);
  return { path, data };
}

/** drg without a developer's docker config or registry variables. */
const push = (args: string[], env: Record<string, string> = {}, tty = false) =>
  runDrg(newConfigPath(), ['firmware', 'push', ...args], { env: { HOME: tempDir(), ...env }, tty });

describe('drg firmware push --image', { skip: dockerRegistryMissing }, () => {
  let registry: DockerRegistry;
  const client = new OciClient({ credentials: () => undefined });
  before(async () => {
    registry = await startDockerRegistry();
  });
  after(() => registry?.stop());

  test('pushes the file as oras push does, its name the layer’s title; the outcome names image, size and digest', async () => {
    const { path, data } = firmwareFile(5000);
    const ref = `${registry.host}/fw/cli:1.2.0`;
    const result = await push([path, '--image', ref]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `Pushed firmware ${ref} (4.9 KiB, ${sha256(data)})\n`);
    const { info, data: pulled } = await client.fetch(ref);
    assert.ok(pulled.equals(data));
    assert.equal(info.version, '1.2.0');
    const manifest = await send({
      method: 'GET',
      url: `${registry.url}/v2/fw/cli/manifests/1.2.0`,
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    assert.equal(
      JSON.parse(manifest.body.toString()).layers[0].annotations['org.opencontainers.image.title'],
      'fw.bin',
    );
  });

  test('--version is the tag of an image without one; -o json gives the image and the manifest digest', async () => {
    const { path, data } = firmwareFile(100);
    const result = await push([path, '--image', `${registry.host}/fw/cli`, '--version', '2.0.0', '-o', 'json']);
    assert.equal(result.code, 0, result.stderr);
    const doc = JSON.parse(result.stdout);
    assert.deepEqual(doc.image, {
      name: `${registry.host}/fw/cli`,
      version: '2.0.0',
      size: 100,
      checksum: sha256(data),
    });
    assert.match(doc.manifestDigest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(doc.status, 'success');
    assert.equal((await client.resolve(`${registry.host}/fw/cli:2.0.0`)).checksum, sha256(data));
  });

  test('a tag other than --version, no version at all, a digest or a bad reference: usage errors, nothing pushed', async () => {
    const { path } = firmwareFile(100);
    const cases: [string[], RegExp][] = [
      [
        ['--image', `${registry.host}/fw/refused:1.0.0`, '--version', '1.0.1'],
        /--image \S+ has the tag 1\.0\.0, but --version is 1\.0\.1: the tag is the version devices get/,
      ],
      [
        ['--image', `${registry.host}/fw/refused`],
        /--image \S+ has no tag: give the version as its tag or with --version/,
      ],
      [
        ['--image', `${registry.host}/fw/refused@${sha256(Buffer.from('x'))}`],
        /names a digest: firmware is pushed to a tag/,
      ],
      [['--image', `${registry.host}/Fw/refused:1.0.0`], /invalid image reference/],
    ];
    for (const [args, message] of cases) {
      const result = await push([path, ...args]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
    }
    const err = await client.resolve(`${registry.host}/fw/refused:1.0.0`).catch((e: unknown) => e);
    assert.ok(err instanceof OciError && err.code === 'not-found');
  });

  test('on a terminal, a progress bar on stderr up to 100%', async () => {
    const { path } = firmwareFile(300_000);
    const ref = `${registry.host}/fw/cli:3.0.0`;
    const result = await push([path, '--image', ref], {}, true);
    assert.equal(result.code, 0, result.stderr);
    const drawn = result.stderr.split('\r\u001b[K');
    assert.ok(drawn.length > 1, result.stderr);
    assert.equal(drawn.at(-1), `${ref} [${'#'.repeat(30)}] 100% 293.0 KiB/293.0 KiB\n`);
  });
});

describe('drg firmware push --image to a registry that needs credentials', { skip: dockerRegistryMissing }, () => {
  const password = `s3cret-${randomBytes(6).toString('hex')}`;
  let registry: DockerRegistry;
  before(async () => {
    registry = await startDockerRegistry({ users: { dave: password } });
  });
  after(() => registry?.stop());

  test('without credentials: exit 4 and how to log in; a wrong password is never printed; the variables work', async () => {
    const { path, data } = firmwareFile(100);
    const ref = `${registry.host}/fw/private:1.0.0`;
    const anonymous = await push([path, '--image', ref]);
    assert.equal(anonymous.code, 4);
    assert.equal(
      anonymous.stderr,
      `error: ${registry.host}/fw/private: the registry needs credentials (401)\n` +
        `log in with docker login ${registry.host}, or set DRG_REGISTRY_USERNAME and DRG_REGISTRY_PASSWORD\n`,
    );
    const wrong = await push([path, '--image', ref, '-v'], {
      DRG_REGISTRY_USERNAME: 'dave',
      DRG_REGISTRY_PASSWORD: `${password}x`,
    });
    assert.equal(wrong.code, 4);
    assert.match(wrong.stderr, /the registry refused the credentials \(401\)/);
    assert.ok(!`${wrong.stdout}${wrong.stderr}`.includes(password), 'no password, also with -v');
    const right = await push([path, '--image', ref], {
      DRG_REGISTRY_USERNAME: 'dave',
      DRG_REGISTRY_PASSWORD: password,
    });
    assert.equal(right.code, 0, right.stderr);
    const authenticated = new OciClient({ credentials: () => ({ username: 'dave', password }) });
    assert.ok((await authenticated.fetch(ref)).data.equals(data));
  });
});
