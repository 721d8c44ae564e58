// The WebSocket integration over real sockets against an in-process drg serve: a plain `ws` client, curl for the
// refused upgrades, events sent by devices through the HTTP endpoint.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import type { CloudEvent } from '../../src/model/cloudevents.js';
import { deviceEvent } from '../../src/server-lite/events/cloudevent.js';
import { basic } from '../helpers/config.js';
import { issuerAt, logInWithCode } from '../helpers/oidc.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const PATH = '/api/integration/ws/v1alpha1/';
const ALICE = { user: 'alice', password: 'alice secret 1' };
const BOB = { user: 'bob', password: 'bob secret 22' };
/** The embedded issuer's access tokens live this long here (s), so that expiry can be watched. */
const TOKEN_TTL = 3;
const PING_MS = 100;
const PEER_TIMEOUT_MS = 500;

let s: TestServer;
let base: string;
let aliceToken: string;
let bobToken: string;

before(async () => {
  s = await startTestServer(undefined, {
    users: [
      { name: ALICE.user, password: ALICE.password },
      { name: BOB.user, password: BOB.password },
    ],
    accessTokenTtl: TOKEN_TTL,
    websocket: { pingIntervalMs: PING_MS, peerTimeoutMs: PEER_TIMEOUT_MS },
  });
  base = `${s.url.replace(/^http/, 'ws')}${PATH}`;
  aliceToken = s.server.accessTokens.create(ALICE.user, 'ws test').token;
  bobToken = s.server.accessTokens.create(BOB.user, 'ws test').token;
  await createApp('alice-app', aliceToken, ALICE.user);
  await createDevice('alice-app', 'd1', aliceToken, ALICE.user);
});
after(() => s?.close());

async function registry(method: string, path: string, body: unknown, token: string, user: string): Promise<void> {
  const res = await fetch(`${s.url}/api/registry/v1alpha1${path}`, {
    method,
    headers: { authorization: basic(user, token), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 201, await res.text());
}

const createApp = (app: string, token = s.token, user = 'admin') =>
  registry('POST', '/apps', { metadata: { name: app } }, token, user);

const createDevice = (app: string, device: string, token = s.token, user = 'admin') =>
  registry(
    'POST',
    `/apps/${app}/devices`,
    { metadata: { name: device, application: app }, spec: { authentication: { credentials: [{ pass: 'pw' }] } } },
    token,
    user,
  );

/** A device publishes on `channel` through the HTTP endpoint; resolves once the event is durable (202). */
async function publish(app: string, device: string, channel: string, data: unknown): Promise<void> {
  const res = await fetch(`${s.url}/v1/${channel}`, {
    method: 'POST',
    headers: { authorization: basic(`${device}@${app}`, 'pw'), 'content-type': 'application/json' },
    body: JSON.stringify(data),
  });
  assert.equal(res.status, 202, await res.text());
}

/** An OIDC access token of the embedded issuer, through the authorization code flow. */
async function oidcToken(account = ALICE): Promise<string> {
  const tokens = await logInWithCode(issuerAt(s.server.issuerUrl), account);
  return tokens.access_token;
}

/** A `ws` client that queues what it receives. */
class Client {
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  pings = 0;
  private readonly frames: Array<{ text: string; binary: boolean }> = [];
  private waiters: Array<() => void> = [];

  constructor(url: string, options: WebSocket.ClientOptions = {}) {
    this.ws = new WebSocket(url, options);
    this.opened = once(this.ws, 'open').then(() => {});
    this.closed = once(this.ws, 'close').then(([code, reason]) => ({ code, reason: String(reason) }));
    this.ws.on('error', () => {});
    this.ws.on('ping', () => this.pings++);
    this.ws.on('message', (data, binary) => {
      this.frames.push({ text: String(data), binary });
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    });
  }

  static async open(url: string, options?: WebSocket.ClientOptions): Promise<Client> {
    const client = new Client(url, options);
    await client.opened;
    return client;
  }

  /** Resolves once an event is waiting; fails when the connection closes first. */
  async arrival(): Promise<void> {
    if (this.frames.length > 0) return;
    const arrived = new Promise<void>((resolve) => this.waiters.push(resolve));
    const closed = this.closed.then(({ code }) => {
      throw new Error(`closed (${code}) while waiting for an event`);
    });
    await Promise.race([arrived, closed]);
  }

  /** The next event, once it arrives. */
  async next(): Promise<CloudEvent> {
    await this.arrival();
    return this.take();
  }

  /** The events that arrived and were not taken yet. */
  takeAll(): CloudEvent[] {
    const events = [];
    while (this.frames.length > 0) events.push(this.take());
    return events;
  }

  get pending(): number {
    return this.frames.length;
  }

  close(): Promise<unknown> {
    this.ws.close();
    return this.closed;
  }

  private take(): CloudEvent {
    const frame = this.frames.shift()!;
    assert.equal(frame.binary, false, 'events come as text frames');
    return JSON.parse(frame.text) as CloudEvent;
  }
}

/** What `clients` receive until `count` events arrived in all. */
async function collect(clients: Client[], count: number): Promise<CloudEvent[][]> {
  const got = clients.map(() => [] as CloudEvent[]);
  while (got.flat().length < count) {
    await Promise.race(clients.map((c) => c.arrival()));
    for (const [i, c] of clients.entries()) got[i].push(...c.takeAll());
  }
  return got;
}

const numberOf = (event: CloudEvent) => (event.data as { n: number }).n;

/** The `exp` of a JWT, in ms. */
const expiryOf = (jwt: string): number => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()).exp * 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The HTTP status and JSON body curl gets for an upgrade request to `url`. */
async function curlUpgrade(url: string, headers: string[] = []): Promise<{ status: number; body: unknown }> {
  const args = ['-sS', '--http1.1', '-o', '-', '-w', '\n%{http_code}', '--max-time', '5'];
  for (const h of [
    'Connection: Upgrade',
    'Upgrade: websocket',
    'Sec-WebSocket-Version: 13',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    ...headers,
  ]) {
    args.push('-H', h);
  }
  const { stdout } = await run('curl', [...args, url.replace(/^ws/, 'http')]);
  const split = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(split + 1)), body: JSON.parse(stdout.slice(0, split)) };
}

describe('connecting', () => {
  test('discovery advertises the integration at ws://HOST:PORT/api/integration/ws/v1alpha1/', async () => {
    const endpoints = await (await fetch(`${s.url}/.well-known/drogue-endpoints`)).json();
    assert.deepEqual(endpoints.websocket_integration, { url: base });
  });

  test('each credential form connects, and the consumer gets what devices send from then on', async () => {
    await publish('alice-app', 'd1', 'before', { n: 0 });
    const bearer = await oidcToken();
    const clients = await Promise.all([
      Client.open(`${base}alice-app`, { headers: { authorization: basic(ALICE.user, aliceToken) } }),
      Client.open(`${base}alice-app`, { headers: { authorization: `Bearer ${bearer}` } }),
      Client.open(`${base}alice-app?token=${bearer}`),
      Client.open(`${base}alice-app?username=${ALICE.user}&api_key=${aliceToken}`),
    ]);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    assert.match(metrics, /^drg_integration_connections\{integration="websocket"\} 4$/m);
    await publish('alice-app', 'd1', 'temp', { n: 1 });
    for (const client of clients) {
      const event = await client.next();
      assert.equal(event.subject, 'temp');
      assert.deepEqual(event.data, { n: 1 });
      assert.equal(event.application, 'alice-app');
      assert.equal(event.device, 'd1');
      assert.equal(event.specversion, '1.0');
      await client.close();
    }
  });

  // An upgrade without credentials is taken: its first message brings the token (integration-websocket-token).
  test('curl: bad or doubled credentials 403, before any upgrade', async () => {
    for (const [url, headers] of [
      [`${base}alice-app`, [`Authorization: ${basic(ALICE.user, 'drg_wrong')}`]],
      [`${base}alice-app?token=not.a.jwt`, []],
      [`${base}alice-app?username=${ALICE.user}&api_key=drg_nope`, []],
      [`${base}alice-app?username=${ALICE.user}&api_key=${aliceToken}`, [`Authorization: Bearer x`]],
    ] as const) {
      const refused = await curlUpgrade(url, [...headers]);
      assert.equal(refused.status, 403, url);
      assert.deepEqual(refused.body, { error: 'Forbidden' });
    }
  });

  test("curl: another user's application 403, a missing one 404, a bad path 404", async () => {
    const bob = [`Authorization: ${basic(BOB.user, bobToken)}`];
    const foreign = await curlUpgrade(`${base}alice-app`, bob);
    assert.equal(foreign.status, 403);
    assert.equal((foreign.body as { error: string }).error, 'Forbidden');
    const missing = await curlUpgrade(`${base}no-such-app`, bob);
    assert.equal(missing.status, 404);
    assert.equal((missing.body as { error: string }).error, 'NotFound');
    for (const path of ['alice-app/temp/extra', 'alice-app/', '']) {
      assert.equal((await curlUpgrade(`${base}${path}`, bob)).status, 404, path);
    }
    // The same refusal for a plain ws client, which sees the status.
    const client = new Client(`${base}alice-app`, { headers: { authorization: basic(BOB.user, bobToken) } });
    const [, res] = await once(client.ws, 'unexpected-response');
    assert.equal(res.statusCode, 403);
  });

  test('curl: bad since and from_start are 400 before the upgrade', async () => {
    const alice = [`Authorization: ${basic(ALICE.user, aliceToken)}`];
    for (const query of [
      'since=yesterday',
      'since=2024-13-45T99:00:00Z',
      'since=1&since=2',
      'from_start=yes',
      `since=${Date.now()}&from_start=true`,
      'group_id=',
    ]) {
      const refused = await curlUpgrade(`${base}alice-app?${query}`, alice);
      assert.equal(refused.status, 400, query);
      assert.equal((refused.body as { error: string }).error, 'BadRequest');
    }
  });
});

test('other upgrades (curl --http2 asks for h2c) and WebSocket upgrades of other paths are served as plain HTTP', async () => {
  const curl = async (args: string[]) => {
    const { stdout } = await run('curl', [
      '-sS',
      '--http2',
      '-o',
      '-',
      '-w',
      '\n%{http_code} %{http_version}',
      ...args,
    ]);
    const split = stdout.lastIndexOf('\n');
    const [status, version] = stdout.slice(split + 1).split(' ');
    return { status: Number(status), version, body: stdout.slice(0, split) };
  };
  const endpoints = await curl([`${s.url}/.well-known/drogue-endpoints`]);
  assert.deepEqual([endpoints.status, endpoints.version], [200, '1.1']);
  assert.equal(JSON.parse(endpoints.body).websocket_integration.url, base);
  const created = await curl(
    ['-u', `${ALICE.user}:${aliceToken}`, '-H', 'content-type: application/json'].concat([
      '-d',
      '{"metadata":{"name":"via-h2c"}}',
      `${s.url}/api/registry/v1alpha1/apps`,
    ]),
  );
  assert.equal(created.status, 201, created.body);
  const elsewhere = await curlUpgrade(`${s.url}/api/registry/v1alpha1/apps`);
  assert.equal(elsewhere.status, 401);
});

describe('what is delivered', () => {
  test('<app>/<channel> gets only the events of that channel', async () => {
    const client = await Client.open(`${base}alice-app/temp`, {
      headers: { authorization: basic(ALICE.user, aliceToken) },
    });
    await publish('alice-app', 'd1', 'humidity', { h: 1 });
    await publish('alice-app', 'd1', 'temp', { t: 1 });
    const event = await client.next();
    assert.deepEqual([event.subject, event.data], ['temp', { t: 1 }]);
    assert.equal(client.pending, 0);
    await client.close();
  });

  test('a group splits the events between its members and resumes where it left off', async () => {
    await createApp('groups');
    const devices = ['g1', 'g2', 'g3', 'g4'];
    for (const device of devices) await createDevice('groups', device);
    const url = `${base}groups?group_id=workers`;
    const auth = { headers: { authorization: s.authorization } };
    const members = await Promise.all([Client.open(url, auth), Client.open(url, auth)]);
    const sent: number[] = [];
    for (let n = 0; n < 12; n++) {
      await publish('groups', devices[n % devices.length], 'c', { n });
      sent.push(n);
    }
    const [a, b] = await collect(members, sent.length);
    // Every event reaches exactly one member, and both get some.
    assert.deepEqual(
      [...a, ...b].map(numberOf).sort((x, y) => x - y),
      sent,
    );
    assert.ok(a.length > 0 && b.length > 0, `split ${a.length}/${b.length}`);
    await Promise.all(members.map((m) => m.close()));

    // Away: what is sent meanwhile is kept for the group, not for a consumer without one.
    for (let n = 12; n < 15; n++) await publish('groups', 'g1', 'c', { n });
    const back = await Client.open(url, auth);
    const fresh = await Client.open(`${base}groups`, auth);
    const [missed] = await collect([back], 3);
    assert.deepEqual(missed.map(numberOf), [12, 13, 14]);
    await publish('groups', 'g2', 'c', { n: 15 });
    assert.equal(numberOf(await fresh.next()), 15);
    assert.equal(numberOf(await back.next()), 15);
    assert.equal(fresh.pending, 0);
    await Promise.all([back.close(), fresh.close()]);
  });

  test('from_start=true replays what the log holds; since= from that time (RFC 3339 or ms)', async () => {
    await createApp('history');
    await createDevice('history', 'h1');
    await publish('history', 'h1', 'c', { n: 1 });
    const between = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await publish('history', 'h1', 'c', { n: 2 });
    const auth = { headers: { authorization: s.authorization } };
    const all = await Client.open(`${base}history?from_start=true`, auth);
    assert.deepEqual((await all.next()).data, { n: 1 });
    assert.deepEqual((await all.next()).data, { n: 2 });
    for (const since of [String(between), new Date(between).toISOString()]) {
      const later = await Client.open(`${base}history?since=${encodeURIComponent(since)}`, auth);
      assert.deepEqual((await later.next()).data, { n: 2 }, since);
      await later.close();
    }
    // A group's first member starts there too.
    const group = await Client.open(`${base}history?group_id=replay&from_start=true`, auth);
    assert.deepEqual((await group.next()).data, { n: 1 });
    await Promise.all([all.close(), group.close()]);
  });
});

describe('what the client may send', () => {
  const alice = () => ({ headers: { authorization: basic(ALICE.user, aliceToken) } });

  test('anything but RefreshAccessToken closes with 1002', async () => {
    for (const message of ['hello', '{"RefreshAccessToken": 5}', '{"Subscribe": "x"}', '[]']) {
      const client = await Client.open(`${base}alice-app`, alice());
      client.ws.send(message);
      assert.equal((await client.closed).code, 1002, message);
    }
  });

  test("a refresh with a bad token, or another user's, closes with 1008", async () => {
    for (const token of ['not.a.jwt', await oidcToken(BOB)]) {
      const client = await Client.open(`${base}alice-app`, alice());
      client.ws.send(JSON.stringify({ RefreshAccessToken: token }));
      assert.equal((await client.closed).code, 1008);
    }
  });

  describe('expiring tokens', { concurrency: true }, () => {
    test('a bearer token that expires without a refresh closes with 1008; refreshing with it then too', async () => {
      const token = await oidcToken();
      const client = await Client.open(`${base}alice-app`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal((await client.closed).code, 1008);
      assert.ok(Date.now() >= expiryOf(token) - 50, 'not before the token expired');

      const other = await Client.open(`${base}alice-app`, alice());
      other.ws.send(JSON.stringify({ RefreshAccessToken: token }));
      assert.equal((await other.closed).code, 1008);
    });

    test('a refreshed token keeps the connection open past the first one', async () => {
      const first = await oidcToken();
      const client = await Client.open(`${base}alice-app?token=${first}`);
      // The next token is issued a second later, so it expires later.
      await sleep(expiryOf(first) - TOKEN_TTL * 1000 + 1000 - Date.now() + 10);
      const second = await oidcToken();
      assert.ok(expiryOf(second) > expiryOf(first));
      client.ws.send(JSON.stringify({ RefreshAccessToken: second }));
      await sleep(expiryOf(first) - Date.now() + 200);
      assert.equal(client.ws.readyState, WebSocket.OPEN, 'still open after the first token expired');
      await publish('alice-app', 'd1', 'after-refresh', { ok: true });
      assert.equal((await client.next()).subject, 'after-refresh');
      assert.equal((await client.closed).code, 1008);
      assert.ok(Date.now() >= expiryOf(second) - 50, 'not before the second token expired');
    });
  });
});

describe('liveness', () => {
  test('the server pings; a peer that does not answer is dropped', async () => {
    const auth = { headers: { authorization: basic(ALICE.user, aliceToken) } };
    const answering = await Client.open(`${base}alice-app`, auth);
    const silent = await Client.open(`${base}alice-app`, { ...auth, autoPong: false });
    const { code } = await silent.closed;
    assert.equal(code, 1006, 'dropped without a close handshake');
    assert.ok(silent.pings >= 1);
    assert.ok(answering.pings >= 2, `pinged ${answering.pings} times`);
    assert.equal(answering.ws.readyState, WebSocket.OPEN);
    await answering.close();
  });
});

test('an upgraded socket: exempt from the HTTP inactivity timeout, counted in the caps, 1011 when dropped, 1001 on stop', async () => {
  const other = await startTestServer(undefined, {
    http: { inactivityTimeoutMs: 150, maxConnectionsPerAddress: 2 },
    // A consumer without a group more than 2 events behind is dropped; one event at a time in flight.
    eventLog: { maxLag: 2 },
    websocket: { maxInFlight: 1 },
  });
  try {
    const url = `${other.url.replace(/^http/, 'ws')}${PATH}`;
    await createAppOnce(other, 'quiet');
    const auth = { headers: { authorization: other.authorization } };
    // A group member is not dropped for falling behind (it holds no event too long here).
    const [a, b] = await Promise.all([Client.open(`${url}quiet?group_id=g`, auth), Client.open(`${url}quiet`, auth)]);
    // Two open from this address: a third connection is refused.
    await assert.rejects(createAppOnce(other, 'refused'));
    await sleep(400);
    assert.equal(a.ws.readyState, WebSocket.OPEN, 'still open after the inactivity timeout');

    // A burst the consumer cannot take at once: the bus drops it, and the stream ends with 1011.
    await other.server.events.append(Array.from({ length: 10 }, (_, n) => burstEvent(n)));
    const dropped = await b.closed;
    assert.equal(dropped.code, 1011);
    assert.match(dropped.reason, /the event stream failed: fell more than 2 events behind/);
    const closing = other.close();
    assert.equal((await a.closed).code, 1001);
    await closing;
  } finally {
    await other.close();
  }
});

/** An event of the application `quiet`, as a device would send it. */
function burstEvent(n: number): CloudEvent {
  const app = { name: 'quiet', uid: 'a-uid' };
  const device = { name: 'd', uid: 'd-uid' };
  const message = { channel: 'burst', payload: Buffer.from(JSON.stringify({ n })) };
  return deviceEvent({ app, device, sender: device }, message, 'test');
}

/** Creates an application on a connection of its own, closed after the response (no keep-alive). */
function createAppOnce(server: TestServer, app: string): Promise<void> {
  const body = JSON.stringify({ metadata: { name: app } });
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}/api/registry/v1alpha1/apps`, {
      method: 'POST',
      agent: false,
      headers: { authorization: server.authorization, 'content-type': 'application/json' },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.end(body);
  });
}
