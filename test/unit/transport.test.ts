// The client's HTTP transport against real servers on loopback: limits, timeouts, redirects, retries, aborts.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { type TestContext, test } from 'node:test';
import { inspect } from 'node:util';
import { Worker } from 'node:worker_threads';
import { open, send, type TransportError, type TransportRequest } from '../../src/client/transport.js';
import { freePort, tempDir } from '../helpers/serve.js';
import { failure, peer, serverCert } from '../helpers/transport.js';

const get = (url: string, more: Partial<TransportRequest> = {}) => send({ method: 'GET', url: url, ...more });

/** Reads the request body, then answers with what the server saw. */
function echo(req: IncomingMessage, res: ServerResponse): void {
  let body = '';
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }));
  });
}

test('send returns status, lower-case headers and the body; a request body goes with its length', async (t) => {
  const server = await peer(t, echo);
  const response = await send({
    method: 'POST',
    url: `${server.url}/apps?x=1`,
    headers: { 'Content-Type': 'text/plain' },
    body: 'héllo',
  });
  assert.equal(response.status, 200);
  assert.equal(response.headers['content-type'], 'application/json');
  const seen = JSON.parse(response.body.toString());
  assert.equal(seen.method, 'POST');
  assert.equal(seen.url, '/apps?x=1');
  assert.equal(seen.body, 'héllo');
  assert.equal(seen.headers['content-length'], String(Buffer.byteLength('héllo')));
  assert.equal(seen.headers['content-type'], 'text/plain');
});

test('an endless body is cut at the size limit, long before the server has sent much', async (t) => {
  let written = 0;
  let closed: Promise<unknown> = Promise.resolve();
  const chunk = Buffer.alloc(64 * 1024, 'x');
  const server = await peer(t, (_req, res) => {
    closed = once(res, 'close');
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const pump = () => {
      while (!res.destroyed) {
        written += chunk.length;
        if (!res.write(chunk)) return;
      }
    };
    res.on('drain', pump);
    pump();
  });
  const limit = 1024 * 1024;
  const error = await failure(get(server.url, { maxBytes: limit }));
  assert.equal(error.reason, 'too-large');
  assert.equal(error.status, 200);
  assert.equal(error.message, 'response larger than 1 MiB');
  await closed; // the client closed the connection
  assert.ok(written < 16 * limit, `the server wrote ${written} bytes before the client hung up`);
});

test('a Content-Length over the limit fails at once, without reading the body', async (t) => {
  const server = await peer(t, (_req, res) => {
    res.writeHead(200, { 'content-length': String(100 * 1024 * 1024) });
    res.write('x'); // and nothing more: only the declared length can end this
  });
  const error = await failure(get(server.url, { maxBytes: 1000 }));
  assert.equal(error.reason, 'too-large');
  assert.equal(error.message, 'response larger than 1000 bytes');
});

test('a HEAD answer may declare any length: it carries no body', async (t) => {
  const server = await peer(t, (_req, res) => {
    res.writeHead(200, { 'content-length': String(100 * 1024 * 1024) });
    res.end();
  });
  const response = await send({ method: 'HEAD', url: server.url, maxBytes: 1000 });
  assert.equal(response.status, 200);
  assert.equal(response.headers['content-length'], String(100 * 1024 * 1024));
  assert.equal(response.body.length, 0);
});

/** A server that sends the headers, then one byte every `everyMs` until the client goes. */
function trickle(everyMs: number) {
  return (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const timer = setInterval(() => res.write('.'), everyMs);
    res.on('close', () => clearInterval(timer));
  };
}

test('the deadline ends a response that keeps trickling in, however often bytes arrive', async (t) => {
  const server = await peer(t, trickle(20));
  const error = await failure(get(server.url, { deadlineMs: 300, idleTimeoutMs: 5000 }));
  assert.equal(error.reason, 'deadline');
  assert.equal(error.message, 'no complete response within 300ms');
});

test('open has no deadline unless given: a slow stream goes on past the idle timeout while bytes arrive', async (t) => {
  const server = await peer(t, trickle(20));
  const response = await open({ method: 'GET', url: server.url, idleTimeoutMs: 400 });
  let received = '';
  const started = Date.now();
  for await (const chunk of response.body) {
    received += chunk;
    if (Date.now() - started > 1000) break; // longer than the idle timeout: only silence counts
  }
  assert.ok(received.length >= 5, `received ${received.length} bytes`);
  assert.equal(server.connections.length, 1);
  await once(server.connections[0], 'close'); // leaving the loop closed the connection
});

test('a server that never answers meets the idle timeout; the GET was sent once, not retried', async (t) => {
  let requests = 0;
  const server = await peer(t, () => {
    requests++;
  });
  const error = await failure(get(server.url, { idleTimeoutMs: 200 }));
  assert.equal(error.reason, 'idle-timeout');
  assert.equal(error.message, 'no data for 200ms');
  assert.equal(error.requestSent, true);
  assert.equal(requests, 1);
});

test('a body that stalls halfway meets the idle timeout while the consumer reads', async (t) => {
  const server = await peer(t, (_req, res) => {
    res.writeHead(200);
    res.write('first part');
  });
  const response = await open({ method: 'GET', url: server.url, idleTimeoutMs: 200 });
  const chunks: string[] = [];
  const error = await failure(
    (async () => {
      for await (const chunk of response.body) chunks.push(String(chunk));
    })(),
  );
  assert.equal(error.reason, 'idle-timeout');
  assert.equal(error.status, 200);
  assert.deepEqual(chunks, ['first part']);
});

/**
 * A listener whose accept queue is full: its thread is blocked, so connections beyond the backlog get no answer to
 * their SYN and stay connecting.
 */
async function unansweredPort(t: TestContext): Promise<number> {
  const release = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `const { workerData, parentPort } = require('node:worker_threads');
     const server = require('node:net').createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
       parentPort.postMessage(server.address().port);
       Atomics.wait(workerData, 0, 0);
       server.close();
     });`,
    { eval: true, workerData: release },
  );
  const [port] = (await once(worker, 'message')) as [number];
  const fillers: Socket[] = [];
  for (let i = 0; i < 2; i++) {
    const filler = connect(port, '127.0.0.1').on('error', () => {});
    fillers.push(filler);
    await once(filler, 'connect');
  }
  t.after(async () => {
    for (const filler of fillers) filler.destroy();
    Atomics.store(release, 0, 1);
    Atomics.notify(release, 0);
    await worker.terminate();
  });
  return port;
}

test('a connection that is never accepted meets the connect timeout; a PUT is retried after it', async (t) => {
  const port = await unansweredPort(t);
  const retries: string[] = [];
  const error = await failure(
    send({
      method: 'PUT',
      url: `http://127.0.0.1:${port}/apps/a`,
      body: '{}',
      connectTimeoutMs: 150,
      retries: 1,
      onRetry: (err) => retries.push(err.reason),
    }),
  );
  assert.equal(error.reason, 'connect-timeout');
  assert.equal(error.message, 'no connection within 150ms');
  assert.equal(error.requestSent, false);
  assert.deepEqual(retries, ['connect-timeout']);
});

test('https: the connect timeout ends with the connection, a slow answer is fine; an unknown CA is a TLS failure', async (t) => {
  const dir = tempDir('drg-transport-');
  const tls = serverCert(dir, 'localhost');
  const server = await peer(t, (_req, res) => setTimeout(() => res.end('late'), 600), { tls });
  const response = await get(server.url, { ca: tls.cert, connectTimeoutMs: 300 });
  assert.equal(response.body.toString(), 'late');

  const error = await failure(get(server.url, { retries: 0 }));
  assert.equal(error.reason, 'tls');
  assert.match(error.message, /^TLS: /);
});

test('redirects: 307/308 as they are with their body, 301/302/303 for GET only, credentials kept on the origin', async (t) => {
  const server = await peer(t, (req, res) => {
    const [path, status] = (req.url ?? '').split('?status=');
    if (path === '/from') {
      res.writeHead(Number(status), { location: '/to?q=1' });
      res.end('moved');
    } else echo(req, res);
  });
  const headers = { authorization: 'Bearer t0ken', cookie: 'c=1' };
  for (const status of [307, 308]) {
    const response = await send({
      method: 'PUT',
      url: `${server.url}/from?status=${status}`,
      headers,
      body: 'payload',
    });
    const seen = JSON.parse(response.body.toString());
    assert.deepEqual([seen.method, seen.url, seen.body], ['PUT', '/to?q=1', 'payload'], `after ${status}`);
    assert.equal(seen.headers.authorization, 'Bearer t0ken');
  }
  for (const status of [301, 302, 303]) {
    const followed = await get(`${server.url}/from?status=${status}`, { headers });
    assert.equal(JSON.parse(followed.body.toString()).url, '/to?q=1');
    const kept = await send({ method: 'POST', url: `${server.url}/from?status=${status}`, body: 'x' });
    assert.equal(kept.status, status, `a POST does not follow ${status}`);
    assert.equal(kept.body.toString(), 'moved');
  }
});

test('a redirect to another origin drops Authorization and Cookie, and keeps the other headers', async (t) => {
  const other = await peer(t, echo);
  const server = await peer(t, (_req, res) => {
    res.writeHead(307, { location: `${other.url}/elsewhere` });
    res.end();
  });
  const response = await get(`${server.url}/start`, {
    headers: { Authorization: 'Bearer t0ken', Cookie: 'session=s3cret', accept: 'application/json' },
  });
  const seen = JSON.parse(response.body.toString());
  assert.equal(seen.url, '/elsewhere');
  assert.equal(seen.headers.authorization, undefined);
  assert.equal(seen.headers.cookie, undefined);
  assert.equal(seen.headers.accept, 'application/json');
});

test('a redirect to an invalid URL is a bad-url failure', async (t) => {
  const server = await peer(t, (_req, res) => {
    res.writeHead(302, { location: 'http://[not-an-address/' });
    res.end();
  });
  const error = await failure(get(`${server.url}/start`));
  assert.deepEqual([error.reason, error.message, error.status], ['bad-url', 'redirect to an invalid URL', 302]);
  assert.equal(error.url, `${server.url}/start`);
});

test('at most 5 redirects are followed', async (t) => {
  const server = await peer(t, (req, res) => {
    const hop = Number(new URL(req.url ?? '', 'http://x').searchParams.get('hop'));
    const limit = Number(new URL(req.url ?? '', 'http://x').searchParams.get('of'));
    if (hop === limit) return void res.end(`arrived after ${hop}`);
    res.writeHead(302, { location: `/?hop=${hop + 1}&of=${limit}` });
    res.end();
  });
  assert.equal((await get(`${server.url}/?hop=0&of=5`)).body.toString(), 'arrived after 5');
  const error = await failure(get(`${server.url}/?hop=0&of=6`));
  assert.equal(error.reason, 'too-many-redirects');
  assert.equal(error.status, 302);
});

/** A server that resets the first connection it gets, when it gets it or once the request arrived. */
async function resetting(t: TestContext, when: 'connected' | 'request-received') {
  let requests = 0;
  const server = await peer(t, (req, res) => {
    requests++;
    if (when === 'request-received' && server.connections.length === 1) return void req.socket.resetAndDestroy();
    echo(req, res);
  });
  if (when === 'connected') {
    server.server.prependListener('connection', (socket: Socket) => {
      if (server.connections.length === 0) socket.resetAndDestroy();
    });
  }
  return { ...server, requests: () => requests };
}

test('a GET is retried after a reset connection, and succeeds', async (t) => {
  const server = await resetting(t, 'connected');
  const retries: string[] = [];
  const response = await get(server.url, { onRetry: (err) => retries.push(err.reason) });
  assert.equal(response.status, 200);
  assert.deepEqual(retries, ['reset']);
  assert.equal(server.connections.length, 2);
});

test('a POST is never retried, not even after a reset before the request was read', async (t) => {
  const server = await resetting(t, 'connected');
  const error = await failure(send({ method: 'POST', url: server.url, body: '{}', onRetry: assert.fail }));
  assert.equal(error.reason, 'reset');
  assert.equal(server.connections.length, 1);
});

test('a PUT that reached the server is not retried after a reset', async (t) => {
  const server = await resetting(t, 'request-received');
  const error = await failure(send({ method: 'PUT', url: server.url, body: '{}', onRetry: assert.fail }));
  assert.equal(error.reason, 'reset');
  assert.equal(error.requestSent, true);
  assert.equal(server.requests(), 1);
});

test('a PUT is retried after connection refused, and arrives once', async (t) => {
  const port = await freePort(); // nothing listens there now
  const retries: TransportError[] = [];
  let requests = 0;
  const response = await send({
    method: 'PUT',
    url: `http://127.0.0.1:${port}/apps/a`,
    body: '{"a":1}',
    onRetry: (err) => {
      retries.push(err);
      const http = createHttpServer((_req, res) => {
        requests++;
        res.writeHead(204).end();
      });
      http.listen(port, '127.0.0.1'); // bound before the retry's backoff ends
      t.after(() => {
        http.closeAllConnections();
        return new Promise((resolve) => http.close(resolve));
      });
    },
  });
  assert.equal(response.status, 204);
  assert.deepEqual(
    retries.map((e) => [e.reason, e.code, e.requestSent]),
    [['refused', 'ECONNREFUSED', false]],
  );
  assert.equal(requests, 1);
});

test('retries stop at the limit, and never outlast the deadline', async (t) => {
  const server = await peer(t, echo);
  server.server.prependListener('connection', (socket: Socket) => socket.resetAndDestroy());
  const limited: number[] = [];
  const error = await failure(get(server.url, { retries: 2, onRetry: (_e, retry) => limited.push(retry) }));
  assert.equal(error.reason, 'reset');
  assert.deepEqual(limited, [1, 2]);

  // The shortest backoff is 100 ms: with less time left, the failure stands (or the deadline comes first).
  const none = await failure(get(server.url, { retries: 5, deadlineMs: 90, onRetry: assert.fail }));
  assert.ok(['reset', 'deadline'].includes(none.reason), none.reason);
});

test('an abort ends a request waiting for its answer, a body being read, and one not started', async (t) => {
  let requests = 0;
  const server = await peer(t, (req, res) => {
    requests++;
    if (req.url === '/stream') trickle(20)(req, res);
  });
  const waiting = new AbortController();
  const pending = get(server.url, { signal: waiting.signal });
  await once(server.server, 'request');
  waiting.abort();
  const error = await failure(pending);
  assert.deepEqual([error.reason, error.message], ['aborted', 'aborted']);

  const reading = new AbortController();
  const response = await open({ method: 'GET', url: `${server.url}/stream`, signal: reading.signal });
  const read = failure(
    (async () => {
      for await (const _ of response.body) reading.abort();
    })(),
  );
  assert.equal((await read).reason, 'aborted');

  const before = requests;
  assert.equal((await failure(get(server.url, { signal: AbortSignal.abort() }))).reason, 'aborted');
  assert.equal(requests, before, 'an aborted signal sends nothing');
});

test('errors show the URL without credentials or query, and say nothing of them', async () => {
  const port = await freePort();
  const error = await failure(get(`http://alice:pa55word@127.0.0.1:${port}/apps?api_key=s3cret#frag`, { retries: 0 }));
  assert.equal(error.reason, 'refused');
  assert.equal(error.message, 'connection refused');
  assert.equal(error.url, `http://127.0.0.1:${port}/apps`);
  assert.equal(error.method, 'GET');
  const shown = inspect(error, { depth: 5 });
  for (const secret of ['pa55word', 's3cret']) assert.ok(!shown.includes(secret), shown);
});

test('paths and queries are sent exactly as written: an encoded dot segment stays a name', async (t) => {
  const server = await peer(t, echo);
  for (const path of ['/apps/%2E%2E/devices/a%2Fb?labels=x%3Dy', '/apps/./%2e', '?only=query']) {
    const response = await get(`${server.url}${path}`);
    assert.equal(JSON.parse(response.body.toString()).url, path.startsWith('/') ? path : `/${path}`);
  }
});

test('only http and https URLs are requested, with paths that need no more encoding', async () => {
  const unsupported = await failure(get('ftp://127.0.0.1/file'));
  assert.deepEqual([unsupported.reason, unsupported.message], ['bad-url', 'unsupported protocol ftp']);
  const notUrl = await failure(get('http://bob:s3cret@exa mple/apps?token=t0ken'));
  assert.deepEqual([notUrl.reason, notUrl.message, notUrl.url], ['bad-url', 'not a URL', 'http://exa mple/apps']);
  const unencoded = await failure(get('http://127.0.0.1:1/apps/a b'));
  assert.equal(unencoded.reason, 'bad-url');
  assert.equal(unencoded.requestSent, false);
});

test('open streams a large body without holding it, chunk by chunk', async (t) => {
  const total = 8 * 1024 * 1024;
  const server = await peer(t, (_req, res) => {
    res.writeHead(200, { 'content-length': String(total) });
    const chunk = Buffer.alloc(64 * 1024, 'y');
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  const response = await open({ method: 'GET', url: server.url });
  let received = 0;
  let largest = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    received += chunk.length;
    largest = Math.max(largest, chunk.length);
  }
  assert.equal(received, total);
  assert.ok(largest <= 1024 * 1024, `chunks stay small (largest ${largest})`);
});
