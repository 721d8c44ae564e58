// `drg cmd`: what it sends to the command API (path, query, body and content type, at discovery's command_url), and
// the answers' words, against a stand-in; then against a real drg serve, a command reaching an HTTP device that waits
// for one (curl with ?ct=).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { basic } from '../helpers/config.js';
import { curl } from '../helpers/curl.js';
import { localServerDuringTests, runDrg, startDrg, startLocalServer } from '../helpers/drg.js';
import { configFor, ok, tempDir } from '../helpers/serve.js';
import { peer } from '../helpers/transport.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** A command API answering `status` to every command, and the requests it got. */
async function commandApi(t: TestContext, status: number, body = '') {
  const received: Received[] = [];
  const server = await peer(t, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks),
      });
      response.writeHead(status, body ? { 'content-type': 'application/json' } : {}).end(body);
    });
  });
  return { url: server.url, received };
}

/** A cluster whose discovery names `commandUrl` (or none), and a config logged in to it. */
async function cluster(t: TestContext, commandUrl: string | undefined) {
  const discovered: string[] = [];
  const server = await peer(t, (request, response) => {
    discovered.push(request.url ?? '');
    const endpoints = { api: server.url, ...(commandUrl ? { command_url: commandUrl } : {}) };
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(endpoints));
  });
  return { url: server.url, configPath: configFor(server.url), discovered };
}

const PATH = '/api/command/v1alpha1/apps/app1/devices';

test('the payload goes as it is, JSON as application/json and other bytes as application/octet-stream, to command_url', async (t) => {
  const api = await commandApi(t, 202);
  const c = await cluster(t, api.url);
  const dir = tempDir();
  const image = Buffer.from([0, 0xff, 0x10, 0x0a, 0x80]);
  writeFileSync(join(dir, 'image.bin'), image);
  const cmd = (...args: string[]) => runDrg(c.configPath, ['--app', 'app1', ...args], { cwd: dir });

  const sent = ok(await cmd('cmd', 'd1', 'set-interval', '-p', '{"seconds": 30}'));
  assert.equal(sent.stdout, 'Command set-interval sent to device d1\n');
  ok(await cmd('cmd', 'd1', 'say', '-p', 'hello'));
  ok(await cmd('command', 'd/1', 'flash', '-f', 'image.bin'));
  ok(await cmd('cmd', 'd1', 'note', '-f', 'image.bin', '--content-type', 'application/x-firmware'));
  ok(await runDrg(c.configPath, ['cmd', 'd1', 'piped', '-f', '-', '--app', 'app1'], { input: '[1,2]' }));
  ok(await runDrg(c.configPath, ['cmd', 'd1', 'piped-bytes', '-f', '-', '--app', 'app1'], { input: image }));
  ok(await cmd('cmd', 'd1', 'reboot'));
  const json = ok(await cmd('cmd', 'd1', 'reboot', '-o', 'json'));
  assert.deepEqual(JSON.parse(json.stdout), { status: 'success', message: 'Command reboot sent to device d1' });

  const seen = api.received.map((r) => [r.method, r.url, r.headers['content-type'], r.body.toString('hex')]);
  const hex = (text: string) => Buffer.from(text).toString('hex');
  assert.deepEqual(seen, [
    ['POST', `${PATH}/d1?command=set-interval`, 'application/json', hex('{"seconds": 30}')],
    ['POST', `${PATH}/d1?command=say`, 'application/octet-stream', hex('hello')],
    ['POST', `${PATH}/d%2F1?command=flash`, 'application/octet-stream', image.toString('hex')],
    ['POST', `${PATH}/d1?command=note`, 'application/x-firmware', image.toString('hex')],
    ['POST', `${PATH}/d1?command=piped`, 'application/json', hex('[1,2]')],
    ['POST', `${PATH}/d1?command=piped-bytes`, 'application/octet-stream', image.toString('hex')],
    ['POST', `${PATH}/d1?command=reboot`, undefined, ''],
    ['POST', `${PATH}/d1?command=reboot`, undefined, ''],
  ]);
  assert.ok(api.received.every((r) => r.headers.authorization === basic('u', 't')));
  assert.ok(c.discovered.every((path) => path === '/.well-known/drogue-endpoints'));
});

test('without a command_url, the command goes to the API itself', async (t) => {
  const commands: string[] = [];
  const server = await peer(t, (request, response) => {
    if (request.url === '/.well-known/drogue-endpoints') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ api: server.url }));
      return;
    }
    commands.push(`${request.method} ${request.url}`);
    response.writeHead(202).end();
  });
  ok(await runDrg(configFor(server.url), ['cmd', 'd1', 'ping', '--app', 'app1']));
  assert.deepEqual(commands, [`POST ${PATH}/d1?command=ping`]);
});

test('406 and 503 say what to check; with -o json, a failure document with the status', async (t) => {
  const notAcceptable = await commandApi(t, 406, JSON.stringify({ error: 'NotAcceptable', message: 'no such device' }));
  const refused = await runDrg((await cluster(t, notAcceptable.url)).configPath, ['cmd', 'd1', 'go', '--app', 'app1']);
  assert.equal(refused.code, 1);
  assert.equal(
    refused.stderr,
    'error: device d1 or application app1 does not exist, or is disabled\ncheck them: drg get device d1 --app app1\n',
  );
  const unavailable = await commandApi(t, 503, JSON.stringify({ error: 'ServiceUnavailable', message: 'busy' }));
  const config = (await cluster(t, unavailable.url)).configPath;
  const busy = await runDrg(config, ['cmd', 'd1', 'go', '--app', 'app1']);
  assert.equal(busy.code, 1);
  assert.equal(busy.stderr, 'error: the server could not queue command go for device d1 now: try again\n');
  const json = await runDrg(config, ['cmd', 'd1', 'go', '--app', 'app1', '-o', 'json']);
  assert.deepEqual(JSON.parse(json.stdout), {
    status: 'failure',
    message: 'the server could not queue command go for device d1 now: try again',
    http_status: 503,
  });
});

test('bad input is a usage error before any request', async (t) => {
  const api = await commandApi(t, 202);
  const c = await cluster(t, api.url);
  const cases: [string[], RegExp][] = [
    [['-p', '{}', '-f', 'x.json'], /^error: give -p\/--payload or -f\/--filename, not both\n/],
    [['--content-type', 'text/plain'], /^error: --content-type describes a payload: give it with -p or -f\n/],
    [['-f', 'no-such-file'], /^error: cannot read no-such-file: no such file or directory\n/],
  ];
  for (const [flags, message] of cases) {
    const result = await runDrg(c.configPath, ['cmd', 'd1', 'go', '--app', 'app1', ...flags], { cwd: tempDir() });
    assert.equal(result.code, 2, flags.join(' '));
    assert.match(result.stderr, message);
  }
  const missing = await runDrg(c.configPath, ['cmd', 'd1', '--app', 'app1']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /missing required argument 'command'/);
  assert.equal(api.received.length, 0);
  assert.deepEqual(c.discovered, []);
});

const serve = localServerDuringTests(() => startLocalServer({ mqttPort: 0 }));

test('drg serve: a device waiting over HTTP (?ct=) gets the command, its payload and content type', async () => {
  const run = (...args: string[]) => serve.run(args);
  ok(await run('create', 'app', 'cmd-app'));
  ok(await run('create', 'device', 'waiter', '--app', 'cmd-app'));
  ok(await run('set', 'password', 'waiter', 'pw', '--app', 'cmd-app'));
  // The device's own event on the stream says that it is waiting: it listens before its message is appended.
  const stream = startDrg(serve.configPath, ['stream', '--app', 'cmd-app', '-n', '1', '-o', 'json']);
  await stream.waitForStderr(/\(Ctrl\+C to stop\)\n/);
  const answer = curl([
    '-i',
    '-u',
    'waiter@cmd-app:pw',
    '-H',
    'content-type: application/json',
    '-d',
    '{"waiting":true}',
    `${serve.url}/v1/status?ct=30`,
  ]);
  assert.equal(JSON.parse(ok(await stream.done).stdout).device, 'waiter');
  const sent = ok(await run('cmd', 'waiter', 'set-led', '-p', '{"on":true}', '--app', 'cmd-app'));
  assert.equal(sent.stdout, 'Command set-led sent to device waiter\n');
  const answered = await answer;
  assert.ok('status' in answered && answered.status === 200, JSON.stringify(answered));
  assert.match(answered.body, /\r\ncommand: set-led\r\n/i);
  assert.match(answered.body, /\r\ncontent-type: application\/json/i);
  assert.ok(answered.body.endsWith('\r\n\r\n{"on":true}'), answered.body);

  const unknown = await run('cmd', 'nobody', 'set-led', '--app', 'cmd-app');
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /^error: device nobody or application cmd-app does not exist, or is disabled\n/);
});

/** mosquitto_sub as `user` (password pw) on `topic`, for one message: printed as `topic payload`. */
function mqttDevice(user: string, topic: string) {
  const port = String(serve.server.endpoints().mqtt?.port);
  const args = ['-h', '127.0.0.1', '-p', port, '-V', 'mqttv5', '-u', user, '-P', 'pw', '-d', '-C', '1', '-F', '%t %p'];
  // stdbuf: line-buffered, so that its debug line about the SUBACK comes when it happens.
  const child = spawn('stdbuf', ['-oL', 'mosquitto_sub', ...args, '-t', topic], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const subscribed = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (/received SUBACK/.test(out)) resolve();
    });
    child.on('close', () => reject(new Error(`mosquitto_sub ended before it subscribed:\n${out}`)));
  });
  const exited = new Promise<string>((resolve) => child.on('close', () => resolve(out)));
  return { subscribed, exited };
}

test('drg serve: an MQTT device subscribed to its inbox gets the command, so does a gateway for a device behind it; CONNECTED says so', async () => {
  const run = (...args: string[]) => serve.run(['--app', 'mqtt-cmd', ...args]);
  ok(await serve.run(['create', 'app', 'mqtt-cmd']));
  for (const device of ['m1', 'gw', 'behind']) {
    ok(await run('create', 'device', device));
    ok(await run('set', 'password', device, 'pw'));
  }
  ok(await run('set', 'gateway', 'behind', 'gw'));
  const device = mqttDevice('m1@mqtt-cmd', 'command/inbox//#');
  const gateway = mqttDevice('gw@mqtt-cmd', 'command/inbox/#');
  await Promise.all([device.subscribed, gateway.subscribed]);

  const wide = ok(await run('get', 'devices', '-o', 'wide'))
    .stdout.trimEnd()
    .split('\n')
    .map((l) => l.split(/\s{2,}/));
  const connected = Object.fromEntries(wide.slice(1).map((row) => [row[0], row[7]]));
  assert.match(connected.m1, /^\d+s \(mqtt\/5\)$/);
  assert.match(connected.gw, /^\d+s \(mqtt\/5\)$/);
  assert.equal(connected.behind, 'no');

  ok(await run('cmd', 'm1', 'blink', '-p', '{"times":3}'));
  ok(await run('cmd', 'behind', 'reset', '-p', 'now'));
  assert.match(await device.exited, /\ncommand\/inbox\/\/blink \{"times":3\}\n/);
  assert.match(await gateway.exited, /\ncommand\/inbox\/behind\/reset now\n/);
});
