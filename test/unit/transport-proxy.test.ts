// Proxies for the client's transport: the rules of Go's ProxyFromEnvironment (proxyFor), then requests through a real
// tinyproxy: absolute-form http, CONNECT tunnels for https and WebSocket upgrades, bypasses, proxy credentials.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { after, before, describe, type TestContext, test } from 'node:test';
import { inspect } from 'node:util';
import { agentFor, proxyFor } from '../../src/client/proxy.js';
import { send, type TransportRequest } from '../../src/client/transport.js';
import { freePort, tempDir } from '../helpers/serve.js';
import { proxiedHostName, startTinyproxy, type Tinyproxy } from '../helpers/tinyproxy.js';
import { failure, peer, serverCert } from '../helpers/transport.js';

const proxied = (url: string, env: NodeJS.ProcessEnv) => proxyFor(new URL(url), env)?.href;

describe('proxyFor: the rules of Go’s ProxyFromEnvironment', () => {
  const HTTP = 'http://http-proxy:3128/';
  const HTTPS = 'http://https-proxy:3128/';

  test('HTTPS_PROXY for https and wss URLs, HTTP_PROXY for http and ws, neither standing in for the other', () => {
    const env = { HTTP_PROXY: HTTP, HTTPS_PROXY: HTTPS };
    assert.equal(proxied('http://api.example.com/', env), HTTP);
    assert.equal(proxied('ws://api.example.com/', env), HTTP);
    assert.equal(proxied('https://api.example.com/', env), HTTPS);
    assert.equal(proxied('wss://api.example.com/', env), HTTPS);
    assert.equal(proxied('https://api.example.com/', { HTTP_PROXY: HTTP }), undefined);
    assert.equal(proxied('http://api.example.com/', { HTTPS_PROXY: HTTPS }), undefined);
    assert.equal(proxied('https://api.example.com/', {}), undefined);
  });

  test('the upper-case variable wins; the lower-case one counts when the upper-case one is unset or empty', () => {
    assert.equal(proxied('https://a.example/', { HTTPS_PROXY: HTTPS, https_proxy: HTTP }), HTTPS);
    assert.equal(proxied('https://a.example/', { HTTPS_PROXY: '', https_proxy: HTTP }), HTTP);
    assert.equal(proxied('http://a.example/', { http_proxy: HTTP }), HTTP);
    const env = { HTTP_PROXY: HTTP, NO_PROXY: 'other.example', no_proxy: 'a.example' };
    assert.equal(proxied('http://a.example/', env), HTTP, 'NO_PROXY is read the same way');
    assert.equal(proxied('http://a.example/', { HTTP_PROXY: HTTP, no_proxy: 'a.example' }), undefined);
  });

  test('a bare host:port is an http proxy; credentials stay in the URL; other schemes are errors that hide the value', () => {
    assert.equal(proxied('http://a.example/', { HTTP_PROXY: 'proxy.corp:3128' }), 'http://proxy.corp:3128/');
    assert.equal(proxied('http://a.example/', { HTTP_PROXY: '10.0.0.1:3128' }), 'http://10.0.0.1:3128/');
    assert.equal(
      proxied('https://a.example/', { HTTPS_PROXY: 'https://bob:pa%40ss@proxy.corp' }),
      'https://bob:pa%40ss@proxy.corp/',
    );
    assert.throws(
      () => proxied('https://a.example/', { HTTPS_PROXY: 'socks5://bob:s3cret@proxy.corp:1080' }),
      (err: Error) => err.message === 'HTTPS_PROXY: SOCKS proxies are not supported (use an http or https proxy)',
    );
    for (const value of ['bob:s3cret@proxy corp:3128', 'proxy corp:3128']) {
      assert.throws(
        () => proxied('http://a.example/', { HTTP_PROXY: value }),
        (err: Error) => err.message === 'HTTP_PROXY is not a proxy URL',
        value,
      );
    }
  });

  test('localhost and loopback addresses never go through a proxy, whatever NO_PROXY says', () => {
    const env = { HTTP_PROXY: HTTP, HTTPS_PROXY: HTTPS, NO_PROXY: '' };
    for (const url of [
      'http://localhost:8080/',
      'https://LOCALHOST/',
      'http://127.0.0.1/',
      'http://127.8.9.10:99/',
      'https://[::1]:8443/',
      'http://[::ffff:127.0.0.1]/',
    ]) {
      assert.equal(proxied(url, env), undefined, url);
    }
    for (const url of ['http://localhost.example/', 'http://128.0.0.1/', 'http://[::2]/', 'http://vm.localhost/']) {
      assert.equal(proxied(url, env), HTTP, url);
    }
  });

  test('NO_PROXY domains: a name covers itself and its subdomains; a leading dot or *. only the subdomains', () => {
    const env = (NO_PROXY: string) => ({ HTTPS_PROXY: HTTPS, NO_PROXY });
    const direct = (url: string, noProxy: string) => proxied(url, env(noProxy)) === undefined;
    assert.ok(direct('https://example.com/', 'example.com'));
    assert.ok(direct('https://api.example.com/', 'example.com'));
    assert.ok(direct('https://API.Example.COM/', ' Example.com '));
    assert.ok(!direct('https://badexample.com/', 'example.com'));
    assert.ok(!direct('https://example.com/', '.example.com'));
    assert.ok(direct('https://a.b.example.com/', '.example.com'));
    assert.ok(!direct('https://example.com/', '*.example.com'));
    assert.ok(direct('https://api.example.com/', '*.example.com'));
    assert.ok(direct('https://api.example.com/', 'other.org, ,example.com'), 'a list, spaces and empty entries');
    assert.ok(direct('https://xn--bcher-kva.example/', 'bücher.example'), 'IDN entries compare as punycode');
  });

  test('NO_PROXY ports, IP addresses, IPv6, CIDR ranges and *', () => {
    const direct = (url: string, NO_PROXY: string) => proxied(url, { HTTPS_PROXY: HTTPS, NO_PROXY }) === undefined;
    assert.ok(direct('https://example.com/', 'example.com:443'), 'the default port counts');
    assert.ok(!direct('https://example.com:8443/', 'example.com:443'));
    assert.ok(direct('https://example.com:8443/', 'example.com:8443'));
    assert.ok(direct('https://10.1.2.3/', '10.1.2.3'));
    assert.ok(!direct('https://10.1.2.4/', '10.1.2.3'));
    assert.ok(direct('https://10.1.2.3:8443/', '10.1.2.3:8443'));
    assert.ok(!direct('https://10.1.2.3/', '10.1.2.3:8443'));
    assert.ok(direct('https://[2001:db8::1]/', '2001:db8::1'));
    assert.ok(direct('https://[2001:db8::1]/', '2001:db8:0:0:0:0:0:1'), 'IPv6 compares as an address');
    assert.ok(direct('https://[2001:db8::1]:8443/', '[2001:db8::1]:8443'));
    assert.ok(direct('https://10.200.3.4/', '10.0.0.0/8'));
    assert.ok(!direct('https://11.0.0.1/', '10.0.0.0/8'));
    assert.ok(direct('https://[2001:db8:1::5]/', '2001:db8::/32'));
    assert.ok(!direct('https://[2001:db9::5]/', '2001:db8::/32'));
    assert.ok(!direct('https://example.com/', '10.0.0.0/8'), 'a range covers addresses only');
    assert.ok(!direct('https://10.0.0.1/', '10.0.0.0/99'), 'an impossible range covers nothing');
    assert.ok(direct('https://anything.example/', 'x.org,*'));
  });
});

const PROXY_VARIABLES = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy'];

const savedEnv = new WeakMap<TestContext, Record<string, string | undefined>>();

/** Sets the proxy variables (clearing the others) for the rest of this test; the test's end restores them. */
function proxyEnv(t: TestContext, values: Record<string, string>): void {
  if (!savedEnv.has(t)) {
    const saved = Object.fromEntries(PROXY_VARIABLES.map((name) => [name, process.env[name]]));
    savedEnv.set(t, saved);
    t.after(() => {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    });
  }
  for (const name of PROXY_VARIABLES) delete process.env[name];
  Object.assign(process.env, values);
}

/** Answers with what the server saw: method, path and the headers the proxy added or left. */
function echo(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  req.on('end', () => res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers })));
}

async function seen(request: Partial<TransportRequest> & { url: string }) {
  const response = await send({ method: 'GET', ...request });
  assert.equal(response.status, 200, response.body.toString());
  return JSON.parse(response.body.toString()) as { url: string; headers: Record<string, string> };
}

describe('through tinyproxy', () => {
  let proxy: Tinyproxy;
  let guarded: Tinyproxy;
  let host: string;
  let dir: string;
  let tls: { cert: string; key: string };
  const CREDENTIALS: [string, string] = ['alice', 's3cret-pw'];

  before(async () => {
    host = await proxiedHostName();
    dir = tempDir('drg-transport-proxy-');
    tls = serverCert(dir, host);
    [proxy, guarded] = await Promise.all([startTinyproxy(), startTinyproxy({ basicAuth: CREDENTIALS })]);
  });
  after(async () => {
    await Promise.all([proxy?.stop(), guarded?.stop()]);
  });

  test('http goes through the proxy as an absolute-form request, its path as written', async (t) => {
    const server = await peer(t, echo, { host });
    proxyEnv(t, { HTTP_PROXY: proxy.url });
    const path = '/apps/%2E%2E/devices?labels=a%3Db';
    const request = await seen({ url: `${server.url}${path}` });
    assert.equal(request.url, path);
    assert.equal(request.headers.host, `${host}:${server.port}`);
    assert.match(request.headers.via ?? '', /tinyproxy/);
    await proxy.logged(`GET http://${host}:${server.port}${path}`);
  });

  test('https goes through a CONNECT tunnel; the server certificate is checked against the request’s ca', async (t) => {
    const server = await peer(t, echo, { host, tls });
    proxyEnv(t, { HTTPS_PROXY: proxy.url, HTTP_PROXY: 'http://127.0.0.1:9/' });
    const path = '/apps/%2E%2E?x=1';
    const request = await seen({ url: `${server.url}${path}`, ca: tls.cert, headers: { authorization: 'x' } });
    assert.equal(request.url, path);
    assert.equal(request.headers.authorization, 'x');
    assert.equal(request.headers.via, undefined, 'the proxy sees only the tunnel');
    await proxy.logged(`CONNECT ${host}:${server.port}`);

    const untrusted = await failure(send({ method: 'GET', url: server.url, retries: 0 }));
    assert.equal(untrusted.reason, 'tls');
    assert.equal(untrusted.proxy, proxy.url);
  });

  test('loopback addresses, localhost and NO_PROXY names go direct', async (t) => {
    const server = await peer(t, echo);
    proxyEnv(t, { HTTP_PROXY: proxy.url, NO_PROXY: `example.org,${host}` });
    for (const url of [server.url, `http://localhost:${server.port}`, `http://${host}:${server.port}`]) {
      const request = await seen({ url: url });
      assert.equal(request.headers.via, undefined, url);
    }
  });

  test('proxy credentials go as Proxy-Authorization; refused ones are a proxy failure that never shows them', async (t) => {
    const server = await peer(t, echo, { host });
    const secure = await peer(t, echo, { host, tls });
    const [user, password] = CREDENTIALS;
    const withCredentials = (pw: string) => `http://${user}:${pw}@127.0.0.1:${guarded.port}`;
    proxyEnv(t, { HTTP_PROXY: withCredentials(password), HTTPS_PROXY: withCredentials(password) });
    const plain = await seen({ url: `${server.url}/plain` });
    assert.match(plain.headers.via ?? '', /tinyproxy/);
    assert.equal(plain.headers['proxy-authorization'], undefined, 'the proxy keeps its credentials');
    await seen({ url: `${secure.url}/tunnel`, ca: tls.cert });

    const refused = async (url: string, message: string, secrets: string[]) => {
      const error = await failure(send({ method: 'GET', url: url, ca: tls.cert }));
      assert.equal(error.reason, 'proxy', url);
      assert.equal(error.message, `proxy 127.0.0.1:${guarded.port}: ${message}`);
      assert.equal(error.proxy, `http://127.0.0.1:${guarded.port}`);
      const shown = inspect(error, { depth: 5 });
      for (const secret of secrets) assert.ok(!shown.includes(secret), shown);
    };
    // tinyproxy answers wrong credentials with 401, which only a CONNECT tells from the server's own 401
    proxyEnv(t, { HTTPS_PROXY: withCredentials('wr0ng-pw') });
    await refused(`${secure.url}/tunnel`, 'credentials refused (401)', [password, 'wr0ng-pw']);
    proxyEnv(t, { HTTP_PROXY: guarded.url, HTTPS_PROXY: guarded.url });
    await refused(`${server.url}/plain`, 'credentials required (407)', []);
    await refused(`${secure.url}/tunnel`, 'credentials required (407)', []);
  });

  test('agentFor gives WebSocket clients the same rules: an upgrade through a CONNECT tunnel', async (t) => {
    const server = await peer(t, echo, { host });
    server.server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
      socket.end(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${req.headers.upgrade}\r\nConnection: Upgrade\r\n\r\n`);
    });
    proxyEnv(t, { HTTP_PROXY: proxy.url });
    assert.equal(await agentFor(new URL(`ws://127.0.0.1:${server.port}/`)), undefined);
    const url = new URL(`ws://${host}:${server.port}/stream`);
    const agent = await agentFor(url);
    assert.ok(agent);
    const req = httpRequest(`http://${url.host}${url.pathname}`, {
      agent,
      headers: { connection: 'Upgrade', upgrade: 'websocket' },
    });
    req.end();
    const [res, socket] = (await once(req, 'upgrade')) as [IncomingMessage, Socket];
    socket.destroy();
    assert.equal(res.statusCode, 101);
    await proxy.logged(`CONNECT ${host}:${server.port}`);
  });
});

describe('proxies that fail', () => {
  test('a proxy that is down is a proxy failure before anything was sent, so even a PUT is retried', async (t) => {
    const port = await freePort();
    proxyEnv(t, { HTTP_PROXY: `http://bob:s3cret@127.0.0.1:${port}` });
    const retries: string[] = [];
    const error = await failure(
      send({
        method: 'PUT',
        url: 'http://api.example/apps/a',
        body: '{}',
        retries: 1,
        onRetry: (err) => retries.push(err.reason),
      }),
    );
    assert.deepEqual([error.reason, error.code, error.requestSent], ['proxy', 'ECONNREFUSED', false]);
    assert.equal(error.message, `proxy 127.0.0.1:${port}: connection refused`);
    assert.equal(error.url, 'http://api.example/apps/a');
    assert.deepEqual(retries, ['proxy']);
    assert.ok(!inspect(error, { depth: 5 }).includes('s3cret'));
  });

  test('a proxy that never answers CONNECT meets the connect timeout, and its connection is closed', async (t) => {
    const silent = createServer((socket) => socket.resume());
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise((resolve) => silent.close(resolve)));
    const { port } = silent.address() as { port: number };
    const connection = once(silent, 'connection') as Promise<[Socket]>;
    proxyEnv(t, { HTTPS_PROXY: `127.0.0.1:${port}` });
    const error = await failure(
      send({ method: 'GET', url: 'https://api.example/', connectTimeoutMs: 200, retries: 0 }),
    );
    assert.equal(error.reason, 'connect-timeout');
    assert.equal(error.proxy, `http://127.0.0.1:${port}`);
    const [socket] = await connection;
    if (!socket.closed) await once(socket, 'close'); // the transport hung up: nothing is left to hold the process
  });
});
