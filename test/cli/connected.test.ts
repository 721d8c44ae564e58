// The CONNECTED column of `drg get devices -o wide`, against a stand-in: shown where the server knows who is connected
// (drg serve's extension), left out against one that does not (a Drogue Cloud answers 404), asked for only with
// -o wide. Against drg serve with MQTT devices: cmd.test.ts.
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { runDrg } from '../helpers/drg.js';
import { configFor, ok } from '../helpers/serve.js';
import { peer } from '../helpers/transport.js';

const device = (name: string) => ({
  metadata: { name, application: 'app1', creationTimestamp: new Date().toISOString() },
  spec: {},
});

/** A registry with the devices d1 and d2, and `connections` answering the connections route. */
async function registry(t: TestContext, connections: (response: import('node:http').ServerResponse) => void) {
  const asked: string[] = [];
  const server = await peer(t, (request, response) => {
    const path = (request.url ?? '').split('?')[0];
    asked.push(path);
    const json = (body: unknown) =>
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (path === '/api/registry/v1alpha1/apps/app1/devices') return json([device('d1'), device('d2')]);
    if (path === '/api/registry/v1alpha1/apps/app1/devices/d2') return json(device('d2'));
    if (path === '/api/connections/v1alpha1/apps/app1') return connections(response);
    response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"NotFound"}');
  });
  const get = (...args: string[]) => runDrg(configFor(server.url), ['get', ...args, '--app', 'app1']);
  return { asked, get };
}

const rows = (stdout: string) =>
  stdout
    .trimEnd()
    .split('\n')
    .map((line) => line.split(/\s{2,}/));

test('-o wide: since when and over what each device is connected, `no` for the others; other formats do not ask', async (t) => {
  const since = new Date(Date.now() - 5 * 60_000 - 1000).toISOString();
  const r = await registry(t, (response) =>
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ devices: { d2: { since, protocol: 'mqtt' } } })),
  );
  const wide = rows(ok(await r.get('devices', '-o', 'wide')).stdout);
  assert.deepEqual(wide[0].slice(6), ['DISABLED', 'CONNECTED', 'FIRMWARE', 'CURRENT', 'TARGET', 'LABELS']);
  assert.deepEqual(
    wide.slice(1).map((row) => [row[0], row[7]]),
    [
      ['d1', 'no'],
      ['d2', '5m (mqtt)'],
    ],
  );
  assert.equal(rows(ok(await r.get('device', 'd2', '-o', 'wide')).stdout)[1][7], '5m (mqtt)');
  r.asked.length = 0;
  ok(await r.get('devices'));
  ok(await r.get('devices', '-o', 'json'));
  assert.ok(!r.asked.some((path) => path.startsWith('/api/connections/')), r.asked.join(', '));
});

test('a server that does not know (404, or a page that is not JSON) gets no column; a failure gets a warning too', async (t) => {
  const answers: ((response: import('node:http').ServerResponse) => void)[] = [
    (response) => response.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>'),
    (response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<html>console</html>'),
  ];
  for (const answer of answers) {
    const r = await registry(t, answer);
    const result = ok(await r.get('devices', '-o', 'wide'));
    assert.ok(!result.stdout.includes('CONNECTED'), result.stdout);
    assert.equal(result.stderr, '');
  }
  const failing = await registry(t, (response) =>
    response.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"Internal","message":"boom"}'),
  );
  const result = ok(await failing.get('devices', '-o', 'wide'));
  assert.ok(!result.stdout.includes('CONNECTED'));
  assert.equal(result.stdout.trimEnd().split('\n').length, 3, 'the devices all the same');
  assert.equal(
    result.stderr,
    "warning: cannot tell which devices are connected: the server answered 500: boom (application 'app1')\n",
  );
});
