// The MQTT device endpoint with peers nobody here wrote: mosquitto_pub and mosquitto_sub (MQTT 3.1.1 and 5) as
// devices of an in-process drg serve, the events read from its bus. Publishes, commands, dialects, gateways, wills,
// connection events, take-over, and the refusals: credentials of each hash kind, a disabled device, persistent
// sessions, garbage, a CONNECT never finished, oversized and invalid payloads, topics of too many levels.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import bcrypt from 'bcryptjs';
import { encrypt } from 'unixcrypt';
import { type CloudEvent, CONNECTION_EVENT_TYPE, DEVICE_EVENT_TYPE } from '../../src/model/cloudevents.js';
import { EventLogUnavailableError } from '../../src/server-lite/events/log.js';
import { type RecordedEvents, recordEvents } from '../helpers/events.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const REGISTRY = '/api/registry/v1alpha1';
const MAX_PAYLOAD = 1024;
const CONNECT_TIMEOUT_MS = 400;
const VERSIONS = ['mqttv311', 'mqttv5'] as const;
type Version = (typeof VERSIONS)[number];

let s: TestServer;
let port: string;

const pass = (password: unknown) => ({ authentication: { credentials: [{ pass: password }] } });

async function create(path: string, body: unknown) {
  const res = await s.call('POST', `${REGISTRY}${path}`, body);
  assert.equal(res.status, 201, await res.text());
}

before(async () => {
  s = await startTestServer(undefined, {
    mqttPort: 0,
    maxPayload: MAX_PAYLOAD,
    mqtt: { connectTimeoutMs: CONNECT_TIMEOUT_MS },
  });
  port = String(s.server.endpoints().mqtt!.port);
  await create('/apps', { metadata: { name: 'app1' } });
  await create('/apps', { metadata: { name: 'plainapp' }, spec: { mqtt: { dialect: { type: 'plainTopic' } } } });
  const devices: Record<string, Record<string, unknown>> = {
    d1: pass('secret'),
    d2: pass('secret'),
    hashed: pass({ bcrypt: bcrypt.hashSync('secret', 4) }),
    crypted: pass({ sha512: encrypt('secret') }),
    off: { ...pass('secret'), core: { disabled: true } },
    gw: pass('secret'),
    behind: { gatewaySelector: { matchNames: ['gw'] } },
    alone: pass('secret'),
    plain: { ...pass('secret'), mqtt: { dialect: { type: 'plainTopic' } } },
    prefixed: { ...pass('secret'), mqtt: { dialect: { type: 'plainTopic', devicePrefix: true } } },
  };
  for (const [name, spec] of Object.entries(devices)) {
    await create('/apps/app1/devices', { metadata: { name, application: 'app1' }, spec });
  }
  await create('/apps/plainapp/devices', { metadata: { name: 'p1', application: 'plainapp' }, spec: pass('secret') });
  const v1 = { ...pass('secret'), mqtt: { dialect: { type: 'drogue/v1' } } };
  await create('/apps/plainapp/devices', { metadata: { name: 'v1', application: 'plainapp' }, spec: v1 });
});
after(() => s.close());

interface Run {
  code: number;
  out: string;
}

/** mosquitto_pub as `user` (with -d, so the output names the packets); resolves with its exit code and output. */
async function pub(version: Version, user: string, args: string[], password = 'secret'): Promise<Run> {
  const all = ['-h', '127.0.0.1', '-p', port, '-V', version, '-u', user, '-P', password, '-d', ...args];
  try {
    const { stdout, stderr } = await run('mosquitto_pub', all);
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

const connackOf = (r: Run) => Number(/received CONNACK \((\d+)\)/.exec(r.out)?.[1]);
const pubackOf = (r: Run) => Number(/received PUBACK \(Mid: \d+, RC:(\d+)\)/.exec(r.out)?.[1]);

/** A mosquitto_sub as `user`, subscribed once `ready` resolves; `lines` gets its non-debug output lines. */
interface Sub {
  process: ChildProcess;
  ready: Promise<void>;
  next(): Promise<string>;
  debug: string[];
  exited: Promise<number | null>;
}

function sub(version: Version, user: string, topics: string[], extra: string[] = []): Sub {
  const args = ['-h', '127.0.0.1', '-p', port, '-V', version, '-u', user, '-P', 'secret', '-d', ...extra];
  for (const topic of topics) args.push('-t', topic);
  // Line-buffered: mosquitto_sub buffers its output to a pipe otherwise.
  const child = spawn('stdbuf', ['-oL', 'mosquitto_sub', ...args, '-F', '%t|%C|%p'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const debug: string[] = [];
  const lines: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  let subscribed: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    subscribed = resolve;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      if (/^Client |^Subscribed|^Received|^\s|Error|error|denied/.test(line)) {
        debug.push(line);
        if (/received SUBACK/.test(line)) subscribed();
        return;
      }
      const waiter = waiting.shift();
      if (waiter) waiter(line);
      else lines.push(line);
    });
  }
  return {
    process: child,
    ready,
    debug,
    exited,
    next: () => (lines.length > 0 ? Promise.resolve(lines.shift()!) : new Promise((r) => waiting.push(r))),
  };
}

async function stop(subscriber: Sub): Promise<void> {
  subscriber.process.kill();
  await subscriber.exited;
}

/** The device events (no connection events) of an application from now on. */
function messages(app = 'app1'): RecordedEvents {
  return recordEvents(s.server.events, app, { filter: (e: CloudEvent) => e.type === DEVICE_EVENT_TYPE });
}

async function command(device: string, name: string, body: string, type = 'application/json'): Promise<void> {
  const res = await fetch(`${s.url}/api/command/v1alpha1/apps/app1/devices/${device}?command=${name}`, {
    method: 'POST',
    headers: { authorization: s.authorization, 'content-type': type },
    body,
  });
  assert.equal(res.status, 202, await res.text());
}

describe('publishing', () => {
  for (const version of VERSIONS) {
    test(`${version}: a QoS 1 JSON publish becomes a CloudEvent in the log, acknowledged`, async () => {
      const events = messages();
      const r = await pub(version, 'd1@app1', ['-t', 'telemetry', '-q', '1', '-m', `{"via":"${version}"}`]);
      assert.equal(r.code, 0, r.out);
      assert.equal(pubackOf(r), 0, r.out);
      const event = await events.next();
      events.close();
      assert.deepEqual(
        { ...event, id: undefined, time: undefined, applicationuid: undefined, deviceuid: undefined },
        {
          specversion: '1.0',
          id: undefined,
          type: DEVICE_EVENT_TYPE,
          source: 'drogue://app1/d1',
          subject: 'telemetry',
          time: undefined,
          datacontenttype: 'application/json',
          data: { via: version },
          application: 'app1',
          device: 'd1',
          applicationuid: undefined,
          deviceuid: undefined,
          sender: 'd1',
          senderuid: event.deviceuid,
          instance: event.instance,
          partitionkey: 'app1/d1',
        },
      );
    });
  }

  test('mqttv5: QoS 0, the content type property becomes datacontenttype (non-JSON as data_base64)', async () => {
    const events = messages();
    const r = await pub('mqttv5', 'd1@app1', [
      '-t',
      'notes',
      '-m',
      'hello',
      '-D',
      'publish',
      'content-type',
      'text/plain',
    ]);
    assert.equal(r.code, 0, r.out);
    const event = await events.next();
    events.close();
    assert.equal(event.datacontenttype, 'text/plain');
    assert.equal(Buffer.from(event.data_base64!, 'base64').toString(), 'hello');
    assert.equal(event.subject, 'notes');
  });

  test('passwords stored as bcrypt and sha512-crypt hashes are accepted', async () => {
    const events = messages();
    for (const device of ['hashed', 'crypted']) {
      const r = await pub('mqttv311', `${device}@app1`, ['-t', 't', '-q', '1', '-m', `"${device}"`]);
      assert.equal(r.code, 0, r.out);
      assert.equal((await events.next()).device, device);
    }
    events.close();
  });

  test('many QoS 0 messages on one connection (-l) all reach the log, in order', async () => {
    const events = messages();
    const count = 200;
    const lines = Array.from({ length: count }, (_, i) => `{"i":${i}}`).join('\n');
    const child = spawn('mosquitto_pub', ['-p', port, '-u', 'd1@app1', '-P', 'secret', '-t', 'bulk', '-l'], {
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    child.stdin.end(`${lines}\n`);
    for (let i = 0; i < count; i++) assert.deepEqual((await events.next()).data, { i });
    events.close();
    await new Promise((r) => child.once('exit', r));
  });
});

describe('refusals', () => {
  for (const version of VERSIONS) {
    const [badCredentials, notAuthorized] = version === 'mqttv5' ? [0x86, 0x87] : [4, 5];

    test(`${version}: a wrong password (plain, bcrypt, sha512-crypt) gets CONNACK bad user name or password`, async () => {
      for (const device of ['d1', 'hashed', 'crypted', 'nobody']) {
        const r = await pub(version, `${device}@app1`, ['-t', 't', '-m', '1'], 'wrong');
        assert.notEqual(r.code, 0);
        assert.equal(connackOf(r), badCredentials, r.out);
      }
      const noApp = await pub(version, 'd1', ['-t', 't', '-m', '1']);
      assert.equal(connackOf(noApp), badCredentials, noApp.out);
    });

    test(`${version}: a disabled device gets CONNACK not authorized`, async () => {
      const r = await pub(version, 'off@app1', ['-t', 't', '-m', '1']);
      assert.notEqual(r.code, 0);
      assert.equal(connackOf(r), notAuthorized, r.out);
    });

    test(`${version}: a persistent session is refused with a CONNACK`, async () => {
      const r = await pub(version, 'd1@app1', ['-c', '-i', `keep-${version}`, '-t', 't', '-m', '1', '-q', '1']);
      assert.notEqual(r.code, 0);
      assert.equal(connackOf(r), notAuthorized, r.out);
    });
  }

  test('mqttv5: a session expiry interval with a clean start is refused too', async () => {
    const r = await pub('mqttv5', 'd1@app1', ['-x', '60', '-t', 't', '-m', '1']);
    assert.equal(connackOf(r), 0x87, r.out);
  });

  test('mqttv5: too many topic levels get PUBACK Topic Name invalid; 3.1.1 is closed; nothing is logged', async () => {
    const events = messages();
    const v5 = await pub('mqttv5', 'd1@app1', ['-t', 'a/b/c', '-q', '1', '-m', '{}']);
    assert.equal(pubackOf(v5), 0x90, v5.out);
    const v3 = await pub('mqttv311', 'd1@app1', ['-t', 'a/b/c', '-q', '1', '-m', '{}']);
    assert.notEqual(v3.code, 0, v3.out);
    assert.doesNotMatch(v3.out, /received PUBACK/);
    const ok = await pub('mqttv311', 'd1@app1', ['-t', 'after', '-q', '1', '-m', '{}']);
    assert.equal(ok.code, 0, ok.out);
    assert.equal((await events.next()).subject, 'after');
    events.close();
  });

  test('mqttv5: a payload declared JSON that does not parse gets PUBACK Payload format invalid', async () => {
    const events = messages();
    const args = ['-t', 't', '-q', '1', '-m', '{bad', '-D', 'publish', 'content-type', 'application/json'];
    const r = await pub('mqttv5', 'd1@app1', args);
    assert.equal(pubackOf(r), 0x99, r.out);
    await pub('mqttv5', 'd1@app1', ['-t', 'after', '-q', '1', '-m', '{}']);
    assert.equal((await events.next()).subject, 'after');
    events.close();
  });

  test('a payload over --max-payload is refused: MQTT 5 DISCONNECT Packet too large, 3.1.1 closed', async () => {
    const events = messages();
    const big = 'x'.repeat(MAX_PAYLOAD + 1);
    const v5 = await pub('mqttv5', 'd1@app1', ['-t', 'big', '-q', '1', '-m', big]);
    assert.notEqual(v5.code, 0, v5.out);
    assert.match(v5.out, /Received DISCONNECT \(149\)/);
    const v3 = await pub('mqttv311', 'd1@app1', ['-t', 'big', '-q', '1', '-m', big]);
    assert.notEqual(v3.code, 0, v3.out);
    const fits = await pub('mqttv311', 'd1@app1', ['-t', 'fits', '-q', '1', '-m', 'x'.repeat(MAX_PAYLOAD)]);
    assert.equal(fits.code, 0, fits.out);
    assert.equal((await events.next()).subject, 'fits');
    events.close();
  });

  test('a full event log: MQTT 5 PUBACK Quota exceeded, 3.1.1 closed; the next message goes through', async () => {
    const bus = s.server.events;
    const append = bus.append;
    bus.append = () => Promise.reject(new EventLogUnavailableError('overloaded', 'the event log is overloaded'));
    try {
      const v5 = await pub('mqttv5', 'd1@app1', ['-t', 't', '-q', '1', '-m', '{}']);
      assert.equal(pubackOf(v5), 0x97, v5.out);
      const v3 = await pub('mqttv311', 'd1@app1', ['-t', 't', '-q', '1', '-m', '{}']);
      assert.notEqual(v3.code, 0, v3.out);
      assert.doesNotMatch(v3.out, /received PUBACK/);
    } finally {
      bus.append = append;
    }
    const events = messages();
    assert.equal((await pub('mqttv5', 'd1@app1', ['-t', 'again', '-q', '1', '-m', '{}'])).code, 0);
    assert.equal((await events.next()).subject, 'again');
    events.close();
  });

  test('garbage bytes close that connection only; a connected device keeps getting commands', async () => {
    const inbox = sub('mqttv5', 'd2@app1', ['command/inbox//#']);
    await inbox.ready;
    const garbage = connect(Number(port), '127.0.0.1');
    garbage.on('error', () => {});
    garbage.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await closedSocket(garbage);
    await command('d2', 'ping', '{}');
    assert.equal(await inbox.next(), 'command/inbox//ping|application/json|{}');
    await stop(inbox);
  });

  test('a CONNECT never finished is dropped after the timeout, while another client publishes', async () => {
    const started = Date.now();
    const half = connect(Number(port), '127.0.0.1');
    half.on('error', () => {});
    // The fixed header and the start of the protocol name of a CONNECT, then nothing.
    half.write(Buffer.from([0x10, 0x20, 0x00, 0x04, 0x4d]));
    const closed = closedSocket(half);
    const r = await pub('mqttv311', 'd1@app1', ['-t', 't', '-q', '1', '-m', '{}']);
    assert.equal(r.code, 0, r.out);
    await closed;
    assert.ok(Date.now() - started >= CONNECT_TIMEOUT_MS - 50, 'dropped only once the timeout passed');
  });
});

function closedSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

describe('dialects and gateways', () => {
  for (const version of VERSIONS) {
    test(`${version}: a gateway publishes for a device that lists it (<channel>/<device>), not for others`, async () => {
      const events = messages();
      const r = await pub(version, 'gw@app1', ['-t', 'telemetry/behind', '-q', '1', '-m', '{"t":1}']);
      assert.equal(r.code, 0, r.out);
      const event = await events.next();
      assert.deepEqual(
        [event.device, event.sender, event.source, event.partitionkey],
        ['behind', 'gw', 'drogue://app1/behind', 'app1/gw'],
      );
      const refused = await pub(version, 'gw@app1', ['-t', 'telemetry/alone', '-q', '1', '-m', '{}']);
      if (version === 'mqttv5') assert.equal(pubackOf(refused), 0x87, refused.out);
      else assert.notEqual(refused.code, 0, refused.out);
      await pub(version, 'gw@app1', ['-t', 'after', '-q', '1', '-m', '{}']);
      assert.equal((await events.next()).subject, 'after');
      events.close();
    });
  }

  test('plainTopic: the whole topic is the channel; with devicePrefix: <device>/<channel...>', async () => {
    const events = messages();
    assert.equal((await pub('mqttv5', 'plain@app1', ['-t', 'a/b/c', '-q', '1', '-m', '{}'])).code, 0);
    assert.deepEqual([(await events.next()).subject], ['a/b/c']);
    assert.equal((await pub('mqttv5', 'prefixed@app1', ['-t', 'prefixed/x/y', '-q', '1', '-m', '{}'])).code, 0);
    const prefixed = await events.next();
    assert.deepEqual([prefixed.device, prefixed.subject], ['prefixed', 'x/y']);
    const other = await pub('mqttv5', 'prefixed@app1', ['-t', 'alone/x', '-q', '1', '-m', '{}']);
    assert.equal(pubackOf(other), 0x87, other.out);
    events.close();
  });

  test("the device's dialect goes over the application's", async () => {
    const events = messages('plainapp');
    assert.equal((await pub('mqttv5', 'p1@plainapp', ['-t', 'a/b/c', '-q', '1', '-m', '{}'])).code, 0);
    assert.equal((await events.next()).subject, 'a/b/c');
    const v1 = await pub('mqttv5', 'v1@plainapp', ['-t', 'a/b/c', '-q', '1', '-m', '{}']);
    assert.equal(pubackOf(v1), 0x90, v1.out);
    events.close();
  });
});

describe('commands', () => {
  for (const version of VERSIONS) {
    test(`${version}: a device subscribed to command/inbox//# gets its commands at QoS 0`, async () => {
      const inbox = sub(version, 'd1@app1', ['command/inbox//#']);
      await inbox.ready;
      await command('d1', 'set-light', '{"on":true}', 'application/json');
      const type = version === 'mqttv5' ? 'application/json' : '';
      assert.equal(await inbox.next(), `command/inbox//set-light|${type}|{"on":true}`);
      await stop(inbox);
    });
  }

  test("a gateway's subscriptions get the commands of devices that list it, on command/inbox/<device>/<command>", async () => {
    const all = sub('mqttv5', 'gw@app1', ['command/inbox/#']);
    await all.ready;
    await command('behind', 'open', 'door', 'text/plain');
    assert.equal(await all.next(), 'command/inbox/behind/open|text/plain|door');
    await command('gw', 'self', '{}');
    assert.equal(await all.next(), 'command/inbox//self|application/json|{}');
    await stop(all);

    const one = sub('mqttv311', 'gw@app1', ['command/inbox/behind/#']);
    await one.ready;
    await command('gw', 'not-subscribed', '{}');
    await command('behind', 'close', '{}');
    assert.equal(await one.next(), 'command/inbox/behind/close||{}');
    await stop(one);
  });

  test('a subscription to anything else fails in the SUBACK', async () => {
    const bad = sub('mqttv5', 'd1@app1', ['telemetry/#', 'command/inbox/a/b']);
    await bad.exited;
    // 0x8F Topic Filter invalid, for each.
    assert.match(bad.debug.join('\n'), /Subscribed \(mid: 1\): 143, 143/);
    assert.match(bad.debug.join('\n'), /All subscription requests were denied/);
  });
});

describe('sessions', () => {
  test('connection events: connected, the message, disconnected, in order', async () => {
    const events = recordEvents(s.server.events, 'app1', { filter: (e: CloudEvent) => e.device === 'd2' });
    assert.equal((await pub('mqttv5', 'd2@app1', ['-t', 'hello', '-q', '1', '-m', '{}'])).code, 0);
    const got = [await events.next(), await events.next(), await events.next()];
    events.close();
    assert.deepEqual(
      got.map((e) => [e.type, e.subject, e.data]),
      [
        [CONNECTION_EVENT_TYPE, 'connection', { connected: true }],
        [DEVICE_EVENT_TYPE, 'hello', {}],
        [CONNECTION_EVENT_TYPE, 'connection', { connected: false }],
      ],
    );
    assert.equal(got[0].datacontenttype, 'application/json');
  });

  test('a connection lost without DISCONNECT publishes the will, then the disconnect', async () => {
    const events = recordEvents(s.server.events, 'app1', { filter: (e: CloudEvent) => e.device === 'd2' });
    const will = ['--will-topic', 'status', '--will-payload', '{"online":false}'];
    const device = sub('mqttv311', 'd2@app1', ['command/inbox//#'], will);
    await device.ready;
    assert.deepEqual((await events.next()).data, { connected: true });
    device.process.kill('SIGKILL');
    const lastWill = await events.next();
    assert.deepEqual(
      [lastWill.type, lastWill.subject, lastWill.data],
      [DEVICE_EVENT_TYPE, 'status', { online: false }],
    );
    assert.deepEqual((await events.next()).data, { connected: false });
    events.close();
  });

  test('a second connection of the device takes over: the first gets DISCONNECT Session taken over', async () => {
    const first = sub('mqttv5', 'd1@app1', ['command/inbox//#'], ['-i', 'first']);
    await first.ready;
    const second = sub('mqttv5', 'd1@app1', ['command/inbox//#'], ['-i', 'second']);
    await second.ready;
    await command('d1', 'who', '{}');
    assert.equal(await second.next(), 'command/inbox//who|application/json|{}');
    await first.exited;
    assert.match(first.debug.join('\n'), /Received DISCONNECT \(142\)/);
    await stop(second);
  });
});
