// drg serve's API spoken by curl, an HTTP client nobody here wrote, and read back by drg.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { WebSocket } from 'ws';
import { WEBSOCKET_INTEGRATION_PATH } from '../../src/model/api-paths.js';
import { drg, serveDuringTests } from '../helpers/serve.js';

const run = promisify(execFile);
const serve = serveDuringTests();

/** curl's status code and body, with `-w` appending the status on its own last line. */
async function curl(args: string[]): Promise<{ status: number; headers: string; body: string }> {
  const { stdout } = await run('curl', ['-sS', '-D', '-', '-w', '\n%{http_code}', ...args]);
  const status = Number(stdout.slice(stdout.lastIndexOf('\n') + 1));
  const text = stdout.slice(0, stdout.lastIndexOf('\n'));
  const split = text.indexOf('\r\n\r\n');
  return { status, headers: text.slice(0, split), body: text.slice(split + 4) };
}

test('curl creates an application with Basic auth; drg lists it', async () => {
  const created = await curl([
    '-u',
    `admin:${serve.token}`,
    '-H',
    'content-type: application/json',
    '-d',
    '{"metadata":{"name":"from-curl","labels":{"via":"curl"}}}',
    `${serve.url}/api/registry/v1alpha1/apps`,
  ]);
  assert.equal(created.status, 201, created.body);
  assert.match(created.headers, /^location: \/api\/registry\/v1alpha1\/apps\/from-curl\r?$/im);

  const listed = await drg(serve.configPath, ['get', 'apps', '-l', 'via=curl', '-o', 'json']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(
    JSON.parse(listed.stdout).map((a: { metadata: { name: string } }) => a.metadata.name),
    ['from-curl'],
  );
});

test('curl reads a device drg created, with ?username=&api_key= credentials', async () => {
  assert.equal((await drg(serve.configPath, ['create', 'app', 'curl-read'])).code, 0);
  assert.equal((await drg(serve.configPath, ['create', 'device', 'dev 1', '--app', 'curl-read'])).code, 0);
  const got = await curl([
    `${serve.url}/api/registry/v1alpha1/apps/curl-read/devices/dev%201?username=admin&api_key=${serve.token}`,
  ]);
  assert.equal(got.status, 200, got.body);
  const device = JSON.parse(got.body);
  assert.equal(device.metadata.name, 'dev 1');
  assert.equal(device.metadata.application, 'curl-read');
});

test('curl gets the API error bodies: 401 without credentials, 403 with a wrong token, 400 on bad JSON', async () => {
  const anonymous = await curl([`${serve.url}/api/registry/v1alpha1/apps`]);
  assert.equal(anonymous.status, 401);
  assert.equal(JSON.parse(anonymous.body).error, 'Unauthorized');

  const wrong = await curl(['-u', 'admin:drg_nope00_wrong', `${serve.url}/api/registry/v1alpha1/apps`]);
  assert.equal(wrong.status, 403);
  assert.deepEqual(JSON.parse(wrong.body), { error: 'Forbidden' });

  const bad = await curl([
    '-u',
    `admin:${serve.token}`,
    '-H',
    'content-type: application/json',
    '-d',
    '{"metadata":',
    `${serve.url}/api/registry/v1alpha1/apps`,
  ]);
  assert.equal(bad.status, 400);
  assert.equal(JSON.parse(bad.body).error, 'BadRequest');
});

test('curl as a device: a password drg set (sha512-crypt), a message, and a command while it waits (ct)', async () => {
  assert.equal((await drg(serve.configPath, ['create', 'app', 'curl-device'])).code, 0);
  assert.equal((await drg(serve.configPath, ['create', 'device', 'sensor', '--app', 'curl-device'])).code, 0);
  const set = await drg(serve.configPath, ['set', 'password', 'sensor', 'pw 1', '--app', 'curl-device']);
  assert.equal(set.code, 0, set.stderr);

  const refused = await curl(['-u', 'sensor@curl-device:wrong', '-d', '{}', `${serve.url}/v1/telemetry`]);
  assert.equal(refused.status, 403);

  // The device waits up to 10 s for a command from before its message is in the log: once the WebSocket
  // integration shows the event, a command reaches it.
  const stream = new WebSocket(`${serve.url.replace(/^http/, 'ws')}${WEBSOCKET_INTEGRATION_PATH}curl-device`, {
    headers: { authorization: `Basic ${Buffer.from(`admin:${serve.token}`).toString('base64')}` },
  });
  await once(stream, 'open');
  const event = once(stream, 'message');
  const waiting = curl([
    '-u',
    'sensor@curl-device:pw 1',
    '-H',
    'content-type: application/json',
    '-d',
    '{"temp":20}',
    `${serve.url}/v1/telemetry?ct=10`,
  ]);
  assert.deepEqual(JSON.parse(String((await event)[0])).data, { temp: 20 });
  stream.close();
  const sent = await curl([
    '-u',
    `admin:${serve.token}`,
    '-H',
    'content-type: text/plain',
    '-d',
    'on',
    `${serve.url}/api/command/v1alpha1/apps/curl-device/devices/sensor?command=light`,
  ]);
  assert.equal(sent.status, 202, sent.body);
  const answered = await waiting;
  assert.equal(answered.status, 200, answered.body);
  assert.match(answered.headers, /^command: light\r?$/im);
  assert.equal(answered.body, 'on');
});
