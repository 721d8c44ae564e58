// Hostile DFU reports from peers nobody here wrote, while a simulated fleet takes a rollout: mosquitto_pub (MQTT 5 and
// 3.1.1) publishes for device `rogue` through its gateway (a device has one connection: a second would take over
// from mosquitto_sub's) garbage, truncated CBOR, an offset past the end of the image, an update to another version, a
// huge mtu and one beyond 2^32; mosquitto_sub on rogue's own inbox (command/inbox//#) sees the safe answers (a Write
// from offset 0) and nothing where there is nothing safe to say.
// drg serve stays up, warns once per kind of problem (repeats counted, as all its warnings), never with the payload,
// and every simulated device reaches the version.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type TestContext, test } from 'node:test';
import { promisify } from 'node:util';
import { type DfuCommand, type DfuEncoding, decodeCommand, encodeStatus } from '../../src/dfu/codec.js';
import {
  allOn,
  endpointsOf,
  imageFile,
  rolloutOf,
  serveFor,
  spawnDrg,
  summaryOf,
  until,
} from '../helpers/firmware-e2e.js';
import { drg, ok, tempDir } from '../helpers/serve.js';

const run = promisify(execFile);
const VERSION = '2.0.0';
const APP = 'hostile';
const VERSIONS = ['mqttv5', 'mqttv311'] as const;
type MqttVersion = (typeof VERSIONS)[number];
/** Text inside the garbage: it must never show in drg serve's log. */
const MARKER = 'hostile-payload-marker';

interface Case {
  name: string;
  payload: Buffer;
  contentType: string;
  /** The answer rogue gets (undefined: none). */
  answer?: (command: DfuCommand, encoding: DfuEncoding) => void;
  /** The kind of problem drg serve warns about (undefined: none), and its warning. */
  warning?: { kind: string; message: RegExp };
}

interface Inbox {
  next(): Promise<{ command: DfuCommand; encoding: DfuEncoding }>;
  close(): Promise<void>;
}

test('hostile reports get safe answers or none, drg serve warns and serves on, and the fleet reaches the version', {
  timeout: 60_000,
}, async (t) => {
  const serve = await serveFor(t);
  const config = serve.configPath;
  const image = imageFile('sensor.bin', 100 * 1024);
  ok(await drg(config, ['create', 'app', APP]));
  ok(await drg(config, ['firmware', 'push', image.path, '--version', VERSION, '--app', APP]));
  const pass = (password: string) => ({ authentication: { credentials: [{ pass: password }] } });
  ok(await drg(config, ['create', 'device', 'gw', '--app', APP, '--spec', JSON.stringify(pass('gw-secret'))]));
  const rogue = {
    ...pass('rogue-secret'),
    gatewaySelector: { matchNames: ['gw'] },
    firmware: { file: { name: 'sensor', version: VERSION } },
  };
  ok(await drg(config, ['create', 'device', 'rogue', '--app', APP, '--spec', JSON.stringify(rogue)]));
  const port = String((await endpointsOf(serve.url)).mqtt?.port);

  const simulation = spawnDrg(t, config, [
    ...['simulate', '--app', APP, '--devices', '6', '--mtu', '128', '--until-version', VERSION, '-o', 'json'],
  ]);
  await allOn(config, APP, 6, '1.0.0');
  const rollout = spawnDrg(t, config, [
    ...['firmware', 'rollout', '--app', APP, '--version', VERSION, '--labels', 'simulated=true', '--yes', '--wait'],
  ]);
  await until('the fleet updating', async (seen) => {
    const status = await rolloutOf(config, APP).catch(() => undefined);
    seen(status?.status);
    return status?.status?.phase === 'Running' || undefined;
  });

  const dir = tempDir('drg-hostile-');
  let correlation = 0;
  let published = 0;
  /** Publishes `payload` for rogue through its gateway (QoS 1: acknowledged once in the log). */
  const publish = async (version: MqttVersion, payload: Buffer, contentType: string) => {
    const file = join(dir, `report-${++published}`);
    writeFileSync(file, payload);
    const properties = version === 'mqttv5' ? ['-D', 'publish', 'content-type', contentType] : [];
    const args = ['-h', '127.0.0.1', '-p', port, '-V', version, '-u', `gw@${APP}`, '-P', 'gw-secret'];
    const { stdout, stderr } = await run('mosquitto_pub', [
      ...args,
      '-d',
      '-t',
      'dfu/rogue',
      '-q',
      '1',
      '-f',
      file,
      ...properties,
    ]);
    assert.match(stdout + stderr, /received PUBACK \(Mid: \d+, RC:0\)/);
  };
  /** A report rogue might make, with a correlation_id of its own: its answer is a Write of `mtu` bytes from 0. */
  const probe = async (version: MqttVersion, inbox: Inbox) => {
    const correlationId = ++correlation;
    await publish(
      version,
      encodeStatus({ version: '1.0.0', mtu: 32, correlationId }, 'packed').payload,
      'application/cbor',
    );
    const { command } = await inbox.next();
    assertWrite(command, correlationId, 32);
  };
  const assertWrite = (command: DfuCommand, correlationId: number, length: number) => {
    assert.equal(command.op, 'write');
    assert.equal(command.correlationId, correlationId);
    assert.equal(command.op === 'write' && command.offset, 0);
    assert.ok(command.op === 'write' && Buffer.from(command.data).equals(image.data.subarray(0, length)));
  };

  const garbage = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00]), Buffer.from(MARKER), randomBytes(64)]);
  const truncated = encodeStatus({ version: '1.0.0', mtu: 512, update: { version: VERSION, offset: 1024 } }, 'packed');
  const cases = (): Case[] => {
    const pastEnd = ++correlation;
    const otherVersion = ++correlation;
    const hugeMtu = ++correlation;
    return [
      {
        name: 'garbage',
        payload: garbage,
        contentType: 'application/cbor',
        warning: { kind: 'malformed', message: /^malformed DFU report: status: not valid CBOR$/ },
      },
      {
        name: 'truncated CBOR',
        payload: truncated.payload.subarray(0, -3),
        contentType: 'application/cbor',
        warning: { kind: 'malformed', message: /^malformed DFU report: status: truncated CBOR$/ },
      },
      {
        name: 'an offset past the end (JSON)',
        payload: Buffer.from(
          JSON.stringify({
            version: '1.0.0',
            mtu: 128,
            correlation_id: pastEnd,
            update: { version: VERSION, offset: image.data.length + 4096 },
          }),
        ),
        contentType: 'application/json',
        answer: (command, encoding) => {
          assert.equal(encoding, 'json', 'answered in the encoding it used');
          assertWrite(command, pastEnd, 128);
        },
        warning: {
          kind: 'offset',
          message: /^the device reported offset 106496 beyond the end of 2\.0\.0 \(102400 bytes\): restarting at 0$/,
        },
      },
      {
        name: 'an update to a version that is not the desired one',
        payload: encodeStatus(
          { version: '1.0.0', mtu: 128, correlationId: otherVersion, update: { version: '6.6.6', offset: 2048 } },
          'packed',
        ).payload,
        contentType: 'application/cbor',
        answer: (command, encoding) => {
          assert.equal(encoding, 'packed');
          assertWrite(command, otherVersion, 128);
        },
        warning: {
          kind: 'version',
          message: /^the device reported an update to 6\.6\.6, not to 2\.0\.0: restarting at 0$/,
        },
      },
      {
        name: 'a huge mtu',
        payload: encodeStatus({ version: '1.0.0', mtu: 0xffff_ffff, correlationId: hugeMtu }, 'packed').payload,
        contentType: 'application/cbor',
        answer: (command) => assertWrite(command, hugeMtu, 64 * 1024),
      },
      {
        name: 'an mtu beyond 2^32',
        payload: Buffer.from('{"version":"1.0.0","mtu":1099511627776}'),
        contentType: 'application/json',
        warning: { kind: 'malformed', message: /^malformed DFU report: status: mtu is beyond 2\^32-1$/ },
      },
    ];
  };

  /** kind → the warnings expected, in the order the reports were made. */
  const expected = new Map<string, RegExp[]>();
  for (const version of VERSIONS) {
    const inbox = await subscribe(t, version, port, `rogue@${APP}`, 'rogue-secret');
    for (const c of cases()) {
      await t.test(`${version}: ${c.name}`, async () => {
        await publish(version, c.payload, c.contentType);
        if (c.warning) expected.set(c.warning.kind, [...(expected.get(c.warning.kind) ?? []), c.warning.message]);
        if (c.answer) {
          const { command, encoding } = await inbox.next();
          c.answer(command, encoding);
        } else {
          // Reports of a device are answered in order: the next answer is the probe's, so there was none before it.
          await probe(version, inbox);
        }
      });
    }
    await inbox.close();
  }

  assert.match(ok(await rollout.done).stderr, /Completed: 6 in sync/);
  const summary = await summaryOf(simulation);
  assert.deepEqual(summary.versions, { [VERSION]: 6 });
  assert.deepEqual(summary.failures, { reverted: 0, mismatched: 0 });
  assert.equal(serve.process.exitCode, null, 'drg serve is up');
  assert.equal((await fetch(`${serve.url}/health`)).status, 200);

  // The first warning of each kind at once, with the device; its repeats counted in a line when drg serve stops.
  assert.equal(await serve.stop(), 0, 'drg serve stops cleanly');
  const warnings = serve
    .logs()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; app?: string; device?: string; msg: string; repeats?: number })
    .filter((entry) => entry.level === 40);
  for (const [kind, messages] of expected) {
    const first = warnings.find((w) => messages[0]?.test(w.msg));
    assert.ok(first, `a warning of kind ${kind} like ${messages[0]}: ${JSON.stringify(warnings)}`);
    assert.deepEqual([first.app, first.device], [APP, 'rogue']);
    const repeats = messages.length - 1;
    const summary = warnings.find((w) => w.msg === `${repeats} more like this in the last minute: ${first.msg}`);
    assert.ok(summary, `the ${repeats} repeats of kind ${kind} counted: ${JSON.stringify(warnings)}`);
  }
  const log = serve.logs();
  assert.ok(!log.includes(MARKER), 'no payload in the log');
  for (const encoded of [garbage.toString('hex'), garbage.toString('base64')]) {
    assert.ok(!log.includes(encoded.slice(0, 12)), 'no payload in the log, in any encoding');
  }
});

/**
 * mosquitto_sub on the device's own inbox, subscribed once this resolves (and stopped when the test ends); `next` is
 * the next command it prints.
 */
async function subscribe(
  t: TestContext,
  version: MqttVersion,
  port: string,
  user: string,
  password: string,
): Promise<Inbox> {
  const args = ['-h', '127.0.0.1', '-p', port, '-V', version, '-u', user, '-P', password, '-d'];
  // Line-buffered: mosquitto_sub buffers its output to a pipe otherwise.
  const child: ChildProcess = spawn(
    'stdbuf',
    ['-oL', 'mosquitto_sub', ...args, '-t', 'command/inbox//#', '-F', '%t|%C|%x'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async () => {
    child.kill();
    await exited;
  };
  t.after(close);
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let subscribed: () => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    subscribed = resolve;
    exited.then(() => reject(new Error('mosquitto_sub exited before it subscribed')));
  });
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      if (/received SUBACK/.test(line)) subscribed();
      if (!line.startsWith('command/inbox/')) return;
      const waiter = waiting.shift();
      if (waiter) waiter(line);
      else lines.push(line);
    });
  }
  await ready;
  return {
    async next() {
      const line = lines.shift() ?? (await new Promise<string>((resolve) => waiting.push(resolve)));
      const [topic, contentType, hex] = line.split('|');
      assert.equal(topic, 'command/inbox//dfu');
      if (version === 'mqttv311') assert.equal(contentType, '');
      return decodeCommand(Buffer.from(hex ?? '', 'hex'), contentType || undefined);
    },
    close,
  };
}
