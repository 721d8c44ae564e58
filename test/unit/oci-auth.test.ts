// Authentication with a real registry (docker-registry): htpasswd Basic, and Bearer tokens from a token service
// whose JWTs the registry verifies; credentials from the caller, the environment's variables or docker's config.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { OciClient, OciError, registryCredentials } from '../../src/firmware/oci/index.js';
import {
  type DockerRegistry,
  dockerRegistryMissing,
  ociError,
  type RecordingFront,
  recordingFront,
  startDockerRegistry,
  startTokenService,
  type TokenService,
} from '../helpers/docker-registry.js';
import { tempDir } from '../helpers/serve.js';

function assertNoSecret(err: OciError, secret: string): void {
  const shown = `${err.message}\n${err.hint}\n${err.stack}`;
  assert.ok(!shown.includes(secret), `the secret in ${shown}`);
  assert.ok(!shown.includes(Buffer.from(secret).toString('base64')));
}

describe('a registry with Basic authentication (htpasswd)', { skip: dockerRegistryMissing }, () => {
  const password = `pässword-${randomBytes(6).toString('hex')}`;
  let registry: DockerRegistry;
  let front: RecordingFront;
  before(async () => {
    registry = await startDockerRegistry({ users: { alice: password } });
    front = await recordingFront(registry.host);
  });
  after(async () => {
    await front?.stop();
    await registry?.stop();
  });

  test('without credentials: a 401 that says how to log in', async () => {
    const client = new OciClient({ credentials: () => undefined });
    const err = await ociError(client.push(`${registry.host}/fw/basic:1.0.0`, Buffer.from('fw')));
    assert.deepEqual([err.code, err.status], ['unauthorized', 401]);
    assert.equal(err.message, `${registry.host}/fw/basic: the registry needs credentials (401)`);
    assert.equal(
      err.hint,
      `log in with docker login ${registry.host}, or set DRG_REGISTRY_USERNAME and DRG_REGISTRY_PASSWORD`,
    );
  });

  test('a wrong password is refused, and appears in no message', async () => {
    const wrong = `${password}-wrong`;
    const client = new OciClient({ credentials: () => ({ username: 'alice', password: wrong }) });
    const err = await ociError(client.resolve(`${registry.host}/fw/basic:1.0.0`));
    assert.deepEqual([err.code, err.status], ['unauthorized', 401]);
    assert.equal(err.message, `${registry.host}/fw/basic: the registry refused the credentials (401)`);
    assertNoSecret(err, wrong);
  });

  test('the right credentials push and pull; after the first challenge they go with every request', async () => {
    const asked: string[] = [];
    const client = new OciClient({
      credentials: (name) => {
        asked.push(name);
        return { username: 'alice', password };
      },
    });
    const data = randomBytes(1024);
    await client.push(`${front.host}/fw/basic:1.0.0`, data);
    assert.ok((await client.fetch(`${front.host}/fw/basic:1.0.0`)).data.equals(data));
    assert.deepEqual([...new Set(asked)], [front.host], 'credentials asked for by registry');
    const manifestGets = () => front.requests.filter((r) => r === 'GET /v2/fw/basic/manifests/1.0.0').length;
    const before = manifestGets();
    await client.resolve(`${front.host}/fw/basic:1.0.0`);
    assert.equal(manifestGets(), before + 1, 'no 401 first');
  });

  test('credentials from docker’s config file (DOCKER_CONFIG), as docker login writes them', async () => {
    const dir = tempDir();
    const auth = Buffer.from(`alice:${password}`).toString('base64');
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: { [`http://${registry.host}/v2/`]: { auth } } }));
    const client = new OciClient({ credentials: registryCredentials({ DOCKER_CONFIG: dir }) });
    await client.push(`${registry.host}/fw/docker-config:1.0.0`, Buffer.from('from docker config'));
    assert.equal((await client.fetch(`${registry.host}/fw/docker-config:1.0.0`)).data.toString(), 'from docker config');
  });
});

describe('a registry with Bearer tokens from a token service', { skip: dockerRegistryMissing }, () => {
  const password = `token-${randomBytes(6).toString('hex')}`;
  let issuedAt = () => new Date();
  let tokens: TokenService;
  let registry: DockerRegistry;
  before(async () => {
    tokens = await startTokenService({ users: { bob: password }, expiresIn: 300, issuedAt: () => issuedAt() });
    registry = await startDockerRegistry({ tokens });
  });
  after(async () => {
    await registry?.stop();
    await tokens?.stop();
  });
  const bob = () => new OciClient({ credentials: () => ({ username: 'bob', password }) });

  test('a token per scope, fetched with the credentials and reused until it expires', async () => {
    const client = bob();
    const data = randomBytes(2048);
    const ref = `${registry.host}/fw/bearer:1.0.0`;
    const first = tokens.requests.length;
    await client.push(ref, data);
    assert.ok((await client.fetch(ref)).data.equals(data));
    await client.resolve(ref);
    assert.deepEqual(tokens.requests.slice(first), [
      { scopes: ['repository:fw/bearer:pull,push'], user: 'bob' },
      { scopes: ['repository:fw/bearer:pull'], user: 'bob' },
    ]);
  });

  test('an expired token is not used: a new one is fetched', async () => {
    const client = bob();
    const ref = `${registry.host}/fw/expiring:1.0.0`;
    await client.push(ref, Buffer.from('expiring'));
    issuedAt = () => new Date(Date.now() - 3600_000);
    try {
      const first = tokens.requests.length;
      await client.resolve(ref);
      await client.resolve(ref);
      assert.equal(tokens.requests.length - first, 2);
    } finally {
      issuedAt = () => new Date();
    }
  });

  test('anonymous: pulls with an anonymous token; a push is refused with how to log in', async () => {
    const ref = `${registry.host}/fw/public:1.0.0`;
    await bob().push(ref, Buffer.from('public firmware'));
    const anonymous = new OciClient({ credentials: () => undefined });
    assert.equal((await anonymous.fetch(ref)).data.toString(), 'public firmware');
    assert.equal(tokens.requests.at(-1)?.user, undefined);
    const err = await ociError(anonymous.push(ref, Buffer.from('overwritten')));
    assert.deepEqual([err.code, err.status], ['unauthorized', 401]);
    assert.match(err.hint ?? '', /DRG_REGISTRY_USERNAME/);
  });

  test('a password the token service refuses appears in no message', async () => {
    const wrong = `${password}-wrong`;
    const client = new OciClient({ credentials: () => ({ username: 'bob', password: wrong }) });
    const err = await ociError(client.resolve(`${registry.host}/fw/bearer:1.0.0`));
    assert.equal(err.message, `${registry.host}/fw/bearer: the registry refused the credentials (401)`);
    assertNoSecret(err, wrong);
  });
});

describe('where credentials come from', () => {
  const home = () => {
    const dir = tempDir();
    mkdirSync(join(dir, '.docker'));
    return dir;
  };

  test('DRG_REGISTRY_USERNAME and DRG_REGISTRY_PASSWORD, for every registry, before docker’s config', () => {
    const dir = home();
    const auth = Buffer.from('docker-user:docker-pass').toString('base64');
    writeFileSync(join(dir, '.docker', 'config.json'), JSON.stringify({ auths: { 'ghcr.io': { auth } } }));
    const env = { HOME: dir, DRG_REGISTRY_USERNAME: 'env-user', DRG_REGISTRY_PASSWORD: 'env-pass' };
    assert.deepEqual(registryCredentials(env)('ghcr.io'), { username: 'env-user', password: 'env-pass' });
    assert.deepEqual(registryCredentials({ HOME: dir })('ghcr.io'), {
      username: 'docker-user',
      password: 'docker-pass',
    });
  });

  test('docker’s auths: base64 auth or username and password, keys with scheme and path, Docker Hub’s old URL', () => {
    const dir = home();
    const auth = (text: string) => Buffer.from(text).toString('base64');
    const auths = {
      'https://registry.example:5000/v1/': { auth: auth('u1:p:with:colons') },
      'quay.example': { username: 'u2', password: 'p2' },
      'https://index.docker.io/v1/': { auth: auth('hub-user:hub-pass') },
      'empty.example': {},
    };
    writeFileSync(join(dir, '.docker', 'config.json'), JSON.stringify({ auths, credsStore: 'desktop' }));
    const credentials = registryCredentials({ HOME: dir });
    assert.deepEqual(credentials('registry.example:5000'), { username: 'u1', password: 'p:with:colons' });
    assert.deepEqual(credentials('quay.example'), { username: 'u2', password: 'p2' });
    assert.deepEqual(credentials('docker.io'), { username: 'hub-user', password: 'hub-pass' });
    assert.equal(credentials('registry.example'), undefined, 'the port counts');
    assert.equal(credentials('empty.example'), undefined);
    assert.equal(registryCredentials({ HOME: tempDir() })('quay.example'), undefined, 'no config file');
  });

  test('DOCKER_CONFIG names the directory; a config that is not JSON is an error that names the file', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'config.json'), '{"auths": ');
    assert.throws(
      () => registryCredentials({ DOCKER_CONFIG: dir, HOME: home() })('ghcr.io'),
      (err: unknown) => err instanceof OciError && err.message === `${join(dir, 'config.json')} is not valid JSON`,
    );
  });
});
