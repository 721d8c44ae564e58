// `drg stream` against a stand-in for a cluster (its discovery and a plain `ws` WebSocket server, driven by each
// test): what is sent on the upgrade, how events print, reconnects with backoff, close codes and refused upgrades,
// Ctrl+C, the proxy; the stream client's dead-connection check.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { type TestContext, test } from 'node:test';
import { type WebSocket, WebSocketServer } from 'ws';
import { ApiClient } from '../../src/client/http.js';
import { streamEvents } from '../../src/client/stream.js';
import { basic } from '../helpers/config.js';
import { runDrg, startDrg } from '../helpers/drg.js';
import { packagesLoadedBy } from '../helpers/login.js';
import { configFor, freePort, ok } from '../helpers/serve.js';
import { proxiedHostName, startTinyproxy } from '../helpers/tinyproxy.js';
import { peer } from '../helpers/transport.js';

const WS_PATH = '/api/integration/ws/v1alpha1/';

interface Connection {
  ws: WebSocket;
  request: IncomingMessage;
  /** What the client sent. */
  messages: string[];
  /** The close code the client sent, once it closed. */
  closed: Promise<number>;
}

interface Refusal {
  status: number;
  body: unknown;
}

interface ClusterOptions {
  /** Discovery says the server replays kept events (drg serve's marker). */
  replay?: boolean;
  /** An HTTP answer instead of the upgrade. */
  refuse?: (request: IncomingMessage) => Refusal | undefined;
  /** The host name in its URLs (default 127.0.0.1). */
  host?: string;
  /** The integration's URL in discovery, instead of its own. */
  integrationUrl?: string;
}

/** Discovery and a WebSocket integration; each accepted connection is handed to the test by `connection()`. */
async function cluster(t: TestContext, options: ClusterOptions = {}) {
  const wss = new WebSocketServer({ noServer: true });
  const accepted: Connection[] = [];
  const waiting: ((c: Connection) => void)[] = [];
  const upgrades: IncomingMessage[] = [];
  // Before peer()'s own hook, which waits for every connection to end.
  t.after(() => {
    for (const c of accepted) c.ws.terminate();
  });
  const server = await peer(
    t,
    (request, response) => {
      if (request.url !== '/.well-known/drogue-endpoints') return response.writeHead(404).end();
      const endpoints = {
        api: url,
        websocket_integration: { url: options.integrationUrl ?? `${url.replace(/^http/, 'ws')}${WS_PATH}` },
        ...(options.replay ? { event_replay: true } : {}),
      };
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(endpoints));
    },
    { host: options.host },
  );
  const url = server.url;
  server.server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    upgrades.push(request);
    const refusal = options.refuse?.(request);
    if (refusal) {
      const body = JSON.stringify(refusal.body);
      socket.end(
        `HTTP/1.1 ${refusal.status} Refused\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
      );
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      const messages: string[] = [];
      ws.on('message', (data) => messages.push(String(data)));
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      const connection = { ws, request, messages, closed };
      accepted.push(connection);
      const next = waiting.shift();
      if (next) next(connection);
    });
  });
  let taken = 0;
  return {
    url,
    configPath: configFor(url),
    upgrades,
    /** The next connection the client opened. */
    connection: () =>
      new Promise<Connection>((resolve) => {
        const index = taken++;
        if (accepted[index]) resolve(accepted[index]);
        else waiting.push(resolve);
      }),
  };
}

function event(device: string, subject: string, payload: Record<string, unknown>, more: Record<string, unknown> = {}) {
  return {
    specversion: '1.0',
    id: randomUUID(),
    type: 'io.drogue.event.v1',
    source: `drogue://app1/${device}`,
    subject,
    time: new Date().toISOString(),
    application: 'app1',
    device,
    applicationuid: randomUUID(),
    deviceuid: randomUUID(),
    sender: device,
    senderuid: randomUUID(),
    instance: 'test',
    partitionkey: `app1/${device}`,
    ...payload,
    ...more,
  };
}

const json = (data: unknown) => ({ datacontenttype: 'application/json', data });
const bytes = (data: Buffer) => ({ datacontenttype: 'application/octet-stream', data_base64: data.toString('base64') });

test('`stream tail -o json`: each event exactly as sent, one per line; --channel, --group and the credentials go with the upgrade; --device matches the device or its gateway', async (t) => {
  const c = await cluster(t);
  const drg = startDrg(c.configPath, [
    'stream',
    'tail',
    '--app',
    'app1',
    '--channel',
    'temp',
    '--group',
    'g1',
    '--device',
    'd1',
    '-n',
    '2',
    '-o',
    'json',
  ]);
  const connection = await c.connection();
  assert.equal(connection.request.url, `${WS_PATH}app1/temp?group_id=g1`);
  assert.equal(connection.request.headers.authorization, basic('u', 't'));
  const frames = [
    event('d2', 'temp', json({ t: 1 })),
    event('d1', 'temp', json({ big: 1 })),
    event('d3', 'temp', bytes(Buffer.from([0, 1])), { sender: 'd1' }),
    event('d1', 'temp', json({ t: 4 })),
  ];
  // The second as the server wrote it: its big number must not be rounded on the way.
  const texts = frames.map((f) => JSON.stringify(f));
  texts[1] = texts[1].replace('"big":1', '"big":12345678901234567890');
  for (const text of texts) connection.ws.send(text);
  const result = ok(await drg.done);
  assert.equal(result.stdout, `${texts[1]}\n${texts[2]}\n`);
  assert.match(
    result.stderr,
    /^Streaming the events of application app1, channel temp, as a member of group g1 \(Ctrl\+C to stop\)\n$/,
  );
  assert.equal(await connection.closed, 1000);
});

test('on a terminal: one coloured line per event (time, device and gateway, channel, payload), escaped, cut to the width', async (t) => {
  const c = await cluster(t);
  const drg = startDrg(c.configPath, ['stream', '--app', 'app1', '-n', '4'], { tty: true, env: { NO_COLOR: '' } });
  const connection = await c.connection();
  const today = new Date();
  today.setHours(12, 34, 56, 789);
  const otherDay = new Date(2020, 0, 2, 3, 4, 5, 6);
  const frames = [
    event('d1', 'temp', json({ t: 21.5 }), { time: today.toISOString() }),
    event('sensor\u001b[2J', 'temp', bytes(Buffer.from([0, 1, 2, 255])), {
      sender: 'gw',
      time: otherDay.toISOString(),
    }),
    event('d1', 'status', bytes(Buffer.from('hello world')), { time: today.toISOString() }),
    event('d1', 'temp', json({ text: 'x'.repeat(200) }), { time: today.toISOString() }),
  ];
  for (const frame of frames) connection.ws.send(JSON.stringify(frame));
  const lines = ok(await drg.done).stdout.split('\n');
  const dim = (s: string) => `\u001b[2m${s}\u001b[22m`;
  const bold = (s: string) => `\u001b[1m${s}\u001b[22m`;
  const yellow = (s: string) => `\u001b[33m${s}\u001b[39m`;
  const who = 'sensor\\x1b[2J via gw';
  assert.equal(lines[0], `${dim('12:34:56.789')}  ${bold('d1')}  ${yellow('temp')}  {"t":21.5}`);
  assert.equal(lines[1], `${dim('2020-01-02 03:04:05.006')}  ${bold(who)}  ${yellow('temp')}  <4 bytes: 000102ff>`);
  assert.equal(lines[2], `${dim('12:34:56.789')}  ${bold('d1'.padEnd(who.length))}  ${yellow('status')}  hello world`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the colours are taken out
  const visible = lines[3].replace(/\u001b\[\d+m/g, '');
  assert.equal([...visible].length, 100, 'as wide as the terminal');
  assert.match(visible, /\{"text":"x+…$/);
  assert.equal(lines[4], '');

  // NO_COLOR (set by default in these tests): the same line, without colours.
  const plain = startDrg(c.configPath, ['stream', '--app', 'app1', '-n', '1'], { tty: true });
  (await c.connection()).ws.send(JSON.stringify(frames[0]));
  assert.equal(ok(await plain.done).stdout, '12:34:56.789  d1  temp  {"t":21.5}\n');
});

test('a dropped connection is opened again after 1 s, then 2 s: said on stderr; the group resumes, the replay is not asked again', async (t) => {
  let refuseNext = false;
  const c = await cluster(t, {
    replay: true,
    refuse: () => {
      if (!refuseNext) return undefined;
      refuseNext = false;
      return { status: 503, body: { error: 'ServiceUnavailable', message: 'starting' } };
    },
  });
  const started = Date.now();
  const drg = startDrg(c.configPath, ['stream', '--app', 'app1', '--group', 'g1', '--since', '10m', '-n', '2']);
  const first = await c.connection();
  const query = new URL(first.request.url ?? '', c.url).searchParams;
  assert.equal(query.get('group_id'), 'g1');
  const since = Date.parse(query.get('since') ?? '');
  assert.ok(Math.abs(started - 10 * 60_000 - since) < 5000, `since ${query.get('since')} is 10 minutes ago`);
  first.ws.send(JSON.stringify(event('d1', 'temp', json({ n: 1 }))));
  refuseNext = true;
  first.ws.close(1011, 'disk full');
  await drg.waitForStderr(
    /warning: the event stream dropped \(the server's event stream failed: disk full\): reconnecting in 1s, resuming group g1\n/,
  );
  await drg.waitForStderr(/warning: cannot reconnect \(the server answered 503\): retrying in 2s\n/);
  const second = await c.connection();
  assert.equal(second.request.url, `${WS_PATH}app1?group_id=g1`);
  await drg.waitForStderr(/\nReconnected\n/);
  second.ws.send(JSON.stringify(event('d2', 'temp', json({ n: 2 }))));
  const result = ok(await drg.done);
  assert.match(result.stdout, /^\S+ {2}d1 {2}temp {2}\{"n":1\}\n\S+ {2}d2 {2}temp {2}\{"n":2\}\n$/);
  assert.equal(c.upgrades.length, 3);
});

test('without a group, a dropped stream says that events sent meanwhile are missed', async (t) => {
  const c = await cluster(t);
  const drg = startDrg(c.configPath, ['stream', '--app', 'app1', '-n', '1', '-o', 'json']);
  (await c.connection()).ws.close(1001, 'drg serve is stopping');
  await drg.waitForStderr(
    /the event stream dropped \(the server is going away: drg serve is stopping\): reconnecting in 1s \(events sent meanwhile are missed without --group\)\n/,
  );
  const again = await c.connection();
  assert.equal(again.request.url, `${WS_PATH}app1`);
  const frame = JSON.stringify(event('d1', 'temp', json({ n: 1 })));
  again.ws.send(frame);
  assert.equal(ok(await drg.done).stdout, `${frame}\n`);
});

test('a refused token (close 1008) is an authentication error (exit 4); a protocol error (1002) ends the stream too', async (t) => {
  const c = await cluster(t);
  const refused = startDrg(c.configPath, ['stream', '--app', 'app1']);
  (await c.connection()).ws.close(1008, 'the access token has expired');
  const result = await refused.done;
  assert.equal(result.code, 4);
  assert.equal(
    result.stderr.split('\n').slice(1).join('\n'),
    `error: ${c.url} refused the credentials of context ctx on the event stream (the access token has expired)\n` +
      `log in again: drg login ${c.url} -c ctx\n`,
  );
  const confused = startDrg(c.configPath, ['stream', '--app', 'app1']);
  (await c.connection()).ws.close(1002, 'expected {"RefreshAccessToken": "<access token>"}');
  const failed = await confused.done;
  assert.equal(failed.code, 1);
  assert.match(
    failed.stderr,
    /\nerror: ws:\/\/127\.0\.0\.1:\d+\/api\/integration\/ws\/v1alpha1\/app1 closed the stream: closed with code 1002: expected/,
  );
  assert.equal(failed.stdout, '');
});

test('refused upgrades are one-line errors: rejected credentials (exit 4), no access, no such application, no replay', async (t) => {
  const answers: Record<string, Refusal> = {
    rejected: { status: 403, body: { error: 'Forbidden' } },
    forbidden: { status: 403, body: { error: 'Forbidden', message: 'alice may not read app forbidden' } },
    missing: { status: 404, body: { error: 'NotFound', message: 'no such application' } },
    replay: { status: 400, body: { error: 'BadRequest', message: 'unknown parameter since' } },
  };
  const c = await cluster(t, {
    replay: true,
    refuse: (request) => answers[(request.url ?? '').slice(WS_PATH.length).split('?')[0]],
  });
  const stream = (app: string, ...more: string[]) => runDrg(c.configPath, ['stream', '--app', app, ...more]);
  const rejected = await stream('rejected');
  assert.equal(rejected.code, 4);
  assert.match(
    rejected.stderr,
    new RegExp(`^error: ${c.url} rejected the credentials of context ctx: the access token`),
  );
  const forbidden = await stream('forbidden');
  assert.equal(forbidden.code, 1);
  assert.match(forbidden.stderr, /^error: forbidden: alice may not read app forbidden\n/);
  const missing = await stream('missing');
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, "error: application 'missing' not found\n");
  const replay = await stream('replay', '--from-start');
  assert.equal(replay.code, 1);
  assert.match(
    replay.stderr,
    /^error: the server refused to replay past events: --since and --from-start need drg serve\n/,
  );
  const json = await stream('missing', '-o', 'json');
  assert.deepEqual(JSON.parse(json.stdout), {
    status: 'failure',
    message: "application 'missing' not found",
    http_status: 404,
  });
});

test('--since and --from-start against a server without event replay fail before connecting', async (t) => {
  const c = await cluster(t);
  for (const flags of [['--since', '10m'], ['--from-start']]) {
    const result = await runDrg(c.configPath, ['stream', '--app', 'app1', ...flags]);
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      `error: ${c.url} does not keep events: --since and --from-start need drg serve\n` +
        'a Drogue Cloud streams the events from the moment drg connects (and a --group resumes where it left off)\n',
    );
  }
  assert.equal(c.upgrades.length, 0);
});

test('Ctrl+C ends the stream normally (exit 0), closing the socket with 1000', async (t) => {
  const c = await cluster(t);
  const drg = startDrg(c.configPath, ['stream', '--app', 'app1']);
  const connection = await c.connection();
  await drg.waitForStderr(/\(Ctrl\+C to stop\)\n/);
  process.emit('SIGINT');
  const result = ok(await drg.done);
  assert.equal(result.stdout, '');
  assert.equal(await connection.closed, 1000);
  assert.equal(process.listenerCount('SIGINT'), 0, 'the signal handler is gone with the command');
});

test('an integration that cannot be reached at first is an error; bad flags are usage errors before any request', async (t) => {
  const c = await cluster(t, { integrationUrl: `ws://127.0.0.1:${await freePort()}${WS_PATH}` });
  const unreachable = await runDrg(c.configPath, ['stream', '--app', 'app1']);
  assert.equal(unreachable.code, 1);
  assert.match(
    unreachable.stderr,
    /^error: cannot reach ws:\/\/127\.0\.0\.1:\d+\/api\/integration\/ws\/v1alpha1\/app1: connection refused; is the server running\?\n/,
  );
  const usage: [string[], RegExp][] = [
    [['-n', '0'], /^error: -n\/--count must be a positive whole number, not "0"\n/],
    [['--since', '10 minutes'], /^error: --since must be a duration such as 90s, 10m, 2h or 1d, not "10 minutes"\n/],
    [['--since', '1h', '--from-start'], /^error: give --since or --from-start, not both\n/],
    [['-o', 'name'], /^error: drg stream prints lines, or JSON lines with -o json: not -o name\n/],
    [['--channel', '..'], /^error: --channel \.\. cannot be streamed/],
    [['--group', ''], /^error: --group must not be empty\n/],
    [['follow'], /^error: unknown word "follow": drg stream takes only `tail` \(the same as without it\)\n/],
  ];
  for (const [flags, message] of usage) {
    const result = await runDrg(c.configPath, ['stream', '--app', 'app1', ...flags]);
    assert.equal(result.code, 2, flags.join(' '));
    assert.match(result.stderr, message);
  }
});

test('through the proxy the environment names: a CONNECT tunnel to the integration', async (t) => {
  const host = await proxiedHostName();
  const proxy = await startTinyproxy();
  t.after(() => proxy.stop());
  const c = await cluster(t, { host });
  const saved = process.env.HTTP_PROXY;
  process.env.HTTP_PROXY = proxy.url;
  t.after(() => {
    if (saved === undefined) delete process.env.HTTP_PROXY;
    else process.env.HTTP_PROXY = saved;
  });
  const drg = startDrg(c.configPath, ['stream', '--app', 'app1', '-n', '1', '-o', 'json']);
  const connection = await c.connection();
  const frame = JSON.stringify(event('d1', 'temp', json({ n: 1 })));
  connection.ws.send(frame);
  assert.equal(ok(await drg.done).stdout, `${frame}\n`);
  await proxy.logged(`CONNECT ${host}:${new URL(c.url).port}`);
});

test('a connection silent for longer than the idle timeout counts as dead, and is opened again', async (t) => {
  const c = await cluster(t);
  const stop = new AbortController();
  const retries: string[] = [];
  const streaming = streamEvents(
    {
      integrationUrl: `${c.url.replace(/^http/, 'ws')}${WS_PATH}`,
      app: 'app1',
      api: new ApiClient({ baseUrl: c.url }),
      context: 'ctx',
      signal: stop.signal,
      idleTimeoutMs: 200,
    },
    { opened: () => {}, event: () => {}, retrying: (reason) => retries.push(reason) },
  );
  const silent = await c.connection();
  // ws answers pings by itself: the server's pings keep a connection alive, silence does not.
  silent.ws.ping();
  await silent.closed;
  await c.connection();
  stop.abort();
  await streaming;
  assert.deepEqual(retries, ['no ping from the server for 0.2s']);
});

test('the built drg loads `ws` for drg stream only', async (t) => {
  const c = await cluster(t);
  const listing = await packagesLoadedBy(c.configPath, ['config', 'list']);
  ok(listing.result);
  assert.ok(!listing.packages.has('ws'), 'config list does not load ws');
  const streaming = packagesLoadedBy(c.configPath, ['stream', '--app', 'app1', '-n', '1', '-o', 'json']);
  const frame = JSON.stringify(event('d1', 'temp', json({ n: 1 })));
  (await c.connection()).ws.send(frame);
  const { result, packages } = await streaming;
  assert.equal(ok(result).stdout, `${frame}\n`);
  assert.ok(packages.has('ws'), 'drg stream does');
});
