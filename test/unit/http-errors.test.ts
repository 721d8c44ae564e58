// Error bodies: every failure is {"error": kind, "message": ...}, never fastify's default shape.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { createHttpApp } from '../../src/server-lite/http/app.js';
import { capturedLogger } from '../helpers/logs.js';
import { exchange, parseResponse } from '../helpers/raw-http.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

const APPS = '/api/registry/v1alpha1/apps';

async function expectError(res: Response, status: number, kind: string, message?: RegExp): Promise<void> {
  assert.equal(res.status, status);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const body = await res.json();
  assert.deepEqual(Object.keys(body).sort(), ['error', 'message']);
  assert.equal(body.error, kind);
  if (message) assert.match(body.message, message);
}

function post(path: string, body: string, contentType = 'application/json') {
  return fetch(`${s.url}${path}`, {
    method: 'POST',
    headers: { authorization: s.authorization, 'content-type': contentType },
    body,
  });
}

test('malformed JSON body → 400 BadRequest', async () => {
  await expectError(await post(APPS, '{"metadata": {'), 400, 'BadRequest', /not valid JSON/);
});

test('a body that is not a resource object → 400 BadRequest', async () => {
  await expectError(await post(APPS, '[1, 2]'), 400, 'BadRequest', /JSON object/);
  await expectError(await post(APPS, ''), 400, 'BadRequest', /JSON object/);
});

test('prototype poisoning in a body is refused', async () => {
  await expectError(await post(APPS, '{"metadata":{"name":"x"},"__proto__":{"admin":true}}'), 400, 'BadRequest');
});

test('wrong content type → 415 UnsupportedMediaType with a clear message', async () => {
  await expectError(
    await post(APPS, 'name: x', 'text/yaml'),
    415,
    'UnsupportedMediaType',
    /text\/yaml.*application\/json/,
  );
});

test('an unknown method on a known path → 405 with Allow, before authentication and the body', async () => {
  await post(APPS, '{"metadata":{"name":"methods"}}');
  for (const [path, allow] of [
    [`${APPS}/methods`, 'GET, HEAD, PUT, DELETE'],
    [APPS, 'GET, HEAD, POST'],
  ]) {
    const res = await fetch(`${s.url}${path}`, {
      method: 'PATCH',
      body: 'not json',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(res.headers.get('allow'), allow);
    await expectError(res, 405, 'MethodNotAllowed', new RegExp(`^PATCH is not a method of ${path}: use ${allow}$`));
  }
  const unknown = await fetch(`${s.url}/api/nothing/here`, { method: 'PATCH' });
  await expectError(unknown, 404, 'NotFound', /PATCH \/api\/nothing\/here/);
});

test('a request without a Host header → 400 in the same shape', async () => {
  const reply = parseResponse(await exchange(s.url, 'GET /.well-known/drogue-version HTTP/1.1\r\n\r\n'));
  assert.equal(reply.status, 400);
  assert.match(reply.headers['content-type'], /^application\/json/);
  assert.deepEqual(JSON.parse(reply.body), {
    error: 'BadRequest',
    message: 'the request has no Host header, which HTTP/1.1 requires',
  });
});

test('body over 1 MiB → 413 PayloadTooLarge', async () => {
  const big = JSON.stringify({ metadata: { name: 'big' }, spec: { blob: 'x'.repeat(1024 * 1024) } });
  await expectError(await post(APPS, big), 413, 'PayloadTooLarge', /1 MiB/);
});

test('unknown route → 404 NotFound, without the query string', async () => {
  const res = await fetch(`${s.url}/api/nothing/here?api_key=secret-value`, {
    headers: { authorization: s.authorization },
  });
  assert.equal(res.status, 404);
  const body = await res.json();
  assert.equal(body.error, 'NotFound');
  assert.match(body.message, /GET \/api\/nothing\/here/);
  assert.ok(!body.message.includes('secret-value'));
});

test('bad percent-encoding in the path → 400 BadRequest', async () => {
  const res = await fetch(`${s.url}${APPS}/%E0%A4%A`, { headers: { authorization: s.authorization } });
  await expectError(res, 400, 'BadRequest', /percent-encoded/);
});

test('malformed limit or offset → 400 BadRequest', async () => {
  for (const q of ['limit=-1', 'offset=abc', 'limit=1&limit=2']) {
    const res = await fetch(`${s.url}${APPS}?${q}`, { headers: { authorization: s.authorization } });
    await expectError(res, 400, 'BadRequest', /non-negative integer/);
  }
});

test('malformed HTTP on the socket → 400 in the same shape', async () => {
  const port = new URL(s.url).port;
  const reply = await new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
    let data = '';
    socket.on('data', (d) => {
      data += d;
    });
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
  });
  assert.match(reply, /^HTTP\/1\.1 400 /);
  assert.deepEqual(JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)), {
    error: 'BadRequest',
    message: 'malformed HTTP request',
  });
});

test('an unexpected exception → 500 Internal, logged once without the request credentials', async () => {
  const { logger, logs } = capturedLogger('info');
  const app = createHttpApp(logger);
  app.get('/boom', () => {
    throw new Error('database exploded');
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const { port } = app.server.address() as AddressInfo;
    const res = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        { port, host: '127.0.0.1', path: '/boom?api_key=query-secret', headers: { authorization: 'Basic c2VjcmV0' } },
        (r) => {
          let body = '';
          r.on('data', (d) => {
            body += d;
          });
          r.on('end', () => resolve({ status: r.statusCode, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.equal(res.status, 500);
    assert.deepEqual(JSON.parse(res.body), { error: 'Internal', message: 'internal error' });
    const entry = JSON.parse(logs().trim().split('\n').at(-1)!);
    assert.equal(entry.level, 50);
    assert.equal(entry.path, '/boom');
    assert.match(entry.err.message, /database exploded/);
    assert.ok(!logs().includes('query-secret') && !logs().includes('c2VjcmV0'));

    // The same failure again is counted, not logged again (a summary follows within a minute).
    for (let i = 0; i < 3; i++) assert.equal((await fetch(`http://127.0.0.1:${port}/boom`)).status, 500);
    assert.equal(logs().trim().split('\n').length, 1);
  } finally {
    await app.close();
  }
});
