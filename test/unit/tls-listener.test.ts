// The HTTP listener over TLS (drg serve's HTTPS device port) with the local CA's certificate, spoken to by curl (a
// peer nobody here wrote), with the API port's limits.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { type Socket, connect as tcpConnect } from 'node:net';
import { test } from 'node:test';
import { connect, type TLSSocket } from 'node:tls';
import { loadTlsMaterial } from '../../src/server-lite/devices/tls.js';
import { type HttpLimits, HttpListener } from '../../src/server-lite/http/listener.js';
import { RateLimitedLog } from '../../src/server-lite/log-limit.js';
import { Runtime } from '../../src/server-lite/runtime.js';
import { opensslCa, opensslClientCert } from '../helpers/certs.js';
import { curl } from '../helpers/curl.js';
import { capturedLogger } from '../helpers/logs.js';
import { parseResponse, readUntilClosed } from '../helpers/raw-http.js';
import { tempDir } from '../helpers/serve.js';

/** An HTTPS listener on the local CA of a new data dir; the handler names the client certificate's CN, if any. */
async function httpsListener(limits: Partial<HttpLimits> = {}) {
  const dataDir = tempDir();
  const material = await loadTlsMaterial({ dataDir, bind: '127.0.0.1' });
  const { logger, logs } = capturedLogger('warn');
  const listener: HttpListener = new HttpListener({
    port: 0,
    bind: '127.0.0.1',
    health: () => runtime.health(),
    log: new RateLimitedLog(logger),
    limits,
    tls: material,
  });
  listener.attach((req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate(true);
    res.end(peer.subject ? `client ${peer.subject.CN}` : 'anonymous');
  });
  const runtime: Runtime = new Runtime([listener]);
  await runtime.start();
  return { listener, caFile: material.caFile!, dataDir, logs, stop: () => runtime.stop() };
}

/** A plain TCP connection, once established. */
async function tcpSocket(port: number): Promise<Socket> {
  const socket = tcpConnect(port, '127.0.0.1');
  await once(socket, 'connect');
  return socket;
}

/** A TLS connection to the listener that trusts its CA. */
async function tlsSocket(url: string, ca: string): Promise<TLSSocket> {
  const { port } = new URL(url);
  const socket = connect({ host: '127.0.0.1', port: Number(port), servername: 'localhost', ca });
  await once(socket, 'secureConnect');
  return socket;
}

test('curl speaks HTTPS to the listener, trusting the local CA; a client certificate reaches the request', async (t) => {
  const https = await httpsListener();
  t.after(https.stop);
  const { url } = https.listener;
  assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const local = url.replace('127.0.0.1', 'localhost');

  assert.deepEqual(await curl(['--cacert', https.caFile, `${local}/x`]), { status: 200, body: 'anonymous' });
  assert.deepEqual(await curl(['--cacert', https.caFile, `${url}/x`]), { status: 200, body: 'anonymous' });
  const health = await curl(['--cacert', https.caFile, `${local}/health`]);
  assert.ok('status' in health && health.status === 200 && JSON.parse(health.body).status === 'ready');

  // The listener asks for a certificate and passes on whatever the client presents: checking it is the route's.
  const dir = tempDir();
  const anyCa = opensslCa(dir, 'any-ca', [['CN', 'any']], 30);
  const device = opensslClientCert(dir, 'device', anyCa, [['CN', 'device-1']]);
  assert.deepEqual(
    await curl(['--cacert', https.caFile, '--cert', device.certFile, '--key', device.keyFile, `${local}/x`]),
    { status: 200, body: 'client device-1' },
  );

  // Without the CA, curl refuses the server (exit 60), and the listener logs the failed handshake.
  const untrusted = await curl([`${local}/x`]);
  assert.ok('exit' in untrusted && untrusted.exit === 60, JSON.stringify(untrusted));
  assert.match(https.logs(), /"msg":"a TLS handshake failed"/);
});

test("the API port's limits hold over TLS: the handshake, the headers, malformed HTTP, connections per address", async (t) => {
  const https = await httpsListener({ headersTimeoutMs: 300, maxConnectionsPerAddress: 2 });
  t.after(https.stop);
  const { url } = https.listener;
  const { port } = new URL(url);
  const ca = readFileSync(https.caFile, 'utf8');

  // A TCP connection that never starts the handshake is closed.
  assert.equal(await readUntilClosed(await tcpSocket(Number(port))), '');

  // Headers that do not arrive in time: 408 in the API's shape.
  const slow = await tlsSocket(url, ca);
  const slowReply = readUntilClosed(slow);
  slow.write('GET /x HTTP/1.1\r\nHost: drg\r\n');
  const timedOut = parseResponse(await slowReply);
  assert.equal(timedOut.status, 408);
  assert.deepEqual(JSON.parse(timedOut.body), { error: 'BadRequest', message: 'the request took too long to arrive' });

  // Malformed HTTP: 400 in the API's shape.
  const bad = await tlsSocket(url, ca);
  const badReply = readUntilClosed(bad);
  bad.write('NOT HTTP\r\n\r\n');
  assert.deepEqual(JSON.parse(parseResponse(await badReply).body), {
    error: 'BadRequest',
    message: 'malformed HTTP request',
  });

  // A third connection from the address is closed before any handshake; the two open ones are served.
  const open = [await tlsSocket(url, ca), await tlsSocket(url, ca)];
  assert.equal(await readUntilClosed(await tcpSocket(Number(port))), '');
  assert.match(https.logs(), /refused a connection: 2 are open from its address \(the limit\)/);
  const reply = readUntilClosed(open[0]);
  open[0].write('GET /x HTTP/1.1\r\nHost: drg\r\nConnection: close\r\n\r\n');
  assert.equal(parseResponse(await reply).body, 'anonymous');
  open[1].destroy();
});
