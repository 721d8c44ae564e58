// The MQTT integration spoken by mosquitto_sub and mosquitto_pub (MQTT 3.1.1 and 5) and MQTT.js, clients nobody here
// wrote, against an in-process drg serve; events sent by devices through the HTTP endpoint.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import {
  generate,
  type IConnackPacket,
  type IDisconnectPacket,
  type ISubackPacket,
  type Packet,
  parser,
} from 'mqtt-packet';
import type { CloudEvent } from '../../src/model/cloudevents.js';
import { deviceEvent } from '../../src/server-lite/events/cloudevent.js';
import { basic } from '../helpers/config.js';
import { issuerAt, logInWithCode } from '../helpers/oidc.js';
import { tempDir } from '../helpers/serve.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const ALICE = { user: 'alice', password: 'alice secret 1' };

let s: TestServer;
let port: number;
let aliceToken: string;
let bobToken: string;

before(async () => {
  s = await startTestServer(undefined, {
    mqttIntegrationPort: 0,
    users: [{ name: ALICE.user, password: ALICE.password }],
    // A consumer without a group more than 20 events behind is dropped.
    eventLog: { maxLag: 20 },
  });
  const endpoints = await (await fetch(`${s.url}/.well-known/drogue-endpoints`)).json();
  port = endpoints.mqtt_integration.port;
  aliceToken = s.server.accessTokens.create(ALICE.user, 'mqtt test').token;
  s.server.users.ensure('bob');
  bobToken = s.server.accessTokens.create('bob', 'mqtt test').token;
  await createApp('mq');
  for (const device of ['d1', 'd2', 'd3']) await createDevice('mq', device);
  await setMembers('mq', { bob: { role: 'reader' } });
  await registry('POST', '/apps', { metadata: { name: 'alice-mq' } }, basic(ALICE.user, aliceToken));
});
after(async () => {
  for (const sub of running) sub.proc.kill('SIGKILL');
  await s?.close();
});

/** The mosquitto_subs not yet exited, ended when the file is done even if a test failed. */
const running = new Set<Sub>();

async function registry(method: string, path: string, body: unknown, authorization = s.authorization) {
  const res = await fetch(`${s.url}/api/registry/v1alpha1${path}`, {
    method,
    headers: { authorization, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 201, await res.text());
}

const createApp = (app: string) => registry('POST', '/apps', { metadata: { name: app } });

const createDevice = (app: string, device: string) =>
  registry('POST', `/apps/${app}/devices`, {
    metadata: { name: device, application: app },
    spec: { authentication: { credentials: [{ pass: 'pw' }] } },
  });

async function setMembers(app: string, members: Record<string, { role: string }>): Promise<void> {
  const path = `/api/admin/v1alpha1/apps/${app}/members`;
  const { resourceVersion } = await (await s.call('GET', path)).json();
  const res = await s.call('PUT', path, { resourceVersion, members });
  assert.equal(res.status, 204, await res.text());
}

/** A device publishes on `channel` through the HTTP endpoint; resolves once the event is durable (202). */
async function publish(device: string, channel: string, body: string, contentType = 'application/json') {
  const res = await fetch(`${s.url}/v1/${channel}`, {
    method: 'POST',
    headers: { authorization: basic(`${device}@mq`, 'pw'), 'content-type': contentType },
    body,
  });
  assert.equal(res.status, 202, await res.text());
}

const publishN = async (device: string, n: number) => publish(device, 'c', JSON.stringify({ n }));

interface Received {
  topic: string;
  qos: number;
  payload: string;
  properties?: { 'content-type'?: string; 'user-properties'?: Record<string, string> };
}

/** mosquitto_sub with debug output (to see its SUBACK) and each message as one JSON line (-F %j). */
class Sub {
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  private readonly lines: string[] = [];
  private waiters: Array<() => void> = [];

  constructor(args: string[], credentials = ['-u', 'admin', '-P', s.token]) {
    // stdbuf: line-buffered, so that its debug lines (the SUBACK) come as they happen.
    // -W: it exits by itself within 30 s, should a test leave it behind.
    const command = ['mosquitto_sub', '-h', '127.0.0.1', '-p', String(port), '-W', '30', '-d', '-F', '%j'];
    this.proc = spawn('stdbuf', ['-oL', ...command, ...credentials, ...args]);
    running.add(this);
    this.exited = once(this.proc, 'exit').then(([code]) => {
      running.delete(this);
      return code as number | null;
    });
    for (const stream of [this.proc.stdout!, this.proc.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        this.lines.push(line);
        const waiters = this.waiters;
        this.waiters = [];
        for (const wake of waiters) wake();
      });
    }
  }

  /** The SUBACK's codes, once it arrived. */
  async suback(): Promise<number[]> {
    const line = await this.line(/^Subscribed \(mid: \d+\): /);
    return line
      .replace(/^Subscribed \(mid: \d+\): /, '')
      .split(', ')
      .map(Number);
  }

  /** The next message. */
  async message(): Promise<Received> {
    return JSON.parse(await this.line(/^\{/));
  }

  async event(): Promise<CloudEvent> {
    return JSON.parse((await this.message()).payload);
  }

  /** Resolves once a message is waiting. */
  async arrival(): Promise<void> {
    await this.line(/^\{/, false);
  }

  /** The messages waiting, as events. */
  takeEvents(): CloudEvent[] {
    const messages = this.lines.filter((l) => l.startsWith('{'));
    this.lines.length = 0;
    return messages.map((l) => JSON.parse(JSON.parse(l).payload));
  }

  /** The output so far. */
  get output(): string {
    return this.lines.join('\n');
  }

  stop(): Promise<number | null> {
    this.proc.kill('SIGTERM');
    return this.exited;
  }

  /** Takes (unless `take` is false) the first line matching `pattern`, and the lines before it, once it is there. */
  private async line(pattern: RegExp, take = true): Promise<string> {
    for (;;) {
      const index = this.lines.findIndex((l) => pattern.test(l));
      if (index >= 0) return take ? this.lines.splice(0, index + 1)[index] : this.lines[index];
      const more = new Promise<void>((resolve) => this.waiters.push(resolve));
      const gone = this.exited.then((code) => {
        throw new Error(`mosquitto_sub exited (${code}) before ${pattern}:\n${this.output}`);
      });
      await Promise.race([more, gone]);
    }
  }
}

/** Resolves once `condition` holds, checked after each turn of the event loop (the server runs in this process). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

/** A subscriber whose SUBACK arrived. */
async function subscribed(args: string[], credentials?: string[]): Promise<Sub> {
  const sub = new Sub(args, credentials);
  assert.deepEqual(await sub.suback(), args.includes('-q') ? [1] : [0], sub.output);
  return sub;
}

/** mosquitto_pub's exit code, and its output (with -d: what it sent and received). */
async function mosquittoPub(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const base = ['-h', '127.0.0.1', '-p', String(port)];
  return run('mosquitto_pub', [...base, ...args]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ ...err }),
  );
}

const numberOf = (event: CloudEvent) => (event.data as { n: number }).n;

/** A device's event `{"n": n}` of the application mq, to append to the bus directly (many at once). */
function event(device: string, n: number): CloudEvent {
  const origin = { app: { name: 'mq', uid: 'mq-uid' }, device: { name: device, uid: `${device}-uid` } };
  return deviceEvent(
    { ...origin, sender: origin.device },
    { channel: 'c', payload: Buffer.from(`{"n":${n}}`) },
    'test',
  );
}

/** An MQTT 5 CONNECT with only a password (flags 0x42: password, clean start), as mqtt-packet will not write one. */
function connectWithPasswordOnly(password: string): Buffer {
  const field = (value: string) => {
    const bytes = Buffer.from(value);
    const length = Buffer.alloc(2);
    length.writeUInt16BE(bytes.length);
    return Buffer.concat([length, bytes]);
  };
  const body = Buffer.concat([
    field('MQTT'),
    Buffer.from([5, 0x42, 0, 60, 0]),
    field('password-only'),
    field(password),
  ]);
  const length: number[] = [];
  let rest = body.length;
  do {
    length.push((rest & 0x7f) | (rest > 0x7f ? 0x80 : 0));
    rest >>= 7;
  } while (rest > 0);
  return Buffer.concat([Buffer.from([0x10, ...length]), body]);
}

/** Sends `bytes` to the integration and reads the MQTT 5 packets that come back. */
async function rawMqtt5(bytes: Buffer) {
  const socket = createConnection({ host: '127.0.0.1', port });
  const packets: Packet[] = [];
  const read = parser({ protocolVersion: 5 });
  let wake = () => {};
  read.on('packet', (packet: Packet) => {
    packets.push(packet);
    wake();
  });
  socket.on('data', (chunk) => read.parse(chunk));
  socket.write(bytes);
  const next = async (): Promise<Packet> => {
    while (packets.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return packets.shift()!;
  };
  const first = await next();
  return { socket, packets: [first], next };
}

/** What `subs` receive until `count` events arrived in all. */
async function collect(subs: Sub[], count: number): Promise<CloudEvent[][]> {
  const got = subs.map(() => [] as CloudEvent[]);
  while (got.flat().length < count) {
    await Promise.race(subs.map((sub) => sub.arrival()));
    for (const [i, sub] of subs.entries()) got[i].push(...sub.takeEvents());
  }
  return got;
}

describe('consuming', () => {
  test('discovery advertises mqtt_integration with its host and port', async () => {
    const endpoints = await (await fetch(`${s.url}/.well-known/drogue-endpoints`)).json();
    assert.deepEqual(endpoints.mqtt_integration, { host: '127.0.0.1', port });
    assert.ok(port > 0);
  });

  test('structured CloudEvents over 3.1.1 and 5, binary over 5 with the content-mode user property', async () => {
    const v311 = await subscribed(['-V', 'mqttv311', '-t', 'app/mq']);
    const v5 = await subscribed(['-V', 'mqttv5', '-t', 'a/mq']);
    const binary = await subscribed(
      ['-V', 'mqttv5', '-D', 'subscribe', 'user-property', 'content-mode', 'binary'].concat(['-t', 'application/mq']),
    );
    await publish('d1', 'temp', '{"celsius": 21.5}');
    await publish('d2', 'note', 'plain words', 'text/plain');

    const [m311, m5, mBinary] = [await v311.message(), await v5.message(), await binary.message()];
    assert.equal(m311.topic, 'app/mq');
    assert.equal(m311.properties, undefined);
    const event = JSON.parse(m311.payload) as CloudEvent;
    assert.deepEqual([event.specversion, event.subject, event.device, event.application], ['1.0', 'temp', 'd1', 'mq']);
    assert.deepEqual(event.data, { celsius: 21.5 });

    assert.equal(m5.topic, 'a/mq');
    assert.equal(m5.properties?.['content-type'], 'application/cloudevents+json; charset=utf-8');
    assert.deepEqual(JSON.parse(m5.payload), event);

    assert.equal(mBinary.topic, 'application/mq');
    assert.deepEqual(JSON.parse(mBinary.payload), { celsius: 21.5 });
    assert.equal(mBinary.properties?.['content-type'], 'application/json');
    const { data: _data, ...attributes } = event;
    assert.deepEqual(mBinary.properties?.['user-properties'], attributes);

    const text = await binary.message();
    assert.equal(text.payload, 'plain words');
    assert.equal(text.properties?.['content-type'], 'text/plain');
    assert.equal(text.properties?.['user-properties']?.subject, 'note');
    assert.equal(JSON.parse((await v5.message()).payload).data_base64, Buffer.from('plain words').toString('base64'));
    await Promise.all([v311.stop(), v5.stop(), binary.stop()]);
  });

  test('wildcards, further levels, other topics, no read access and unknown content modes fail in the SUBACK', async () => {
    const filters = [
      'app/mq',
      'app/+',
      'a/#',
      'app/mq/more',
      'events/mq',
      'app/alice-mq',
      'app/no-such',
      '$share//app/mq',
    ];
    const args = filters.flatMap((f) => ['-t', f]);
    const v311 = new Sub(['-V', 'mqttv311', ...args]);
    assert.deepEqual(await v311.suback(), [0, 128, 128, 128, 128, 128, 128, 128]);
    const v5 = new Sub(['-V', 'mqttv5', ...args]);
    assert.deepEqual(await v5.suback(), [0, 0xa2, 0xa2, 0x8f, 0x8f, 0x87, 0x87, 0x8f]);
    const weird = new Sub([
      '-V',
      'mqttv5',
      '-D',
      'subscribe',
      'user-property',
      'content-mode',
      'weird',
      '-t',
      'app/mq',
    ]);
    assert.deepEqual(await weird.suback(), [0x83]);
    // The refused filters cost the connection nothing: the good one still gets events.
    await publishN('d1', 1);
    assert.equal(numberOf(await v5.event()), 1);
    assert.equal(numberOf(await v311.event()), 1);
    await Promise.all([v311.stop(), v5.stop(), weird.stop()]);
  });

  test('a share name is a group: its members split the events ($share and legacy $shared)', async () => {
    const members = await Promise.all([
      subscribed(['-V', 'mqttv5', '-t', '$share/workers/app/mq']),
      subscribed(['-V', 'mqttv311', '-t', '$share/workers/app/mq']),
      subscribed(['-V', 'mqttv5', '-t', '$shared/workers/a/mq']),
    ]);
    const sent = [10, 11, 12, 13, 14, 15];
    for (const n of sent) await publishN(['d1', 'd2', 'd3'][n % 3], n);
    const got = await collect(members, sent.length);
    assert.deepEqual(got.flat().map(numberOf).sort(), sent, 'each event to exactly one member');
    assert.ok(
      got.every((events) => events.length > 0),
      `split ${got.map((e) => e.length).join('/')}`,
    );
    await Promise.all(members.map((m) => m.stop()));
  });

  test('a client id is a group: reconnecting with it resumes where it left off', async () => {
    const first = await subscribed(['-V', 'mqttv5', '-i', 'resumer', '-t', 'app/mq', '-C', '1']);
    await publishN('d1', 20);
    assert.equal(numberOf(await first.event()), 20);
    assert.equal(await first.exited, 0);
    // Once the server has seen it go (events sent to a client on its way out count as delivered to it).
    await until(() => !s.server.events.stats().groups.some((g) => g.group === 'resumer'));
    // Away: more events than one in-flight window (64) wait for the group.
    const missed = Array.from({ length: 100 }, (_, i) => 100 + i);
    await s.server.events.append(missed.map((n) => event('d2', n)));
    const back = await subscribed(['-V', 'mqttv311', '-i', 'resumer', '-t', 'app/mq']);
    const got = [];
    for (const _ of missed) got.push(numberOf(await back.event()));
    assert.deepEqual(got, missed);
    await back.stop();
    await until(() => !s.server.events.stats().groups.some((g) => g.group === 'resumer'));
    // And they were done with: the next time only what is new.
    await publishN('d3', 300);
    const again = await subscribed(['-V', 'mqttv5', '-i', 'resumer', '-t', 'app/mq']);
    assert.equal(numberOf(await again.event()), 300);
    // Without a client id (mosquitto_sub sends none for 3.1.1): no group, events from now on.
    const anonymous = await subscribed(['-V', 'mqttv311', '-t', 'app/mq']);
    await publishN('d1', 301);
    assert.equal(numberOf(await anonymous.event()), 301);
    assert.equal(numberOf(await again.event()), 301);
    await Promise.all([again.stop(), anonymous.stop()]);
  });

  test('QoS 1 is at least once: an event not acknowledged before the consumer left comes again', async () => {
    // MQTT.js (MQTT 5, where it lets an ack handler decide), told to hold its PUBACKs, then gone.
    let held: (received: { payload: Buffer; qos: number }) => void = () => {};
    const arrived = new Promise<{ payload: Buffer; qos: number }>((resolve) => {
      held = resolve;
    });
    const holder = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
      clientId: 'careful',
      username: 'admin',
      password: s.token,
      protocolVersion: 5,
      reconnectPeriod: 0,
      customHandleAcks: (_topic, payload, packet) => held({ payload, qos: packet.qos }),
    });
    const [granted] = await holder.subscribeAsync('app/mq', { qos: 1 });
    assert.equal(granted.qos, 1);
    await publishN('d1', 30);
    const { payload, qos } = await arrived;
    assert.equal(numberOf(JSON.parse(String(payload))), 30);
    assert.equal(qos, 1);
    await holder.endAsync(true);

    const again = await subscribed(['-V', 'mqttv5', '-i', 'careful', '-q', '1', '-t', 'app/mq', '-C', '1']);
    const message = await again.message();
    assert.equal(message.qos, 1);
    assert.equal(numberOf(JSON.parse(message.payload)), 30);
    assert.equal(await again.exited, 0);
    // mosquitto_sub acknowledged it: the next one of the group is new.
    await publishN('d2', 31);
    const next = await subscribed(['-V', 'mqttv5', '-i', 'careful', '-q', '1', '-t', 'app/mq']);
    assert.equal(numberOf(await next.event()), 31);
    await next.stop();
  });
});

test('a consumer that cannot keep up is dropped: MQTT 5 DISCONNECT with the reason', async () => {
  // QoS 1 without a client id (no group), and never a PUBACK: after its in-flight window it falls behind. (Written
  // with mqtt-packet: MQTT.js stops reading while it holds an acknowledgement.)
  const v5 = { protocolVersion: 5 } as const;
  const credentials = { username: 'admin', password: Buffer.from(s.token) };
  const connect = { cmd: 'connect', protocolId: 'MQTT', clientId: '', clean: true, keepalive: 60, ...v5 } as const;
  const slow = await rawMqtt5(generate({ ...connect, ...credentials }, v5));
  assert.equal((slow.packets[0] as IConnackPacket).reasonCode, 0);
  slow.socket.write(generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'app/mq', qos: 1 }] }, v5));
  assert.deepEqual(((await slow.next()) as ISubackPacket).granted, [1]);
  const burst = Array.from({ length: 200 }, (_, n) => event('d1', n));
  await s.server.events.append(burst);
  let packet = await slow.next();
  let published = 0;
  for (; packet.cmd === 'publish'; packet = await slow.next()) published++;
  assert.ok(published > 0 && published < burst.length, `${published} sent before the drop`);
  const disconnect = packet as IDisconnectPacket;
  assert.equal(disconnect.cmd, 'disconnect');
  assert.equal(disconnect.reasonCode, 0x83);
  assert.match(disconnect.properties?.reasonString ?? '', /the event stream failed: fell more than 20 events behind/);
  slow.socket.destroy();
});

describe('credentials', () => {
  test('user name + access token; an OIDC access token as the user name alone or the password alone', async () => {
    const { access_token: jwt } = await logInWithCode(issuerAt(s.server.issuerUrl), ALICE);
    const subs = await Promise.all([
      subscribed(['-V', 'mqttv311', '-t', 'app/alice-mq'], ['-u', ALICE.user, '-P', aliceToken]),
      subscribed(['-V', 'mqttv311', '-t', 'app/alice-mq'], ['-u', jwt]),
      subscribed(['-V', 'mqttv5', '-t', 'app/alice-mq'], ['-u', jwt]),
    ]);
    const device = {
      metadata: { name: 'a1', application: 'alice-mq' },
      spec: { authentication: { credentials: [{ pass: 'pw' }] } },
    };
    await registry('POST', '/apps/alice-mq/devices', device, basic(ALICE.user, aliceToken));
    const sent = await fetch(`${s.url}/v1/hello`, {
      method: 'POST',
      headers: { authorization: basic('a1@alice-mq', 'pw'), 'content-type': 'application/json' },
      body: '{"from": "a1"}',
    });
    assert.equal(sent.status, 202);
    for (const sub of subs) assert.deepEqual((await sub.event()).data, { from: 'a1' });
    // MQTT 5 allows a password without a user name; the clients at hand do not send one, so this CONNECT is built
    // here, and mqtt-packet reads the answers.
    const passwordOnly = await rawMqtt5(connectWithPasswordOnly(jwt));
    assert.equal(passwordOnly.packets[0].cmd, 'connack');
    assert.equal((passwordOnly.packets[0] as IConnackPacket).reasonCode, 0);
    passwordOnly.socket.write(
      generate(
        {
          cmd: 'subscribe',
          messageId: 1,
          subscriptions: [
            { topic: 'app/alice-mq', qos: 0 },
            { topic: 'app/mq', qos: 0 },
          ],
        },
        { protocolVersion: 5 },
      ),
    );
    // Alice reads her application, and not what she may not.
    const suback = (await passwordOnly.next()) as ISubackPacket;
    assert.deepEqual(suback.granted, [0, 0x87]);
    passwordOnly.socket.destroy();
    const refused = await rawMqtt5(connectWithPasswordOnly('not.a.jwt'));
    assert.equal((refused.packets[0] as IConnackPacket).reasonCode, 0x86);
    await Promise.all(subs.map((sub) => sub.stop()));
  });

  test('bad or missing credentials get a CONNACK refusal', async () => {
    for (const [version, credentials, code, words] of [
      ['mqttv311', ['-u', 'admin', '-P', 'drg_wrong'], 4, /bad user name or password/i],
      ['mqttv5', ['-u', 'admin', '-P', 'drg_wrong'], 0x86, /bad user name or password/i],
      ['mqttv311', ['-u', 'not.a.jwt'], 4, /bad user name or password/i],
      ['mqttv5', [], 0x87, /not authorized/i],
      // Only clean sessions: a group (the client id) is what resumes.
      ['mqttv311', ['-u', 'admin', '-P', s.token, '-c', '-i', 'persistent'], 5, /not authorised/i],
      ['mqttv5', ['-u', 'admin', '-P', s.token, '-c', '-i', 'persistent'], 0x80, /unspecified/i],
    ] as const) {
      const sub = new Sub(['-V', version, '-t', 'app/mq'], [...credentials]);
      assert.equal(await sub.exited, code, sub.output);
      assert.match(sub.output, words);
    }
  });
});

describe('commands', () => {
  /** A device waiting over HTTP (`?ct=`) for a command, and the command it got. */
  function waitingDevice(device: string) {
    return fetch(`${s.url}/v1/status?ct=10`, {
      method: 'POST',
      headers: { authorization: basic(`${device}@mq`, 'pw'), 'content-type': 'application/json' },
      body: '{"ready": true}',
    }).then(async (res) => ({ status: res.status, command: res.headers.get('command'), body: await res.text() }));
  }

  test('published to command/<app>/<device>/<command>, a command reaches the device with its payload', async () => {
    let answered: { status: number; command: string | null; body: string } | undefined;
    const waiting = waitingDevice('d2').then((r) => {
      answered = r;
    });
    // Best effort: until the device is waiting, nobody takes it, so it is sent again.
    for (let i = 0; i < 50 && !answered; i++) {
      const sent = await mosquittoPub(
        ['-V', 'mqttv5', '-q', '1', '-u', 'admin', '-P', s.token].concat([
          '-t',
          'command/mq/d2/set-rate',
          '-m',
          '{"rate": 5}',
        ]),
      );
      assert.equal(sent.code, 0, sent.stderr);
      assert.equal(sent.stderr, '');
      await Promise.race([waiting, new Promise((resolve) => setTimeout(resolve, 50))]);
    }
    await waiting;
    assert.deepEqual(answered, { status: 200, command: 'set-rate', body: '{"rate": 5}' });
  });

  test('another shape of topic, a reader, a missing device: refused in the MQTT 5 PUBACK, too large with DISCONNECT; 3.1.1 closed', async () => {
    for (const [topic, credentials, words] of [
      ['command/mq/d1', ['-u', 'admin', '-P', s.token], /Topic Name invalid/],
      ['command/mq/d1/x/y', ['-u', 'admin', '-P', s.token], /Topic Name invalid/],
      ['app/mq', ['-u', 'admin', '-P', s.token], /Topic Name invalid/],
      ['command/mq/d1/reboot', ['-u', 'bob', '-P', bobToken], /Not authorized/],
      ['command/mq/ghost/reboot', ['-u', 'admin', '-P', s.token], /Not authorized/],
    ] as const) {
      const sent = await mosquittoPub(['-V', 'mqttv5', '-q', '1', ...credentials, '-t', topic, '-m', 'x']);
      assert.match(sent.stderr, words, topic);
    }
    const big = join(tempDir(), 'big');
    writeFileSync(big, 'x'.repeat(256 * 1024 + 1));
    // Larger than --max-payload: MQTT 5 DISCONNECT 0x95 (149), Packet too large.
    const publishBig = ['-V', 'mqttv5', '-d', '-q', '1', '-u', 'admin', '-P', s.token, '-t', 'command/mq/d1/big'];
    const tooLarge = await mosquittoPub([...publishBig, '-f', big]);
    assert.match(tooLarge.stdout, /Received DISCONNECT \(149\)/);
    const closed = await mosquittoPub(
      ['-V', 'mqttv311', '-q', '1', '-u', 'bob', '-P', bobToken].concat(['-t', 'command/mq/d1/reboot', '-m', 'x']),
    );
    assert.notEqual(closed.code, 0);
    // Bob may read what he may not command.
    const sub = await subscribed(['-V', 'mqttv311', '-t', 'app/mq'], ['-u', 'bob', '-P', bobToken]);
    await sub.stop();
  });
});
