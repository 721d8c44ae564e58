// `drg create app-cert` and `drg create device-cert` against a real drg serve: the trust anchor the server
// validates, certificates checked with node:crypto and with openssl (a peer nobody here wrote), key files,
// the drg 0.11 alias, and failures that change nothing.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse, stringify } from 'yaml';
import type { Resource } from '../../src/model/resource.js';
import { contextApi } from '../helpers/context-api.js';
import { runDrg as drg, localServerDuringTests } from '../helpers/drg.js';
import { type RunResult, tempDir } from '../helpers/serve.js';

const serve = localServerDuringTests();
const api = contextApi(serve);

/** Runs drg in `cwd` (where default file names land) with the config drg serve wrote, or `config`. */
const run = (cwd: string, args: string[], config = serve.configPath) => drg(config, args, { cwd });

async function app(name: string): Promise<Resource> {
  const found = await api.getApp(name);
  assert.ok(found, `application ${name} exists`);
  return found;
}

async function device(appName: string, name: string): Promise<Resource> {
  const found = await api.getDevice(appName, name);
  assert.ok(found, `device ${name} exists`);
  return found;
}

/** The anchors' PEM texts, in order. */
function anchorPems(a: Resource): string[] {
  const anchors = (a.spec?.trustAnchors as { anchors?: { certificate: string }[] } | undefined)?.anchors ?? [];
  return anchors.map((x) => Buffer.from(x.certificate, 'base64').toString('utf8'));
}

function anchorStatus(a: Resource): Record<string, Record<string, string>>[] {
  return ((a.status?.trustAnchors as { anchors: Record<string, Record<string, string>>[] }) ?? { anchors: [] }).anchors;
}

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

/** A failure reported as one `error:` line (plus at most a hint line), no stack, non-zero exit. */
function assertOneLineError(res: RunResult, message: RegExp): void {
  assert.notEqual(res.code, 0, `expected a failure, got: ${res.stdout}`);
  const lines = res.stderr.trimEnd().split('\n');
  assert.match(lines[0], /^error: /);
  assert.match(lines[0], message);
  assert.ok(lines.length <= 2, `at most an error and a hint line:\n${res.stderr}`);
  assert.doesNotMatch(res.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(res.stdout, '');
}

async function createAppWithDevice(appName: string, deviceName?: string): Promise<void> {
  await api.createApp({ metadata: { name: appName } });
  if (deviceName) await api.createDevice(appName, { metadata: { name: deviceName, application: appName } });
}

/** `drg create app-cert` with the key in DIR/KEYNAME; returns the key path and the new CA certificate. */
async function appCert(dir: string, appName: string, extra: string[] = [], keyName = `${appName}-ca.key`) {
  const caKey = join(dir, keyName);
  const res = await run(dir, ['create', 'app-cert', '--app', appName, '--key-output', caKey, ...extra]);
  assert.equal(res.code, 0, res.stderr);
  const pems = anchorPems(await app(appName));
  return { caKey, caPem: pems[pems.length - 1] };
}

test('app-cert: a self-signed CA in the trust anchors, valid for the server; its key in a 0600 file', async () => {
  const dir = tempDir('drg-certs-');
  await createAppWithDevice('certs-app');
  const res = await run(dir, ['create', 'app-cert', '--app', 'certs-app']);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /^Trust anchor "O=Drogue IoT, OU=Cloud, CN=certs-app" .*certs-app-ca-key\.pem/);

  const stored = await app('certs-app');
  const [entry] = anchorStatus(stored);
  assert.equal(entry.valid?.subject, 'O=Drogue IoT, OU=Cloud, CN=certs-app', JSON.stringify(entry));
  const [pem] = anchorPems(stored);
  const ca = new X509Certificate(pem);
  assert.equal(ca.ca, true);
  assert.ok(ca.verify(ca.publicKey), 'self-signed');
  const years = (Date.parse(ca.validTo) - Date.now()) / (365.25 * 24 * 3600 * 1000);
  assert.ok(years > 9.9 && years < 10.1, `valid for 10 years by default, not ${years}`);

  const keyPath = join(dir, 'certs-app-ca-key.pem');
  assert.equal(mode(keyPath), 0o600);
  const keyText = readFileSync(keyPath, 'utf8');
  assert.match(keyText, /^-----BEGIN PRIVATE KEY-----\n/);
  const key = createPrivateKey(keyText);
  assert.equal(key.asymmetricKeyType, 'ec', 'ECDSA by default');
  assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.ok(ca.checkPrivateKey(key), 'the key belongs to the certificate');
  assert.deepEqual(readdirSync(dir), ['certs-app-ca-key.pem'], 'no temporary file left');
});

test('device-cert: signed by the application CA (node and openssl agree), key 0600, the drg 0.11 alias', async () => {
  const dir = tempDir('drg-certs-');
  await createAppWithDevice('certs-dev', 'dev-1');
  const { caKey, caPem } = await appCert(dir, 'certs-dev');
  const res = await run(dir, ['create', 'device-cert', 'dev-1', '--app', 'certs-dev', '--ca-key', caKey]);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /written to dev-1-cert\.pem, its private key to dev-1-key\.pem/);

  const certPath = join(dir, 'dev-1-cert.pem');
  const keyPath = join(dir, 'dev-1-key.pem');
  const ca = new X509Certificate(caPem);
  const cert = new X509Certificate(readFileSync(certPath));
  assert.ok(cert.verify(ca.publicKey), 'signed by the CA key');
  assert.equal(cert.subject, 'O=Drogue IoT\nOU=certs-dev\nCN=dev-1');
  assert.equal(cert.issuer, ca.subject);
  assert.ok(cert.checkIssued(ca));
  assert.equal(cert.ca, false);
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'], 'server and client auth');
  const days = (Date.parse(cert.validTo) - Date.now()) / (24 * 3600 * 1000);
  assert.ok(days > 364 && days < 366, `a year by default, not ${days} days`);
  assert.equal(mode(keyPath), 0o600);
  assert.ok(cert.checkPrivateKey(createPrivateKey(readFileSync(keyPath))));

  const caPath = join(dir, 'ca.pem');
  writeFileSync(caPath, caPem);
  const verified = execFileSync('openssl', ['verify', '-purpose', 'sslclient', '-CAfile', caPath, certPath], {
    encoding: 'utf8',
  });
  assert.equal(verified.trim(), `${certPath}: OK`);

  assert.deepEqual((await device('certs-dev', 'dev-1')).spec?.alias, ['CN=dev-1, O=Drogue IoT, OU=certs-dev']);
});

test('app-cert adds an anchor after the existing ones; device-cert signs with the anchor matching --ca-key', async () => {
  const dir = tempDir('drg-certs-');
  await createAppWithDevice('certs-two', 'dev-2');
  const first = await appCert(dir, 'certs-two');
  const second = await appCert(dir, 'certs-two', ['--days', '30'], 'second.key');
  const stored = await app('certs-two');
  const pems = anchorPems(stored);
  assert.equal(pems.length, 2);
  assert.equal(pems[0], first.caPem, 'the first anchor is kept');
  assert.ok(anchorStatus(stored).every((e) => e.valid));
  const secondCa = new X509Certificate(second.caPem);
  const days = (Date.parse(secondCa.validTo) - Date.now()) / (24 * 3600 * 1000);
  assert.ok(days > 29 && days < 31, `--days 30, not ${days}`);

  const res = await run(dir, ['create', 'device-cert', 'dev-2', '-a', 'certs-two', '--ca-key', second.caKey]);
  assert.equal(res.code, 0, res.stderr);
  const cert = new X509Certificate(readFileSync(join(dir, 'dev-2-cert.pem')));
  assert.ok(cert.verify(secondCa.publicKey), 'signed by the key of the second anchor');
  assert.ok(!cert.verify(new X509Certificate(first.caPem).publicKey));
  assert.ok(Date.parse(cert.validTo) <= Date.parse(secondCa.validTo), 'not valid longer than its CA');

  // Issued again with the first anchor's key, into other files (drg 0.11's --cert_output): one alias.
  const out = join(dir, 'd.pem');
  const again = await run(dir, [
    'create',
    'device-cert',
    'dev-2',
    '-a',
    'certs-two',
    '--ca-key',
    first.caKey,
    '--cert_output',
    out,
    '--key-output',
    join(dir, 'd.key'),
  ]);
  assert.equal(again.code, 0, again.stderr);
  assert.ok(new X509Certificate(readFileSync(out)).verify(new X509Certificate(first.caPem).publicKey));
  assert.deepEqual((await device('certs-two', 'dev-2')).spec?.alias, ['CN=dev-2, O=Drogue IoT, OU=certs-two']);
});

test("algorithms: --algo RSA and EdDSA, the context's default_algo, existing keys with --key-input", async () => {
  const dir = tempDir('drg-certs-');
  await createAppWithDevice('certs-algo', 'dev-3');
  const rsa = await appCert(dir, 'certs-algo', ['--algo', 'RSA']);
  const rsaKey = createPrivateKey(readFileSync(rsa.caKey));
  assert.equal(rsaKey.asymmetricKeyType, 'rsa');
  assert.equal(rsaKey.asymmetricKeyDetails?.modulusLength, 2048);
  assert.equal(new X509Certificate(rsa.caPem).publicKey.asymmetricKeyType, 'rsa');

  const res = await run(dir, [
    'create',
    'device-cert',
    'dev-3',
    '-a',
    'certs-algo',
    '--ca-key',
    rsa.caKey,
    '--algo',
    'eddsa',
  ]);
  assert.equal(res.code, 0, res.stderr);
  const cert = new X509Certificate(readFileSync(join(dir, 'dev-3-cert.pem')));
  assert.equal(cert.publicKey.asymmetricKeyType, 'ed25519');
  assert.ok(cert.verify(new X509Certificate(rsa.caPem).publicKey));

  // default_algo of the context (drg 0.11 config), overridden by --algo.
  const cfg = parse(readFileSync(serve.configPath, 'utf8'));
  cfg.contexts[0].default_algo = 'RSA';
  const config = join(dir, 'config.yaml');
  writeFileSync(config, stringify(cfg), { mode: 0o600 });
  const byDefault = await run(dir, ['create', 'app-cert', '-a', 'certs-algo', '--key-output', 'default.key'], config);
  assert.equal(byDefault.code, 0, byDefault.stderr);
  assert.equal(createPrivateKey(readFileSync(join(dir, 'default.key'))).asymmetricKeyType, 'rsa');
  const byFlag = await run(
    dir,
    ['create', 'app-cert', '-a', 'certs-algo', '--key-output', 'flag.key', '--algo', 'ECDSA'],
    config,
  );
  assert.equal(byFlag.code, 0, byFlag.stderr);
  assert.equal(createPrivateKey(readFileSync(join(dir, 'flag.key'))).asymmetricKeyType, 'ec');

  // --key-input: a DER PKCS#8 CA key (as drg 0.11 took it) and a SEC1 PEM device key; no key files written.
  const caInput = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
  writeFileSync(join(dir, 'ca.pk8'), caInput.export({ type: 'pkcs8', format: 'der' }));
  const withInput = await run(dir, ['create', 'app-cert', '-a', 'certs-algo', '--key-input', 'ca.pk8']);
  assert.equal(withInput.code, 0, withInput.stderr);
  const inputCa = new X509Certificate(anchorPems(await app('certs-algo')).at(-1) as string);
  assert.ok(inputCa.checkPrivateKey(caInput));
  const deviceInput = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  writeFileSync(join(dir, 'dev.pem'), deviceInput.export({ type: 'sec1', format: 'pem' }));
  const filesBefore = readdirSync(dir);
  const signed = await run(dir, [
    'create',
    'device-cert',
    'dev-3',
    '-a',
    'certs-algo',
    '--ca-key',
    'ca.pk8',
    '--key-input',
    'dev.pem',
    '--cert-output',
    'input-cert.pem',
  ]);
  assert.equal(signed.code, 0, signed.stderr);
  const inputCert = new X509Certificate(readFileSync(join(dir, 'input-cert.pem')));
  assert.ok(inputCert.checkPrivateKey(deviceInput));
  assert.ok(inputCert.verify(inputCa.publicKey));
  assert.deepEqual(readdirSync(dir).sort(), [...filesBefore, 'input-cert.pem'].sort(), 'no key file for --key-input');
});

test('failures are one line, exit non-zero, and change nothing', async () => {
  const dir = tempDir('drg-certs-');
  await createAppWithDevice('certs-err', 'dev-4');
  await createAppWithDevice('certs-bare', 'dev-5');
  const { caKey } = await appCert(dir, 'certs-err');
  const before = {
    app: (await app('certs-err')).metadata.resourceVersion,
    device: (await device('certs-err', 'dev-4')).metadata.resourceVersion,
    bare: (await device('certs-bare', 'dev-5')).metadata.resourceVersion,
  };
  const otherKey = join(dir, 'other.pem');
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  writeFileSync(otherKey, other.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(dir, 'not-a-key.pem'), 'hello\n');
  const files = () => readdirSync(dir).sort();
  const initial = files();
  const deviceCert = (args: string[]) => run(dir, ['create', 'device-cert', ...args]);

  assertOneLineError(
    await deviceCert(['dev-4', '-a', 'certs-err', '--ca-key', 'missing.pem']),
    /cannot read --ca-key missing\.pem: no such file/,
  );
  assertOneLineError(
    await deviceCert(['dev-4', '-a', 'certs-err', '--ca-key', otherKey]),
    /--ca-key .*other\.pem does not match any trust anchor of application 'certs-err'/,
  );
  assertOneLineError(
    await deviceCert(['dev-4', '-a', 'certs-err', '--ca-key', 'not-a-key.pem']),
    /--ca-key not-a-key\.pem is not a private key/,
  );
  assertOneLineError(
    await deviceCert(['dev-5', '-a', 'certs-bare', '--ca-key', caKey]),
    /application 'certs-bare' has no trust anchors/,
  );
  assertOneLineError(
    await deviceCert(['nobody', '-a', 'certs-err', '--ca-key', caKey]),
    /device 'nobody' in application 'certs-err' not found/,
  );
  assertOneLineError(await deviceCert(['dev-4', '-a', 'certs-err']), /required option '--ca-key <file>'/);
  assertOneLineError(
    await run(dir, ['create', 'app-cert', '-a', 'certs-err', '--algo', 'DSA']),
    /--algo must be one of ECDSA, EdDSA, RSA/,
  );
  assertOneLineError(await run(dir, ['create', 'app-cert', '-a', 'certs-err', '--days', '0']), /--days/);
  assertOneLineError(
    await run(dir, ['create', 'app-cert', '-a', 'certs-missing']),
    /application 'certs-missing' not found/,
  );

  const json = await deviceCert(['dev-5', '-a', 'certs-bare', '--ca-key', caKey, '-o', 'json']);
  assert.notEqual(json.code, 0);
  assert.equal(JSON.parse(json.stdout).status, 'failure');

  assert.deepEqual(files(), initial, 'no file written');
  assert.equal((await app('certs-err')).metadata.resourceVersion, before.app);
  assert.equal((await device('certs-err', 'dev-4')).metadata.resourceVersion, before.device);
  assert.equal((await device('certs-bare', 'dev-5')).metadata.resourceVersion, before.bare);
  assert.equal(await api.getApp('certs-missing'), undefined);
});

test('existing files are not overwritten unless --force', async () => {
  const dir = tempDir('drg-certs-');
  await createAppWithDevice('certs-force', 'dev-6');
  const keyPath = join(dir, 'certs-force-ca-key.pem');
  writeFileSync(keyPath, 'precious\n');
  const refused = await run(dir, ['create', 'app-cert', '-a', 'certs-force']);
  assertOneLineError(refused, /certs-force-ca-key\.pem already exists: not overwriting it/);
  assert.equal(readFileSync(keyPath, 'utf8'), 'precious\n');
  assert.equal(anchorPems(await app('certs-force')).length, 0, 'no anchor added');

  const forced = await run(dir, ['create', 'app-cert', '-a', 'certs-force', '--force']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(mode(keyPath), 0o600);
  const [caPem] = anchorPems(await app('certs-force'));
  assert.ok(new X509Certificate(caPem).checkPrivateKey(createPrivateKey(readFileSync(keyPath))));

  const sameFile = await run(dir, [
    'create',
    'device-cert',
    'dev-6',
    '-a',
    'certs-force',
    '--ca-key',
    keyPath,
    '--cert-output',
    'x.pem',
    '--key-output',
    'x.pem',
  ]);
  assertOneLineError(sameFile, /x\.pem is given for two outputs/);
  assert.deepEqual(readdirSync(dir), ['certs-force-ca-key.pem']);
});

/**
 * A proxy in front of drg serve that, on the first PUT, first lets someone else label the same resource:
 * the command's write then carries a stale resourceVersion.
 */
async function racingProxy(): Promise<{ url: string; close: () => Promise<void> }> {
  let raced = false;
  const body = (req: IncomingMessage) =>
    new Promise<string>((res) => {
      let text = '';
      req.on('data', (c) => {
        text += c;
      });
      req.on('end', () => res(text));
    });
  const server = createServer(async (req, res) => {
    const data = await body(req);
    if (req.method === 'PUT' && !raced) {
      raced = true;
      const current = (await api.request('GET', req.url as string)).body as Resource;
      current.metadata.labels = { ...current.metadata.labels, other: 'change' };
      const put = await api.request('PUT', req.url as string, current);
      assert.equal(put.status, 204);
    }
    const headers: Record<string, string> = {};
    for (const name of ['authorization', 'content-type']) {
      if (req.headers[name]) headers[name] = req.headers[name] as string;
    }
    const upstream = await fetch(serve.url + req.url, {
      method: req.method,
      headers,
      body: data === '' ? undefined : data,
    });
    const text = Buffer.from(await upstream.arrayBuffer());
    const type = upstream.headers.get('content-type');
    res.writeHead(upstream.status, type ? { 'content-type': type } : {}).end(text);
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((res) => server.close(() => res())),
  };
}

/** A copy of drg serve's config in `dir` whose context talks to `url` instead. */
function configVia(dir: string, url: string): string {
  const cfg = parse(readFileSync(serve.configPath, 'utf8'));
  cfg.contexts[0].drogue_cloud_url = url;
  cfg.contexts[0].registry_url = url;
  const config = join(dir, 'proxy.yaml');
  writeFileSync(config, stringify(cfg), { mode: 0o600 });
  return config;
}

test('a concurrent change is a 409 conflict: the other change stays, no anchor or alias added, no file kept', async () => {
  const dir = tempDir('drg-certs-');
  await createAppWithDevice('certs-race', 'dev-7');
  const { caKey } = await appCert(dir, 'certs-race');
  const proxy = await racingProxy();
  try {
    const config = configVia(dir, proxy.url);
    const filesBefore = readdirSync(dir).sort();

    const res = await run(dir, ['create', 'app-cert', '-a', 'certs-race', '--key-output', 'new.key'], config);
    assertOneLineError(res, /application 'certs-race' was changed by someone else while drg was updating it/);
    assert.match(res.stderr, /nothing was changed and no file was written/);
    const stored = await app('certs-race');
    assert.deepEqual(stored.metadata.labels, { other: 'change' });
    assert.equal(anchorPems(stored).length, 1, 'no anchor added');
    assert.deepEqual(readdirSync(dir).sort(), filesBefore, 'no key file, no temporary file');
  } finally {
    await proxy.close();
  }

  const deviceProxy = await racingProxy();
  try {
    const config = configVia(dir, deviceProxy.url);
    const filesBefore = readdirSync(dir).sort();
    const res = await run(
      dir,
      ['create', 'device-cert', 'dev-7', '-a', 'certs-race', '--ca-key', caKey, '-o', 'json'],
      config,
    );
    assert.notEqual(res.code, 0);
    const doc = JSON.parse(res.stdout);
    assert.equal(doc.status, 'failure');
    assert.equal(doc.http_status, 409);
    const stored = await device('certs-race', 'dev-7');
    assert.deepEqual(stored.metadata.labels, { other: 'change' });
    assert.equal(stored.spec?.alias, undefined);
    assert.deepEqual(readdirSync(dir).sort(), filesBefore, 'no certificate or key file');
  } finally {
    await deviceProxy.close();
  }
});

test('-o json: one success document', async () => {
  const dir = tempDir('drg-certs-');
  await createAppWithDevice('certs-json', 'dev-8');
  const res = await run(dir, ['create', 'app-cert', '-a', 'certs-json', '-o', 'json']);
  assert.equal(res.code, 0, res.stderr);
  const doc = JSON.parse(res.stdout);
  assert.equal(doc.status, 'success');
  assert.match(doc.message, /CN=certs-json/);
  const dev = await run(dir, [
    'create',
    'device-cert',
    'dev-8',
    '-a',
    'certs-json',
    '--ca-key',
    'certs-json-ca-key.pem',
    '-o',
    'json',
  ]);
  assert.equal(dev.code, 0, dev.stderr);
  assert.equal(JSON.parse(dev.stdout).status, 'success');
});
