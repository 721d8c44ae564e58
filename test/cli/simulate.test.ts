// `drg simulate` against a real in-process drg serve: devices made (once) with the simulator's credentials, connected
// over MQTT and HTTP, until every device runs the version a test DFU responder hands out, or for --duration; the
// summary as a JSON document; bad flags refused before anything is done.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { devicePassword } from '../../src/simulator/provision.js';
import { startDfuResponder } from '../helpers/dfu-responder.js';
import { localServerDuringTests, startDrg, startLocalServer } from '../helpers/drg.js';
import { recordEvents } from '../helpers/events.js';
import { fails, ok } from '../helpers/serve.js';

// The agent of drg serve is off: the test responder answers the reports.
const serve = localServerDuringTests(() => startLocalServer({ mqttPort: 0, firmwareAgent: false }));
const authorization = () => `Basic ${Buffer.from(`admin:${serve.token}`).toString('base64')}`;

function responder(app: string, version: string) {
  return startDfuResponder({
    bus: serve.server.events,
    url: serve.url,
    authorization: authorization(),
    app,
    image: { version, data: randomBytes(2_000) },
  });
}

test('bad flags are usage errors before any request', async () => {
  const cases: [string[], RegExp][] = [
    [[], /required option '-n, --devices <count>' not specified/],
    [['-n', '0'], /--devices must be a whole number from 1 to 10000, not "0"/],
    [['-n', 'many'], /--devices must be a whole number/],
    [['-n', '1', '--fail-rate', '2'], /--fail-rate must be a share from 0 to 1, or a percentage/],
    [['-n', '1', '--fail-rate', '120%'], /--fail-rate must be a share/],
    [['-n', '1', '--rate', 'fast'], /--rate must be a number of messages a second/],
    [['-n', '1', '--mtu', '0'], /--mtu must be a whole number from 1 to 1048576/],
    [['-n', '1', '--duration', 'soon'], /--duration must be a duration such as 90s/],
    [['-n', '1', '--protocol', 'coap'], /argument 'coap' is invalid/],
    [['-n', '1', '--encoding', 'xml'], /argument 'xml' is invalid/],
    [['-n', '1', '--prefix', 'x'.repeat(254)], /device name is 256 bytes long; the limit is 255/],
    [['-n', '1', '--prefix', ''], /--prefix must not be empty/],
    [['-n', '1', '--firmware-version', ''], /--firmware-version must not be empty/],
  ];
  for (const [flags, message] of cases) {
    const result = await serve.run(['simulate', '--app', 'none', ...flags]);
    assert.equal(result.code, 2, `${flags.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message, flags.join(' '));
  }
});

for (const protocol of ['mqtt', 'http'] as const) {
  test(`over ${protocol}, --until-version ends once every device runs it; the summary is one JSON document`, async () => {
    const app = `until-${protocol}`;
    ok(await serve.run(['create', 'app', app]));
    const dfu = responder(app, '2.0.0');
    try {
      const args = ['simulate', '--app', app, '-n', '4', '--protocol', protocol, '--until-version', '2.0.0'];
      const result = ok(await serve.run([...args, '--mtu', '256', '--rate', '0', '-o', 'json']));
      const summary = JSON.parse(result.stdout);
      assert.equal(summary.status, 'success');
      assert.deepEqual(summary.versions, { '2.0.0': 4 });
      assert.equal(summary.devices, 4);
      assert.equal(summary.updates, 4);
      assert.deepEqual(summary.failures, { reverted: 0, mismatched: 0 });
      assert.equal(summary.bytes_written, 4 * 2_000);
      // Each report sent is in the event log, but the last ones of a device may still be on their way at the end.
      assert.ok(dfu.reports.length <= summary.messages.dfu && dfu.reports.length >= summary.messages.dfu - 4);
      assert.match(result.stderr, /Created 4 devices/);
      assert.deepEqual(dfu.errors, []);
      // Blocks of --mtu: 8 for 2,000 bytes, each reported.
      assert.equal(dfu.answers.filter((a) => a.device === 'sim-1' && a.command.op === 'write').length, 8);

      const listed = JSON.parse(ok(await serve.run(['get', 'devices', '--app', app, '-o', 'json'])).stdout);
      assert.deepEqual(
        listed.map((d: { metadata: { name: string; labels: Record<string, string> } }) => [
          d.metadata.name,
          d.metadata.labels.simulated,
        ]),
        [
          ['sim-1', 'true'],
          ['sim-2', 'true'],
          ['sim-3', 'true'],
          ['sim-4', 'true'],
        ],
      );
      // No password on the terminal, nor in the registry; the secret beside the config, 0600.
      const secretFile = join(dirname(serve.configPath), 'drg_simulator_secret');
      assert.equal(statSync(secretFile).mode & 0o777, 0o600);
      const password = devicePassword(Buffer.from(readFileSync(secretFile, 'utf8').trim(), 'hex'), app, 'sim-1');
      assert.ok(!`${result.stdout}${result.stderr}${JSON.stringify(listed)}`.includes(password));
    } finally {
      dfu.close();
    }
  });
}

test('--duration stops a fleet that sends telemetry; a second run reuses the devices and their credentials', async () => {
  const app = 'duration';
  ok(await serve.run(['create', 'app', app]));
  const args = ['simulate', '--app', app, '-n', '2', '--rate', '20', '--duration', '1s', '-o', 'json'];
  const first = JSON.parse(ok(await serve.run(args)).stdout);
  assert.ok(first.messages.telemetry > 0, JSON.stringify(first.messages));
  assert.deepEqual(first.versions, { '1.0.0': 2 });
  assert.equal(first.errors, 0, first.last_error);
  const again = ok(await serve.run([...args, '--protocol', 'http']));
  assert.doesNotMatch(again.stderr, /Created/);
  const second = JSON.parse(again.stdout);
  assert.ok(second.messages.telemetry > 0, JSON.stringify(second.messages));
  assert.equal(second.errors, 0, second.last_error);
});

test('--until-version not reached within --duration: exit 1, the summary says so', async () => {
  const app = 'not-reached';
  ok(await serve.run(['create', 'app', app]));
  const args = ['simulate', '--app', app, '-n', '1', '--rate', '0', '--until-version', '9.9.9', '--duration', '300ms'];
  const json = fails(await serve.run([...args, '-o', 'json']), /^Preparing/);
  const summary = JSON.parse(json.stdout);
  assert.equal(summary.status, 'failure');
  assert.match(summary.message, /^not every device runs 9\.9\.9 after 0 s: 1 devices/);
  assert.deepEqual(summary.versions, { '1.0.0': 1 });
  const text = fails(await serve.run(args), /error: not every device runs 9\.9\.9 after 0 s\n/);
  assert.match(text.stdout, /^1 devices for 0 s: 1\.0\.0: 1; \d+ messages sent, 0 updates, 0 failed\n$/);
});

test('Ctrl+C stops the fleet cleanly: the devices disconnect, and the summary follows', async () => {
  const app = 'interrupted';
  ok(await serve.run(['create', 'app', app]));
  const events = recordEvents(serve.server.events, app);
  const run = startDrg(serve.configPath, ['simulate', '--app', app, '-n', '3', '--rate', '0']);
  await run.waitForStderr(/Simulating 3 devices over mqtt \(Ctrl\+C to stop\)\n/);
  process.emit('SIGINT');
  const result = ok(await run.done);
  assert.match(result.stdout, /^3 devices for \d+ s: 1\.0\.0: 3; \d+ messages sent, 0 updates, 0 failed\n$/);
  assert.equal(process.listenerCount('SIGINT'), 0, 'the signal handler is gone with the command');
  // Each device connected and then disconnected (its connection events, in the event log).
  const connections = new Map<string, boolean[]>();
  while ([...connections.values()].filter((c) => c.length === 2).length < 3) {
    const event = await events.next();
    if (event.subject !== 'connection') continue;
    connections.set(event.device, [
      ...(connections.get(event.device) ?? []),
      (event.data as { connected: boolean }).connected,
    ]);
  }
  events.close();
  assert.deepEqual(
    [...connections.values()],
    [
      [true, false],
      [true, false],
      [true, false],
    ],
  );
});

test('on a terminal, one live line redrawn in place, never wider than the terminal', async () => {
  const app = 'live';
  ok(await serve.run(['create', 'app', app]));
  const result = ok(
    await serve.run(['simulate', '--app', app, '-n', '2', '--rate', '0', '--duration', '1200ms'], { tty: true }),
  );
  const drawn = result.stderr.split('\r\u001b[K').slice(1, -1);
  assert.ok(drawn.length >= 1, result.stderr);
  for (const line of drawn) {
    assert.match(line, /^2\/2 connected · \d+ messages sent · 1\.0\.0: 2$/);
    assert.ok(line.length < 100);
  }
  assert.match(result.stdout, /^2 devices for 1 s: 1\.0\.0: 2; /);
});
