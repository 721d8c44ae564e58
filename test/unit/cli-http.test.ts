// The API client against a real HTTP server: credentials, JSON, paths, error mapping, the refresh hook.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, test } from 'node:test';
import { AdminClient } from '../../src/client/admin.js';
import { EndpointsClient } from '../../src/client/endpoints.js';
import { ApiClient, authorizationHeader, staticTokenProvider, type TokenProvider } from '../../src/client/http.js';
import { RegistryClient } from '../../src/client/registry.js';
import { ApiError, DrgError } from '../../src/errors.js';
import { errorWords } from '../../src/output/error-words.js';

interface Seen {
  method: string;
  url: string;
  authorization?: string;
  contentType?: string;
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let server: Server;
let baseUrl: string;
let seen: Seen[] = [];
let handler: Handler;

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body,
      });
      handler(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  seen = [];
  handler = (_req, res) => json(res, 200, {});
});

function json(res: ServerResponse, status: number, body?: unknown): void {
  res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

/** The failure of `promise`, with the words a terminal shows for it. */
async function failure(promise: Promise<unknown>): Promise<{ message: string; hint?: string; httpStatus?: number }> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof DrgError, `expected a DrgError, got ${err}`);
    return { ...errorWords(err), httpStatus: err.httpStatus };
  }
  assert.fail('expected a failure');
}

const registry = (tokens?: TokenProvider) => new RegistryClient(new ApiClient({ baseUrl, tokens }));

test('access tokens are sent as Basic, OAuth tokens as Bearer, nothing without a token', async () => {
  assert.equal(
    authorizationHeader({ id: 'alice', token: 'drg_x:y' }),
    `Basic ${Buffer.from('alice:drg_x:y').toString('base64')}`,
  );
  assert.equal(authorizationHeader({ access_token: 'jwt', refresh_token: 'r' }), 'Bearer jwt');
  assert.equal(authorizationHeader(undefined), undefined);

  handler = (_req, res) => json(res, 200, []);
  await registry(staticTokenProvider({ id: 'alice', token: 'secret' })).listApps();
  await registry(staticTokenProvider({ access_token: 'jwt' })).listApps();
  await registry().listApps();
  assert.deepEqual(
    seen.map((s) => s.authorization),
    [`Basic ${Buffer.from('alice:secret').toString('base64')}`, 'Bearer jwt', undefined],
  );
});

test('registry paths, query parameters and percent-encoded device names', async () => {
  handler = (req, res) =>
    req.method === 'GET' ? json(res, 200, req.url?.endsWith('devices') ? [] : { metadata: {} }) : json(res, 204);
  const client = registry();
  await client.listApps({ labels: 'env=prod,!x', limit: 5, offset: 10 });
  await client.getDevice('app-1', 'd 1/ü?#');
  await client.updateDevice('app-1', { metadata: { name: 'a/b', application: 'app-1' } });
  await client.deleteDevice('app-1', '%');
  assert.deepEqual(
    seen.map((s) => `${s.method} ${s.url}`),
    [
      'GET /api/registry/v1alpha1/apps?labels=env%3Dprod%2C%21x&limit=5&offset=10',
      'GET /api/registry/v1alpha1/apps/app-1/devices/d%201%2F%C3%BC%3F%23',
      'PUT /api/registry/v1alpha1/apps/app-1/devices/a%2Fb',
      'DELETE /api/registry/v1alpha1/apps/app-1/devices/%25',
    ],
  );
  assert.equal(seen[2].contentType, 'application/json');
  assert.deepEqual(JSON.parse(seen[2].body), { metadata: { name: 'a/b', application: 'app-1' } });
  assert.equal(seen[3].body, '', 'no body without preconditions');
});

test('a base URL with a path prefix keeps it', async () => {
  handler = (_req, res) => json(res, 200, []);
  await new RegistryClient(new ApiClient({ baseUrl: `${baseUrl}/prefix/` })).listApps();
  assert.equal(seen[0].url, '/prefix/api/registry/v1alpha1/apps?limit=500');
});

test('create sends the resource; delete sends preconditions; ignoreMissing turns 404 into false', async () => {
  handler = (req, res) => json(res, req.method === 'POST' ? 201 : req.url?.includes('gone') ? 404 : 204);
  const client = registry();
  await client.createApp({ metadata: { name: 'a' }, spec: { x: 1 } });
  assert.deepEqual(JSON.parse(seen[0].body), { metadata: { name: 'a' }, spec: { x: 1 } });
  assert.equal(await client.deleteApp('a', { preconditions: { resourceVersion: 'rv1' } }), true);
  assert.deepEqual(JSON.parse(seen[1].body), { preconditions: { resourceVersion: 'rv1' } });
  assert.equal(await client.deleteApp('gone', { ignoreMissing: true }), false);
  const err = await failure(client.deleteApp('gone'));
  assert.equal(err.httpStatus, 404);
  assert.equal(err.message, "application 'gone' not found");
});

test('errors map to one line that says what to do, with the HTTP status kept', async () => {
  const cases: [number, unknown, (c: RegistryClient) => Promise<unknown>, RegExp][] = [
    [
      401,
      { error: 'Unauthorized', message: 'x' },
      (c) => c.listApps(),
      /^http:\/\/127\.0\.0\.1:\d+ rejected the credentials of context ctx: the access token was deleted/,
    ],
    [
      403,
      { error: 'Forbidden' },
      (c) => c.getApp('a'),
      /^http:\/\/127\.0\.0\.1:\d+ rejected the credentials of context ctx: the access token was deleted, or belongs to another user or server$/,
    ],
    [
      403,
      { error: 'Forbidden', message: 'no access to application "a"' },
      (c) => c.getApp('a'),
      /^forbidden: no access to application "a"$/,
    ],
    [
      404,
      { error: 'NotFound', message: 'nope' },
      (c) => c.getDevice('a', 'd'),
      /^device 'd' in application 'a' not found$/,
    ],
    [
      409,
      { error: 'Conflict', message: 'x' },
      (c) => c.createApp({ metadata: { name: 'a' } }),
      /^application 'a' already exists$/,
    ],
    [
      409,
      { error: 'OptimisticLockFailed', message: 'x' },
      (c) => c.updateApp({ metadata: { name: 'a' } }),
      /^application 'a' was changed by someone else/,
    ],
    [
      400,
      { error: 'BadRequest', message: 'the name is bad' },
      (c) => c.createApp({ metadata: { name: 'a' } }),
      /^the name is bad$/,
    ],
    [500, { error: 'Internal', message: 'boom' }, (c) => c.listApps(), /^the server answered 500: boom$/],
    [502, 'not json', (c) => c.listApps(), /^the server answered 502/],
  ];
  for (const [status, body, call, message] of cases) {
    handler = (_req, res) => {
      if (typeof body === 'string') {
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(body);
      } else json(res, status, body);
    };
    const tokens = staticTokenProvider({ id: 'u', token: 'sekrit' });
    const err = await failure(
      call(new RegistryClient(new ApiClient({ baseUrl, tokens, credentials: 'access-token', context: 'ctx' }))),
    );
    assert.match(err.message, message, `status ${status}`);
    assert.equal(err.httpStatus, status);
    assert.ok(!err.message.includes('sekrit') && !(err.hint ?? '').includes('sekrit'));
  }
});

test('a 401 without credentials is "not logged in", with the way to log in', async () => {
  handler = (_req, res) => json(res, 401, { error: 'Unauthorized', message: 'x' });
  const err = await failure(registry().listApps());
  assert.match(err.message, /^not logged in to http:\/\/127\.0\.0\.1:\d+: run `drg login http/);
  assert.equal(err.httpStatus, 401);
});

test('a server that is not there: "cannot reach URL: reason; is the server running?"', async () => {
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const err = await failure(new RegistryClient(new ApiClient({ baseUrl: `http://127.0.0.1:${port}` })).listApps());
  assert.equal(err.message, `cannot reach http://127.0.0.1:${port}: connection refused; is the server running?`);
  assert.equal(err.httpStatus, undefined);
});

test('a slow server times out with a clear reason', async () => {
  handler = () => {}; // never answers
  const api = new ApiClient({ baseUrl, idleTimeoutMs: 200 });
  const err = await failure(new RegistryClient(api).listApps());
  assert.match(err.message, /^cannot reach .*: no data for 200ms; is the server running\?$/);
});

test('onUnauthorized: a 401 refreshes the token and retries once; a second 401 fails', async () => {
  let token = 'old';
  let refreshes = 0;
  const tokens: TokenProvider = {
    authorization: async () => `Bearer ${token}`,
    onUnauthorized: async () => {
      refreshes++;
      token = `new${refreshes}`;
      return true;
    },
  };
  handler = (req, res) =>
    req.headers.authorization === 'Bearer new1' ? json(res, 200, []) : json(res, 401, { error: 'Unauthorized' });
  assert.deepEqual(await registry(tokens).listApps(), []);
  assert.deepEqual(
    seen.map((s) => s.authorization),
    ['Bearer old', 'Bearer new1'],
  );
  seen = [];
  handler = (_req, res) => json(res, 401, { error: 'Unauthorized' });
  const err = await failure(registry(tokens).listApps());
  assert.equal(err.httpStatus, 401);
  assert.equal(seen.length, 2, 'exactly one retry');
});

test('onUnauthorized: the bare 403 of rejected credentials retries once; a 403 that says why does not', async () => {
  let refreshes = 0;
  const tokens: TokenProvider = {
    authorization: async () => `Bearer t${refreshes}`,
    onUnauthorized: async () => {
      refreshes++;
      return true;
    },
  };
  handler = (req, res) =>
    req.headers.authorization === 'Bearer t1' ? json(res, 200, []) : json(res, 403, { error: 'Forbidden' });
  assert.deepEqual(await registry(tokens).listApps(), []);
  assert.equal(refreshes, 1);

  seen = [];
  handler = (_req, res) => json(res, 403, { error: 'Forbidden', message: 'no access to application "x"' });
  const err = await failure(registry(tokens).listApps());
  assert.equal(err.httpStatus, 403);
  assert.equal(refreshes, 1, 'no refresh for a permission error');
  assert.equal(seen.length, 1);

  // The retry, the exit code and the words follow one rule: a message of spaces is no message; a text body
  // (a proxy's page) is one.
  seen = [];
  handler = (_req, res) => json(res, 403, { error: 'Forbidden', message: '  ' });
  await assert.rejects(registry(tokens).listApps(), (err) => err instanceof ApiError && err.credentialsRejected);
  assert.equal(refreshes, 2, 'a message of spaces is the bare 403');
  assert.equal(seen.length, 2);
  seen = [];
  handler = (_req, res) => res.writeHead(403, { 'content-type': 'text/plain' }).end('Blocked by the proxy');
  await assert.rejects(registry(tokens).listApps(), (err) => err instanceof ApiError && !err.credentialsRejected);
  assert.equal(refreshes, 2, 'no refresh for a 403 that says why in text');
  assert.equal(seen.length, 1);
});

test('discovery and whoami', async () => {
  handler = (req, res) => {
    if (req.url === '/.well-known/drogue-version') json(res, 200, { version: '0.11.0' });
    else if (req.url === '/.well-known/drogue-endpoints') json(res, 200, { registry: { url: 'http://r' } });
    else if (req.url === '/api/admin/v1alpha1/user/whoami') json(res, 200, { id: 'alice' });
    else json(res, 404, { error: 'NotFound' });
  };
  const api = new ApiClient({ baseUrl });
  assert.equal(await new EndpointsClient(api).version(), '0.11.0');
  assert.deepEqual(await new EndpointsClient(api).endpoints(), { registry: { url: 'http://r' } });
  assert.equal(await new AdminClient(api).whoami(), 'alice');
});

test('redirects: followed with credentials on the same origin, without them to another; 302 only for GET', async () => {
  const other = createServer((req, res) => {
    seen.push({
      method: req.method ?? '',
      url: `other:${req.url}`,
      authorization: req.headers.authorization,
      body: '',
    });
    json(res, 200, []);
  });
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
  try {
    handler = (req, res) => {
      if (req.url === '/api/registry/v1alpha1/apps?limit=500') {
        res.writeHead(307, { location: '/moved/apps' }).end();
      } else if (req.url === '/moved/apps') {
        res.writeHead(302, { location: `${otherUrl}/elsewhere` }).end();
      } else json(res, 404, { error: 'NotFound' });
    };
    const client = registry(staticTokenProvider({ id: 'u', token: 't' }));
    assert.deepEqual(await client.listApps(), []);
    assert.deepEqual(
      seen.map((s) => [s.url, s.authorization !== undefined]),
      [
        ['/api/registry/v1alpha1/apps?limit=500', true],
        ['/moved/apps', true],
        ['other:/elsewhere', false],
      ],
    );
    seen = [];
    handler = (_req, res) => res.writeHead(302, { location: '/somewhere' }).end();
    const err = await failure(client.createApp({ metadata: { name: 'a' } }));
    assert.equal(seen.length, 1, 'a POST is not redirected by 302');
    assert.equal(err.httpStatus, 302);
    assert.equal(err.message, "the server answered 302 (application 'a')");
  } finally {
    await new Promise<void>((r) => other.close(() => r()));
  }
});
