// The WebSocket integration for browsers, which cannot set an Authorization header and must not put tokens in URLs:
// an upgrade without any credentials is taken, and its first message {"RefreshAccessToken": "<jwt>"} authenticates
// it. Real sockets against an in-process drg serve, a plain `ws` client, events sent through the HTTP endpoint.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { basic } from '../helpers/config.js';
import { issuerAt, logInWithCode } from '../helpers/oidc.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const PATH = '/api/integration/ws/v1alpha1/';
const ALICE = { user: 'alice', password: 'alice secret 1' };
const BOB = { user: 'bob', password: 'bob secret 22' };
const TOKEN_WAIT_MS = 300;

let s: TestServer;
let base: string;
let aliceJwt: string;
let bobJwt: string;
let aliceToken: string;

before(async () => {
  s = await startTestServer(undefined, {
    users: [
      { name: ALICE.user, password: ALICE.password },
      { name: BOB.user, password: BOB.password },
    ],
    websocket: { tokenWaitMs: TOKEN_WAIT_MS },
  });
  base = `${s.url.replace(/^http/, 'ws')}${PATH}`;
  aliceToken = s.server.accessTokens.create(ALICE.user, 'ws test').token;
  const issuer = issuerAt(s.server.issuerUrl);
  aliceJwt = (await logInWithCode(issuer, ALICE)).access_token;
  bobJwt = (await logInWithCode(issuer, BOB)).access_token;
  const headers = { authorization: basic(ALICE.user, aliceToken), 'content-type': 'application/json' };
  const created = await fetch(`${s.url}/api/registry/v1alpha1/apps`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ metadata: { name: 'alice-app' } }),
  });
  assert.equal(created.status, 201);
  const device = await fetch(`${s.url}/api/registry/v1alpha1/apps/alice-app/devices`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      metadata: { name: 'd1', application: 'alice-app' },
      spec: { authentication: { credentials: [{ pass: 'pw' }] } },
    }),
  });
  assert.equal(device.status, 201);
});
after(() => s?.close());

async function publish(channel: string, data: unknown): Promise<void> {
  const res = await fetch(`${s.url}/v1/${channel}`, {
    method: 'POST',
    headers: { authorization: basic('d1@alice-app', 'pw'), 'content-type': 'application/json' },
    body: JSON.stringify(data),
  });
  assert.equal(res.status, 202);
}

/** A connection upgraded without credentials, once open, with what it receives and how it closes. */
async function openAnonymous(path = 'alice-app') {
  const ws = new WebSocket(`${base}${path}`);
  ws.on('error', () => {});
  const messages: unknown[] = [];
  const arrivals: Array<() => void> = [];
  ws.on('message', (data) => {
    messages.push(JSON.parse(String(data)));
    for (const wake of arrivals.splice(0)) wake();
  });
  const closed = once(ws, 'close').then(([code, reason]) => ({ code: code as number, reason: String(reason) }));
  await once(ws, 'open');
  const next = async () => {
    while (messages.length === 0) await new Promise<void>((resolve) => arrivals.push(resolve));
    return messages.shift() as { subject: string; data: unknown };
  };
  return { ws, closed, next, messages };
}

const joined = () => s.waitForLog(/WebSocket consumer joined/);

describe('an upgrade without credentials', () => {
  test('is taken; the token in the first message starts the stream, from then on', async () => {
    const c = await openAnonymous();
    // Sent before the token was accepted: not in the stream, which starts once it is.
    await publish('early', { n: 0 });
    const consumerJoined = joined();
    c.ws.send(JSON.stringify({ RefreshAccessToken: aliceJwt }));
    assert.match(await consumerJoined, /"user":"alice"/);
    await publish('temp', { n: 1 });
    const event = await c.next();
    assert.equal(event.subject, 'temp');
    assert.deepEqual(event.data, { n: 1 });
    // Later refreshes work as on any connection.
    c.ws.send(JSON.stringify({ RefreshAccessToken: aliceJwt }));
    await publish('temp', { n: 2 });
    assert.deepEqual((await c.next()).data, { n: 2 });
    c.ws.close();
    assert.equal((await c.closed).code, 1005);
  });

  test('anything else first closes it with 1008', async () => {
    for (const first of ['{"hello": 1}', 'not json', JSON.stringify({ RefreshAccessToken: aliceJwt, x: 1 })]) {
      const c = await openAnonymous();
      c.ws.send(first);
      assert.deepEqual(await c.closed, {
        code: 1008,
        reason: 'expected {"RefreshAccessToken": "<access token>"} first',
      });
    }
  });

  test('a token the upgrade would refuse closes it with 1008, the token in neither the reason nor the log', async () => {
    const forged = `${aliceJwt.slice(0, -4)}AAAA`;
    // An access token is Basic's password, never a bearer token.
    for (const token of ['not.a.jwt', forged, aliceToken]) {
      const c = await openAnonymous();
      c.ws.send(JSON.stringify({ RefreshAccessToken: token }));
      assert.deepEqual(await c.closed, { code: 1008, reason: 'the access token was refused' });
      assert.equal(c.messages.length, 0);
      assert.ok(!s.logs().includes(token), 'the token is not logged');
    }
    assert.ok(!s.logs().includes(aliceJwt.split('.')[2]));
  });

  test("a user who may not read the application is refused with the registry's reason", async () => {
    for (const [path, reason] of [
      ['alice-app', /alice-app/],
      ['no-such-app', /no-such-app/],
    ] as const) {
      const c = await openAnonymous(path);
      c.ws.send(JSON.stringify({ RefreshAccessToken: bobJwt }));
      const { code, reason: got } = await c.closed;
      assert.equal(code, 1008, path);
      assert.match(got, reason, path);
      assert.ok(!got.includes(bobJwt));
    }
  });

  test('no message in time closes it with 1008', async () => {
    const c = await openAnonymous();
    const started = performance.now();
    assert.deepEqual(await c.closed, { code: 1008, reason: 'no access token within 0.3 s' });
    assert.ok(performance.now() - started >= TOKEN_WAIT_MS - 50);
  });

  test('credentials in the upgrade still answer over HTTP when refused', async () => {
    const ws = new WebSocket(`${base}alice-app?token=not.a.jwt`);
    ws.on('error', () => {});
    const [, res] = await once(ws, 'unexpected-response');
    assert.equal(res.statusCode, 403);
  });
});
