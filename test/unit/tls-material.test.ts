// drg serve's TLS material: the local CA and server certificate made on the first start (checked by openssl, a
// peer nobody here wrote, and by a real TLS handshake), reused later, renewed when the server certificate nears its
// end or no longer names the bind address; and a given certificate and key, with bad pairs refused in one line.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { type AddressInfo, isIP } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect, createServer } from 'node:tls';
import { loadTlsMaterial, serverNames, TLS_DIR, type TlsMaterial } from '../../src/server-lite/devices/tls.js';
import { opensslCa } from '../helpers/certs.js';
import { tempDir } from '../helpers/serve.js';

const DAY_MS = 24 * 60 * 60 * 1000;

function openssl(args: string[]): string {
  return execFileSync('openssl', args, { stdio: 'pipe' }).toString();
}

/** The four files of the local CA, as they are on disk. */
function tlsFiles(dataDir: string) {
  const dir = join(dataDir, TLS_DIR);
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  return {
    dir,
    ca: read('ca.pem'),
    caKey: read('ca-key.pem'),
    cert: read('server.pem'),
    key: read('server-key.pem'),
  };
}

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

/** A TLS client that trusts only `ca` gets the server's greeting at `name` (a host name, or an IP it connects to). */
async function handshake(material: TlsMaterial, ca: string, name: string): Promise<void> {
  const server = createServer({ key: material.key, cert: material.cert }, (socket) => socket.end('hello'));
  server.listen(0, '::');
  await once(server, 'listening');
  try {
    const { port } = server.address() as AddressInfo;
    // node:tls checks the certificate for the servername, else for the IP connected to.
    const target = isIP(name) ? { host: name } : { host: '127.0.0.1', servername: name };
    const socket = connect({ port, ca, ...target });
    const [data] = await once(socket, 'data');
    assert.equal(String(data), 'hello');
    assert.ok(socket.authorized);
    socket.destroy();
  } finally {
    server.close();
  }
}

test('the first start makes a local CA and a server certificate: openssl verifies them, files and modes as they should be', async () => {
  const dataDir = tempDir();
  const material = await loadTlsMaterial({ dataDir, bind: '127.0.0.1' });
  const files = tlsFiles(dataDir);
  assert.equal(material.made, 'first-ca');
  assert.equal(material.caFile, join(files.dir, 'ca.pem'));
  assert.equal(material.cert, files.cert);
  assert.equal(material.key, files.key);
  assert.deepEqual(readdirSync(files.dir).sort(), ['ca-key.pem', 'ca.pem', 'server-key.pem', 'server.pem']);
  assert.equal(mode(files.dir), 0o700);
  assert.equal(mode(join(files.dir, 'ca-key.pem')), 0o600);
  assert.equal(mode(join(files.dir, 'server-key.pem')), 0o600);
  assert.equal(mode(join(files.dir, 'ca.pem')), 0o644);

  assert.equal(
    openssl(['verify', '-CAfile', material.caFile!, join(files.dir, 'server.pem')]).trim(),
    `${join(files.dir, 'server.pem')}: OK`,
  );
  const ca = new X509Certificate(files.ca);
  const server = new X509Certificate(files.cert);
  assert.ok(ca.ca);
  assert.ok(!server.ca);
  assert.ok(ca.checkPrivateKey(createPrivateKey(files.caKey)));
  const years = (Date.parse(ca.validTo) - Date.now()) / (365 * DAY_MS);
  assert.ok(years > 9.9 && years < 10.1, `the CA is valid for ~10 years, not ${years}`);
  const days = (Date.parse(server.validTo) - Date.now()) / DAY_MS;
  assert.ok(days > 364 && days < 366, `the server certificate is valid for ~1 year, not ${days} days`);
  assert.equal(server.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  assert.match(
    openssl(['x509', '-in', join(files.dir, 'server.pem'), '-noout', '-ext', 'extendedKeyUsage']),
    /TLS Web Server Authentication/,
  );

  // A real client that trusts only ca.pem accepts the server by name and by IP.
  await handshake(material, files.ca, 'localhost');
  await handshake(material, files.ca, '127.0.0.1');
  await handshake(material, files.ca, '::1');
});

test('a later start reuses the files as they are', async () => {
  const dataDir = tempDir();
  await loadTlsMaterial({ dataDir, bind: '127.0.0.1' });
  const before = tlsFiles(dataDir);
  const modified = statSync(join(before.dir, 'server.pem')).mtimeMs;
  const again = await loadTlsMaterial({ dataDir, bind: '127.0.0.1' });
  assert.equal(again.made, undefined);
  assert.deepEqual(tlsFiles(dataDir), before);
  assert.equal(again.cert, before.cert);
  assert.equal(again.key, before.key);
  assert.equal(statSync(join(before.dir, 'server.pem')).mtimeMs, modified);
});

test('a server certificate that expires within 30 days is renewed by the same CA', async () => {
  const dataDir = tempDir();
  await loadTlsMaterial({ dataDir, bind: '127.0.0.1' });
  const first = tlsFiles(dataDir);
  // openssl signs a server certificate for the same key and names that ends in 10 days.
  const csr = join(first.dir, 'short.csr');
  const short = join(first.dir, 'server.pem');
  openssl(['req', '-new', '-key', join(first.dir, 'server-key.pem'), '-subj', '/CN=localhost', '-out', csr]);
  const ext = join(first.dir, 'short.ext');
  writeFileSync(ext, 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n');
  openssl(
    ['x509', '-req', '-in', csr, '-CA', join(first.dir, 'ca.pem'), '-CAkey', join(first.dir, 'ca-key.pem')].concat([
      '-CAcreateserial',
      '-days',
      '10',
      '-extfile',
      ext,
      '-out',
      short,
    ]),
  );
  for (const leftover of ['short.csr', 'short.ext', 'ca.srl']) unlinkSync(join(first.dir, leftover));
  const expiring = readFileSync(short, 'utf8');

  const renewed = await loadTlsMaterial({ dataDir, bind: '127.0.0.1' });
  assert.equal(renewed.made, 'server');
  const now = tlsFiles(dataDir);
  assert.equal(now.ca, first.ca, 'the CA stays');
  assert.equal(now.caKey, first.caKey);
  assert.notEqual(now.cert, expiring);
  assert.notEqual(now.key, first.key, 'a new key with the new certificate');
  assert.ok(Date.parse(new X509Certificate(now.cert).validTo) - Date.now() > 364 * DAY_MS);
  openssl(['verify', '-CAfile', join(now.dir, 'ca.pem'), join(now.dir, 'server.pem')]);
  assert.deepEqual(readdirSync(now.dir).sort(), ['ca-key.pem', 'ca.pem', 'server-key.pem', 'server.pem']);
});

test('a bind address the server certificate does not name renews it with that name; one it names does not', async () => {
  const dataDir = tempDir();
  const first = await loadTlsMaterial({ dataDir, bind: '127.0.0.1' });
  const ca = tlsFiles(dataDir).ca;

  const byIp = await loadTlsMaterial({ dataDir, bind: '127.0.0.2' });
  assert.equal(byIp.made, 'server');
  assert.notEqual(byIp.cert, first.cert);
  assert.equal(new X509Certificate(byIp.cert).checkIP('127.0.0.2'), '127.0.0.2');
  await handshake(byIp, ca, '127.0.0.2');

  const byName = await loadTlsMaterial({ dataDir, bind: 'drg-test.example' });
  assert.equal(byName.made, 'server');
  const named = new X509Certificate(byName.cert);
  assert.equal(named.checkHost('drg-test.example'), 'drg-test.example');
  assert.equal(named.checkIP('127.0.0.1'), '127.0.0.1');
  await handshake(byName, ca, 'drg-test.example');

  // localhost, 127.0.0.1 and ::1 are always named: binding to them again needs no new certificate.
  for (const bind of ['127.0.0.1', 'localhost', '::1']) {
    const same = await loadTlsMaterial({ dataDir, bind });
    assert.equal(same.made, undefined, bind);
    assert.equal(same.cert, byName.cert, bind);
  }
  assert.equal(tlsFiles(dataDir).ca, ca, 'the CA never changed');
});

test('a wildcard bind names this machine: its host name and addresses', async () => {
  const names = serverNames('0.0.0.0');
  assert.ok(names.dnsNames.includes(hostname()));
  assert.ok(names.ips.includes('127.0.0.1') && names.ips.includes('::1'));
  const material = await loadTlsMaterial({ dataDir: tempDir(), bind: '::' });
  const cert = new X509Certificate(material.cert);
  assert.equal(cert.checkHost(hostname()), hostname());
  for (const ip of names.ips) assert.equal(cert.checkIP(ip), ip);
});

test('damaged files: a bad server key renews the certificate; a CA whose key is lost is replaced', async () => {
  const dataDir = tempDir();
  await loadTlsMaterial({ dataDir, bind: '127.0.0.1' });
  const first = tlsFiles(dataDir);

  writeFileSync(join(first.dir, 'server-key.pem'), first.key.slice(0, 40));
  const renewed = await loadTlsMaterial({ dataDir, bind: '127.0.0.1' });
  assert.equal(renewed.made, 'server');
  assert.equal(tlsFiles(dataDir).ca, first.ca);

  // Without the CA's key nothing can be signed: a new CA, and a server certificate by it.
  unlinkSync(join(first.dir, 'ca-key.pem'));
  writeFileSync(join(first.dir, 'server.pem'), 'not a certificate');
  const replaced = await loadTlsMaterial({ dataDir, bind: '127.0.0.1' });
  assert.equal(replaced.made, 'new-ca');
  const now = tlsFiles(dataDir);
  assert.notEqual(now.ca, first.ca);
  openssl(['verify', '-CAfile', join(now.dir, 'ca.pem'), join(now.dir, 'server.pem')]);

  // Nor can a damaged CA certificate sign anything.
  writeFileSync(join(now.dir, 'ca.pem'), now.ca.slice(0, 100));
  const fromDamaged = await loadTlsMaterial({ dataDir, bind: '127.0.0.1' });
  assert.equal(fromDamaged.made, 'new-ca');
  assert.notEqual(tlsFiles(dataDir).ca, now.ca);
  openssl(['verify', '-CAfile', join(now.dir, 'ca.pem'), join(now.dir, 'server.pem')]);

  // A server certificate from another CA is not kept either.
  const other = tempDir();
  await loadTlsMaterial({ dataDir: other, bind: '127.0.0.1' });
  const foreign = tlsFiles(other);
  writeFileSync(join(now.dir, 'server.pem'), foreign.cert);
  writeFileSync(join(now.dir, 'server-key.pem'), foreign.key);
  const again = await loadTlsMaterial({ dataDir, bind: '127.0.0.1' });
  assert.equal(again.made, 'server');
  openssl(['verify', '-CAfile', join(now.dir, 'ca.pem'), join(now.dir, 'server.pem')]);
});

test('a given certificate and key are used as they are, with no local CA', async () => {
  const dir = tempDir();
  const given = opensslCa(dir, 'server', [['CN', 'localhost']], 30, 'subjectAltName=DNS:localhost');
  const certFile = join(dir, 'server.crt');
  const keyFile = join(dir, 'server.key');
  const dataDir = join(dir, 'data');
  const material = await loadTlsMaterial({ dataDir, bind: '127.0.0.1', certFile, keyFile });
  assert.equal(material.cert, given.pem);
  assert.equal(material.caFile, undefined);
  assert.equal(material.made, undefined);
  assert.ok(!existsSync(join(dataDir, TLS_DIR)));
  await handshake(material, given.pem, 'localhost');
});

test('a given pair that cannot be used is one line that names the file', async () => {
  const dir = tempDir();
  opensslCa(dir, 'a', [['CN', 'a']], 30);
  opensslCa(dir, 'b', [['CN', 'b']], 30);
  writeFileSync(join(dir, 'garbage.pem'), 'hello\n');
  const dataDir = join(dir, 'data');
  const load = (certFile?: string, keyFile?: string) =>
    loadTlsMaterial({ dataDir, bind: '127.0.0.1', certFile, keyFile });
  const cases: Array<[string | undefined, string | undefined, RegExp]> = [
    [join(dir, 'a.crt'), undefined, /^--tls-cert and --tls-key go together$/],
    [undefined, join(dir, 'a.key'), /^--tls-cert and --tls-key go together$/],
    [join(dir, 'none.crt'), join(dir, 'a.key'), /^cannot read --tls-cert .*none\.crt: no such file$/],
    [join(dir, 'a.crt'), join(dir, 'none.key'), /^cannot read --tls-key .*none\.key: no such file$/],
    [join(dir, 'garbage.pem'), join(dir, 'a.key'), /^--tls-cert .*garbage\.pem is not a PEM certificate$/],
    [join(dir, 'a.key'), join(dir, 'a.key'), /^--tls-cert .*a\.key is not a PEM certificate$/],
    [join(dir, 'a.crt'), join(dir, 'garbage.pem'), /^--tls-key .*garbage\.pem is not a private key/],
    [
      join(dir, 'a.crt'),
      join(dir, 'b.key'),
      /^the key in --tls-key .*b\.key does not belong to the certificate in --tls-cert .*a\.crt$/,
    ],
  ];
  for (const [certFile, keyFile, message] of cases) {
    await assert.rejects(load(certFile, keyFile), (err: Error) => {
      assert.match(err.message, message);
      assert.doesNotMatch(err.message, /\n/);
      return true;
    });
  }
  assert.ok(!existsSync(join(dataDir, TLS_DIR)));
});
