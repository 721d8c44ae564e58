// `drg stream` against a real drg serve: devices publish with curl (HTTP, Basic device@app:password) and drg prints
// their CloudEvents; channels and devices filtered; a consumer group resumes; replay with --from-start and --since;
// an OIDC login's short-lived token renewed on the open socket.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readContext } from '../helpers/config.js';
import { curl } from '../helpers/curl.js';
import { localServerDuringTests, runDrg, startDrg } from '../helpers/drg.js';
import { ALICE, startServerWithAlice } from '../helpers/login.js';
import { issuerAt, logInWithCode } from '../helpers/oidc.js';
import { newConfigPath, ok } from '../helpers/serve.js';

/** Access tokens of the embedded issuer live this long (s): the renewal test outlives one. */
const TOKEN_TTL = 3;
const serve = localServerDuringTests(() => startServerWithAlice({ accessTokenTtl: TOKEN_TTL }));
const run = (...args: string[]) => serve.run(args);

/** An application with devices that have the password `pw`, as admin. */
async function appWithDevices(app: string, ...devices: string[]): Promise<void> {
  ok(await run('create', 'app', app));
  for (const device of devices) {
    ok(await run('create', 'device', device, '--app', app));
    ok(await run('set', 'password', device, 'pw', '--app', app));
  }
}

/** curl as the device `device@app`, password `pw`: the HTTP status. */
async function publish(app: string, device: string, channel: string, body: string): Promise<number | undefined> {
  const auth = `${device}@${app}:pw`;
  const result = await curl([
    '-u',
    auth,
    '-H',
    'content-type: application/json',
    '--data-binary',
    body,
    `${serve.url}/v1/${channel}`,
  ]);
  return 'status' in result ? result.status : undefined;
}

const READY = /\(Ctrl\+C to stop\)\n/;

test('a device publishes over HTTP and `drg stream -n 1 -o json` prints its CloudEvent, and only that', async () => {
  await appWithDevices('stream-one', 'sensor-1');
  const stream = startDrg(serve.configPath, ['stream', '--app', 'stream-one', '-n', '1', '-o', 'json']);
  await stream.waitForStderr(READY);
  assert.equal(await publish('stream-one', 'sensor-1', 'temperature', '{"temp":21.5}'), 202);
  const result = ok(await stream.done);
  const event = JSON.parse(result.stdout);
  assert.equal(result.stdout, `${JSON.stringify(event)}\n`, 'one line');
  assert.match(event.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.ok(Math.abs(Date.parse(event.time) - Date.now()) < 60_000, event.time);
  assert.deepEqual(
    {
      specversion: event.specversion,
      type: event.type,
      source: event.source,
      subject: event.subject,
      datacontenttype: event.datacontenttype,
      data: event.data,
      application: event.application,
      device: event.device,
      sender: event.sender,
      partitionkey: event.partitionkey,
    },
    {
      specversion: '1.0',
      type: 'io.drogue.event.v1',
      source: 'drogue://stream%2Done/sensor%2D1',
      subject: 'temperature',
      datacontenttype: 'application/json',
      data: { temp: 21.5 },
      application: 'stream-one',
      device: 'sensor-1',
      sender: 'sensor-1',
      partitionkey: 'stream%2Done/sensor%2D1',
    },
  );
});

test('--channel (the server filters) and --device (drg filters) leave out the other events', async () => {
  await appWithDevices('stream-filter', 'd1', 'd2');
  const stream = startDrg(serve.configPath, [
    'stream',
    '--app',
    'stream-filter',
    '--channel',
    'temp',
    '--device',
    'd2',
    '-n',
    '1',
    '-o',
    'json',
  ]);
  await stream.waitForStderr(READY);
  assert.equal(await publish('stream-filter', 'd2', 'humidity', '{"n":1}'), 202);
  assert.equal(await publish('stream-filter', 'd1', 'temp', '{"n":2}'), 202);
  assert.equal(await publish('stream-filter', 'd2', 'temp', '{"n":3}'), 202);
  const event = JSON.parse(ok(await stream.done).stdout);
  assert.deepEqual([event.device, event.subject, event.data], ['d2', 'temp', { n: 3 }]);
});

test('a consumer group resumes where it left off; --from-start replays what drg serve kept, --since the recent part', async () => {
  await appWithDevices('stream-group', 'd1');
  const first = startDrg(serve.configPath, [
    'stream',
    '--app',
    'stream-group',
    '--group',
    'g1',
    '-n',
    '1',
    '-o',
    'json',
  ]);
  await first.waitForStderr(READY);
  assert.equal(await publish('stream-group', 'd1', 'c', '{"n":1}'), 202);
  assert.equal(JSON.parse(ok(await first.done).stdout).data.n, 1);
  // While nobody of the group listens.
  assert.equal(await publish('stream-group', 'd1', 'c', '{"n":2}'), 202);
  assert.equal(await publish('stream-group', 'd1', 'c', '{"n":3}'), 202);
  const again = ok(await run('stream', '--app', 'stream-group', '--group', 'g1', '-n', '2', '-o', 'json'));
  assert.deepEqual(
    again.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).data.n),
    [2, 3],
  );
  const replayed = ok(await run('stream', '--app', 'stream-group', '--from-start', '-n', '3', '-o', 'json'));
  assert.deepEqual(
    replayed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).data.n),
    [1, 2, 3],
  );
  const recent = ok(await run('stream', '--app', 'stream-group', '--since', '1h', '-n', '1', '-o', 'json'));
  assert.equal(JSON.parse(recent.stdout).data.n, 1);
});

test('an OIDC login streams past its access token’s expiry: drg renews the token on the socket', async () => {
  const config = newConfigPath();
  const tokens = await logInWithCode(issuerAt(`${serve.url}/oidc`), ALICE);
  assert.ok(tokens.refresh_token);
  ok(await runDrg(config, ['login', serve.url, '-t', tokens.refresh_token]));
  ok(await runDrg(config, ['create', 'app', 'alice-stream']));
  ok(await runDrg(config, ['create', 'device', 'd1', '--app', 'alice-stream']));
  ok(await runDrg(config, ['set', 'password', 'd1', 'pw', '--app', 'alice-stream']));
  const before = readContext(config).token?.access_token;
  const stream = startDrg(config, ['stream', '--app', 'alice-stream', '-n', '1', '-o', 'json']);
  await stream.waitForStderr(READY);
  // Time itself is the condition here: the token drg connected with has expired.
  await new Promise((resolve) => setTimeout(resolve, (TOKEN_TTL + 1) * 1000));
  assert.equal(await publish('alice-stream', 'd1', 'c', '{"late":true}'), 202);
  const result = ok(await stream.done);
  assert.deepEqual(JSON.parse(result.stdout).data, { late: true });
  assert.doesNotMatch(result.stderr, /dropped|Reconnected/, 'the same connection, not a new one');
  assert.notEqual(readContext(config).token?.access_token, before, 'the renewed token was stored');
});
