// What a client can hold of drg serve's HTTP port is bounded (small values here): the time to send a request's
// headers and its whole body, idle keep-alive connections, connections in all and per address, and the time
// requests in flight get when it stops. Clients that go away mid-request are logged briefly, once.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { HttpListener } from '../../src/server-lite/http/listener.js';
import { RateLimitedLog } from '../../src/server-lite/log-limit.js';
import { Runtime } from '../../src/server-lite/runtime.js';
import { capturedLogger } from '../helpers/logs.js';
import { halfSentPost, openSocket, parseResponse, readUntilClosed } from '../helpers/raw-http.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const APPS = '/api/registry/v1alpha1/apps';
const HEADERS_TIMEOUT_MS = 300;
const REQUEST_TIMEOUT_MS = 600;

let s: TestServer;
before(async () => {
  s = await startTestServer(undefined, {
    http: { headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS, keepAliveTimeoutMs: 100 },
  });
});
after(() => s.close());

function warnings(server: TestServer): string[] {
  return server
    .logs()
    .split('\n')
    .filter((line) => line.includes('"level":40'))
    .map((line) => JSON.parse(line).msg);
}

test('headers that do not arrive in time: 408 in the API shape, the connection closed', async () => {
  const socket = await openSocket(s.url);
  const reply = readUntilClosed(socket);
  socket.write(`GET ${APPS} HTTP/1.1\r\nHost: drg\r\n`);
  const response = parseResponse(await reply);
  assert.equal(response.status, 408);
  assert.deepEqual(JSON.parse(response.body), { error: 'BadRequest', message: 'the request took too long to arrive' });
  await s.waitForLog(/closed a connection whose request headers did not arrive within 300 ms/);

  // A connection that never says anything is closed too (and not logged).
  const silent = await openSocket(s.url);
  await readUntilClosed(silent);
});

test('a body that does not arrive in time, even byte by byte: 408, the connection closed', async () => {
  const socket = await halfSentPost(s);
  const response = parseResponse(await readUntilClosed(socket));
  assert.equal(response.status, 408);
  await s.waitForLog(/closed a connection whose request body did not arrive within 600 ms/);

  // A byte every 50 ms keeps the connection busy, not the request alive.
  const trickling = await halfSentPost(s, '');
  const closed = readUntilClosed(trickling);
  const drip = setInterval(() => trickling.write(' '), 50);
  try {
    assert.equal(parseResponse(await closed).status, 408);
  } finally {
    clearInterval(drip);
  }
  assert.ok(!warnings(s).includes('the client went away mid-request'));
});

test('an idle keep-alive connection is closed after the keep-alive timeout', async () => {
  const socket = await openSocket(s.url);
  const reply = readUntilClosed(socket);
  socket.write('GET /.well-known/drogue-version HTTP/1.1\r\nHost: drg\r\n\r\n');
  // The reply is complete once the server closed the connection, which the client left open.
  const response = parseResponse(await reply);
  assert.equal(response.status, 200);
  assert.equal(response.headers.connection, 'keep-alive');
});

test('connections beyond the limits are closed as they come: in all, and per client address', async () => {
  const { logger, logs } = capturedLogger('warn');
  const listener: HttpListener = new HttpListener({
    port: 0,
    bind: '127.0.0.1',
    health: () => runtime.health(),
    log: new RateLimitedLog(logger),
    limits: { maxConnections: 3, maxConnectionsPerAddress: 2 },
  });
  listener.attach((_req, res) => res.end('answered'));
  const runtime: Runtime = new Runtime([listener]);
  await runtime.start();
  // When the server's end of each connection (by the client's port) has closed.
  const closed = new Map<number, Promise<unknown>>();
  listener.server.on('connection', (socket: Socket) => closed.set(socket.remotePort!, once(socket, 'close')));
  const open: Socket[] = [];
  try {
    open.push(await openSocket(listener.url), await openSocket(listener.url));
    const third = await openSocket(listener.url);
    assert.equal(await readUntilClosed(third), '');
    assert.match(logs(), /refused a connection: 2 are open from its address \(the limit\)/);

    const other = await openSocket(listener.url, '127.0.0.2');
    const otherPort = other.localPort!;
    open.push(other);
    const beyond = await openSocket(listener.url, '127.0.0.3');
    assert.equal(await readUntilClosed(beyond), '');
    assert.match(logs(), /refused a connection: 3 are open \(the limit\)/);

    // The accepted ones are served; once one is gone, there is room again.
    const reply = readUntilClosed(other);
    other.write('GET /x HTTP/1.1\r\nHost: drg\r\nConnection: close\r\n\r\n');
    assert.equal(parseResponse(await reply).body, 'answered');
    await closed.get(otherPort);
    const again = await openSocket(listener.url, '127.0.0.3');
    open.push(again);
    const answer = readUntilClosed(again);
    again.write('GET /y HTTP/1.1\r\nHost: drg\r\nConnection: close\r\n\r\n');
    assert.equal(parseResponse(await answer).body, 'answered');

    // A failed accept (EMFILE) is logged; the port keeps serving.
    listener.server.emit('error', Object.assign(new Error('accept EMFILE'), { code: 'EMFILE' }));
    assert.match(logs(), /"error":"accept EMFILE","msg":"cannot accept a connection"/);
  } finally {
    for (const socket of open) socket.destroy();
    await runtime.stop();
  }
});

test('clients that go away mid-request: one short warning, then how many more', async () => {
  const { logger, logs } = capturedLogger('warn');
  const log = new RateLimitedLog(logger);
  const listener: HttpListener = new HttpListener({ port: 0, bind: '127.0.0.1', health: () => runtime.health(), log });
  // The body never arrives in full, so no request is answered.
  listener.attach((req) => req.resume());
  const runtime: Runtime = new Runtime([listener]);
  await runtime.start();
  const serverSideClosed: Array<Promise<unknown>> = [];
  listener.server.on('connection', (socket: Socket) =>
    serverSideClosed.push(new Promise((closed) => socket.once('close', closed))),
  );
  const target = { url: listener.url, authorization: 'Bearer x' };
  for (let i = 0; i < 20; i++) (await halfSentPost(target)).destroy();
  await Promise.all(serverSideClosed);
  await runtime.stop();
  log.close();
  const lines = logs()
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line).msg);
  assert.deepEqual(lines, [
    'the client went away mid-request',
    '19 more like this in the last minute: the client went away mid-request',
  ]);
  assert.doesNotMatch(logs(), /stack|"level":50/);
});

test('a stop gives requests in flight a grace period, then closes their connections', async () => {
  const server = await startTestServer(undefined, { http: { shutdownGraceMs: 300 } });
  const socket = await halfSentPost(server);
  const reply = readUntilClosed(socket);
  await server.close();
  assert.equal(await reply, '');
  assert.deepEqual(warnings(server), ['closing 1 request(s) not finished within 300 ms of the stop']);
});
