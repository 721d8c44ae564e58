// The server-side MQTT layer (src/server-lite/mqtt) over real sockets, with clients that write mqtt-packet's bytes
// (or raw ones) for the cases mosquitto cannot produce: CONNACK refusal codes of each version, the CONNECT timeout,
// garbage, keep-alive, packet size, QoS 2, ordered PUBACKs from async handlers, the bound on pending answers,
// outbound QoS 1, a peer that stops reading, the connection limit, server DISCONNECTs, and TLS client chains.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { generate, type IPublishPacket } from 'mqtt-packet';
import {
  type ConnectHandler,
  type MqttConnection,
  MqttListener,
  type MqttListenerLimits,
  type MqttSession,
  type PublishRefusal,
} from '../../src/server-lite/mqtt/index.js';
import { opensslCa, opensslClientCert } from '../helpers/certs.js';
import { RawMqttClient, type MqttVersion as Version } from '../helpers/mqtt-client.js';
import { tempDir } from '../helpers/serve.js';

const listeners: MqttListener[] = [];
after(async () => {
  for (const listener of listeners) await listener.close();
});

interface Server {
  listener: MqttListener;
  port: number;
  warnings: string[];
  dropped: string[];
}

async function serve(
  connect: ConnectHandler,
  limits: Partial<MqttListenerLimits> = {},
  tls?: { key: string; cert: string },
): Promise<Server> {
  const warnings: string[] = [];
  const dropped: string[] = [];
  const listener = new MqttListener({
    name: 'the test port',
    port: 0,
    bind: '127.0.0.1',
    tls: tls && { port: 0, ...tls },
    connect,
    limits,
    log: { warn: (kind) => warnings.push(kind), dropped: (reason) => dropped.push(reason) },
  });
  await listener.start();
  listener.open();
  listeners.push(listener);
  return { listener, port: listener.port, warnings, dropped };
}

interface Got {
  closed?: { graceful: boolean; reason: string };
  publishes: IPublishPacket[];
}

/** A session that accepts everything (at once), recording what it got. */
function acceptAll(got: Got): MqttSession {
  return {
    publish: (packet) => {
      got.publishes.push(packet);
      return undefined;
    },
    subscribe: (packet) => packet.subscriptions.map((s) => (s.topic.startsWith('ok/') ? 0 : 0x8f)),
    closed: (info) => {
      got.closed = info;
    },
  };
}

const publish = (messageId: number, topic = 't', qos: 0 | 1 | 2 = 1, payload = '{}'): IPublishPacket => ({
  cmd: 'publish',
  topic,
  payload: Buffer.from(payload),
  qos,
  dup: false,
  retain: false,
  messageId: qos > 0 ? messageId : undefined,
});

describe('CONNECT', () => {
  test('refusals get the CONNACK code of each version, then the connection is closed', async () => {
    const refusals = ['bad-credentials', 'not-authorized', 'unavailable', 'busy', 'packet-too-large', 'quota-exceeded'];
    const { port } = await serve((_c, packet) => ({ refuse: packet.username as never, reason: 'because' }));
    const expected: Record<Version, number[]> = { 4: [4, 5, 3, 3, 3, 3], 5: [0x86, 0x87, 0x88, 0x89, 0x95, 0x97] };
    for (const version of [4, 5] as const) {
      for (const [i, refusal] of refusals.entries()) {
        const client = await RawMqttClient.open(port, version, { username: refusal });
        const connack = await client.next();
        assert.equal(connack.cmd, 'connack');
        const code = version === 5 ? connack.reasonCode : connack.returnCode;
        assert.equal(code, expected[version][i], `${refusal} for version ${version}`);
        if (version === 5) assert.equal(connack.properties?.reasonString, 'because');
        await client.closed;
      }
    }
  });

  test('an accepted MQTT 5 CONNACK announces the limits, and assigns a client id when none was sent', async () => {
    const got: Got = { publishes: [] };
    const { port } = await serve(() => ({ session: acceptAll(got) }), { maxPacketSize: 5000, maxInflightIn: 7 });
    const client = await RawMqttClient.open(port, 5, { clientId: '' });
    const connack = await client.next();
    assert.equal(connack.cmd === 'connack' && connack.reasonCode, 0);
    const properties = connack.cmd === 'connack' ? connack.properties : undefined;
    assert.equal(properties?.maximumPacketSize, 5000);
    assert.equal(properties?.receiveMaximum, 7);
    assert.equal(properties?.maximumQoS, 1);
    assert.match(properties?.assignedClientIdentifier ?? '', /^auto-/);
    client.socket.destroy();
  });

  test('a handler that throws refuses with server unavailable', async () => {
    const server = await serve(() => {
      throw new Error('boom');
    });
    const client = await RawMqttClient.open(server.port, 4);
    const connack = await client.next();
    assert.equal(connack.cmd === 'connack' && connack.returnCode, 3);
    assert.deepEqual(server.warnings, ['mqtt-connect-handler']);
  });

  test('a CONNECT not finished within the timeout is dropped; a working client is not disturbed', async () => {
    const got: Got = { publishes: [] };
    const server = await serve(() => ({ session: acceptAll(got) }), { connectTimeoutMs: 300 });
    const started = Date.now();
    const silent = await RawMqttClient.open(server.port, 4, null);
    const partial = await RawMqttClient.open(server.port, 4, null);
    partial.socket.write(generate({ cmd: 'connect', clientId: 'p', protocolVersion: 4 }).subarray(0, 6));
    const working = await RawMqttClient.open(server.port, 4);
    assert.equal((await working.next()).cmd, 'connack');
    await Promise.all([silent.closed, partial.closed]);
    assert.ok(Date.now() - started >= 250, 'not before the timeout');
    working.send({ cmd: 'pingreq' });
    assert.equal((await working.next()).cmd, 'pingresp');
    assert.deepEqual(server.dropped, ['connect timeout', 'connect timeout']);
    working.socket.destroy();
  });

  test('bytes that are not a CONNECT close the connection at once; others go on', async () => {
    const got: Got = { publishes: [] };
    const server = await serve(() => ({ session: acceptAll(got) }), { connectTimeoutMs: 60_000 });
    const working = await RawMqttClient.open(server.port, 5);
    assert.equal((await working.next()).cmd, 'connack');
    const garbage = await RawMqttClient.open(server.port, 4, null);
    garbage.socket.write('GET / HTTP/1.1\r\n\r\n');
    await garbage.closed;
    // A CONNECT with a bad protocol name.
    const bad = await RawMqttClient.open(server.port, 4, null);
    bad.socket.write(Buffer.from([0x10, 0x06, 0x00, 0x04, 0x48, 0x54, 0x54, 0x50]));
    await bad.closed;
    working.send(publish(1));
    assert.equal((await working.next()).cmd, 'puback');
    assert.equal(got.publishes.length, 1);
    working.socket.destroy();
  });

  test('the listener holds connections until open(), and refuses those over maxConnections as busy', async () => {
    let calls = 0;
    const got: Got = { publishes: [] };
    const listener = new MqttListener({
      name: 'held',
      port: 0,
      bind: '127.0.0.1',
      limits: { maxConnections: 1 },
      connect: () => {
        calls++;
        return { session: acceptAll(got) };
      },
    });
    await listener.start();
    listeners.push(listener);
    const first = await RawMqttClient.open(listener.port, 5);
    await new Promise((resolve) => first.socket.write('', resolve));
    assert.equal(calls, 0);
    listener.open();
    assert.equal((await first.next()).cmd, 'connack');
    for (const version of [4, 5] as const) {
      const second = await RawMqttClient.open(listener.port, version);
      const connack = await second.next();
      assert.equal(
        connack.cmd === 'connack' && (version === 5 ? connack.reasonCode : connack.returnCode),
        {
          4: 3,
          5: 0x89,
        }[version],
      );
      await second.closed;
    }
    assert.equal(calls, 1);
    first.socket.destroy();
  });
});

describe('after CONNECT', () => {
  test('PINGREQ gets PINGRESP; silence past 1.5 × keep-alive closes (MQTT 5 with DISCONNECT 0x8D)', async () => {
    const got: Got = { publishes: [] };
    const server = await serve(() => ({ session: acceptAll(got) }));
    const v5 = await RawMqttClient.open(server.port, 5, { keepalive: 1 });
    const v4 = await RawMqttClient.open(server.port, 4, { keepalive: 1 });
    const started = Date.now();
    await Promise.all([v5.next(), v4.next()]);
    v5.send({ cmd: 'pingreq' });
    assert.equal((await v5.next()).cmd, 'pingresp');
    const disconnect = await v5.next();
    assert.equal(disconnect.cmd === 'disconnect' && disconnect.reasonCode, 0x8d);
    await Promise.all([v5.closed, v4.closed]);
    assert.ok(Date.now() - started >= 1400, 'not before 1.5 × the keep-alive');
    assert.equal(got.closed?.reason, 'keep-alive timeout');
  });

  test('a packet over maxPacketSize is refused from its header: MQTT 5 DISCONNECT 0x95, 3.1.1 closed', async () => {
    const got: Got = { publishes: [] };
    const server = await serve(() => ({ session: acceptAll(got) }), { maxPacketSize: 1000 });
    for (const version of [4, 5] as const) {
      const client = await RawMqttClient.open(server.port, version);
      await client.next();
      // A PUBLISH header announcing 10 MB, and no body: the server need not wait for it.
      client.socket.write(Buffer.from([0x32, 0x80, 0xad, 0xe2, 0x04]));
      const answer = await client.nextOrClose();
      if (version === 5) assert.equal(answer?.cmd === 'disconnect' && answer.reasonCode, 0x95);
      else assert.equal(answer, undefined);
      await client.closed;
    }
    assert.equal(got.publishes.length, 0);
  });

  test('QoS 2 is refused: MQTT 5 DISCONNECT 0x9B, 3.1.1 closed; a will of QoS 2 gets CONNACK 0x9B', async () => {
    const got: Got = { publishes: [] };
    const server = await serve(() => ({ session: acceptAll(got) }));
    for (const version of [4, 5] as const) {
      const client = await RawMqttClient.open(server.port, version);
      await client.next();
      client.send(publish(1, 't', 2));
      const answer = await client.nextOrClose();
      if (version === 5) assert.equal(answer?.cmd === 'disconnect' && answer.reasonCode, 0x9b);
      else assert.equal(answer, undefined);
      await client.closed;
    }
    const will = { topic: 'w', payload: Buffer.from('x'), qos: 2 as const, retain: false };
    const client = await RawMqttClient.open(server.port, 5, { will });
    const connack = await client.next();
    assert.equal(connack.cmd === 'connack' && connack.reasonCode, 0x9b);
    assert.equal(got.publishes.length, 0);
  });

  test('PUBACKs go out in the order the PUBLISHes came, whatever order their handlers finish in', async () => {
    const pending: Array<(refusal?: PublishRefusal) => void> = [];
    const server = await serve(() => ({
      session: {
        publish: () => new Promise<PublishRefusal | undefined>((resolve) => pending.push(resolve)),
        subscribe: () => [],
        closed: () => {},
      },
    }));
    const client = await RawMqttClient.open(server.port, 5);
    await client.next();
    for (const id of [1, 2, 3]) client.send(publish(id));
    client.send({ cmd: 'pingreq' });
    // The PINGRESP is not ordered with the PUBACKs: once it is here, the three handlers run.
    assert.equal((await client.next()).cmd, 'pingresp');
    assert.equal(pending.length, 3);
    pending[2]();
    pending[1]({ reasonCode: 0x90, reason: 'bad topic' });
    pending[0]();
    const acks = [await client.next(), await client.next(), await client.next()];
    assert.deepEqual(
      acks.map((p) => p.cmd === 'puback' && [p.messageId, p.reasonCode ?? 0, p.properties?.reasonString]),
      [
        [1, 0, undefined],
        [2, 0x90, 'bad topic'],
        [3, 0, undefined],
      ],
    );
    client.socket.destroy();
  });

  test('a refused PUBLISH closes a 3.1.1 connection; MQTT 5 at QoS 0 gets DISCONNECT with the code', async () => {
    const server = await serve(() => ({
      session: { publish: () => ({ reasonCode: 0x99, reason: 'not JSON' }), subscribe: () => [], closed: () => {} },
    }));
    const v4 = await RawMqttClient.open(server.port, 4);
    await v4.next();
    v4.send(publish(1));
    assert.equal(await v4.nextOrClose(), undefined);
    const v5 = await RawMqttClient.open(server.port, 5);
    await v5.next();
    v5.send(publish(0, 't', 0));
    const disconnect = await v5.next();
    assert.equal(disconnect.cmd === 'disconnect' && disconnect.reasonCode, 0x99);
    assert.equal(disconnect.cmd === 'disconnect' && disconnect.properties?.reasonString, 'not JSON');
  });

  test('with maxInflightIn answers pending, the connection is not read until one is written', async () => {
    const pending: Array<() => void> = [];
    let released = 0;
    let callsAtThird = -1;
    const server = await serve(
      () => ({
        session: {
          publish: () => {
            if (pending.length === 2) callsAtThird = released;
            return new Promise<undefined>((resolve) => pending.push(() => resolve(undefined)));
          },
          subscribe: () => [],
          closed: () => {},
        },
      }),
      { maxInflightIn: 2 },
    );
    const client = await RawMqttClient.open(server.port, 4);
    await client.next();
    for (const id of [1, 2, 3]) client.send(publish(id));
    client.send({ cmd: 'pingreq' });
    const release = () => {
      released++;
      pending[released - 1]();
    };
    // Released one at a time as the handlers are called: the third runs only after the first answer.
    while (pending.length < 2) await new Promise((resolve) => setImmediate(resolve));
    release();
    assert.equal((await client.next()).cmd, 'puback');
    while (pending.length < 3) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(callsAtThird, 1);
    release();
    const next = [await client.next(), await client.next()].map((p) => p.cmd);
    assert.deepEqual(next, ['puback', 'pingresp']);
    release();
    assert.equal((await client.next()).cmd, 'puback');
    client.socket.destroy();
  });

  test('SUBACK codes: MQTT 5 gets the failure code, 3.1.1 0x80; UNSUBACK', async () => {
    const got: Got = { publishes: [] };
    const server = await serve(() => ({ session: acceptAll(got) }));
    for (const version of [4, 5] as const) {
      const client = await RawMqttClient.open(server.port, version);
      await client.next();
      const subscriptions = [
        { topic: 'ok/a', qos: 1 as const },
        { topic: 'nope', qos: 0 as const },
      ];
      client.send({ cmd: 'subscribe', messageId: 7, subscriptions });
      const suback = await client.next();
      assert.deepEqual(suback.cmd === 'suback' && [suback.messageId, suback.granted], [
        7,
        [0, version === 5 ? 0x8f : 0x80],
      ]);
      client.send({ cmd: 'unsubscribe', messageId: 8, unsubscriptions: ['ok/a'] });
      const unsuback = await client.next();
      assert.equal(unsuback.cmd === 'unsuback' && unsuback.messageId, 8);
      client.socket.destroy();
    }
  });

  test('outbound QoS 1: packet ids, onAck on PUBACK, the in-flight bound and the peer maximum packet size', async () => {
    let connection: MqttConnection | undefined;
    const got: Got = { publishes: [] };
    const server = await serve(
      (c) => {
        connection = c;
        return { session: acceptAll(got) };
      },
      { maxInflightOut: 1 },
    );
    const client = await RawMqttClient.open(server.port, 5, { properties: { maximumPacketSize: 100 } });
    await client.next();
    const acked: number[] = [];
    assert.equal(
      connection!.publish({ topic: 'out', payload: Buffer.from('a'), qos: 1 }, (c) => acked.push(c)),
      'sent',
    );
    assert.equal(connection!.publish({ topic: 'out', payload: Buffer.from('b'), qos: 1 }), 'inflight-full');
    assert.equal(connection!.publish({ topic: 'out', payload: Buffer.alloc(200), qos: 0 }), 'too-large');
    const first = await client.next();
    assert.ok(first.cmd === 'publish' && first.qos === 1 && first.messageId! > 0);
    client.send({ cmd: 'puback', messageId: first.messageId, reasonCode: 0 });
    client.send({ cmd: 'pingreq' });
    assert.equal((await client.next()).cmd, 'pingresp');
    assert.deepEqual(acked, [0]);
    assert.equal(connection!.publish({ topic: 'out', payload: Buffer.from('c'), qos: 1 }), 'sent');
    const second = await client.next();
    assert.ok(second.cmd === 'publish' && second.messageId !== first.messageId);
    client.socket.destroy();
  });

  test('a peer that stops reading is dropped once maxWriteBuffer bytes are waiting for it', async () => {
    let connection: MqttConnection | undefined;
    const got: Got = { publishes: [] };
    const server = await serve(
      (c) => {
        connection = c;
        return { session: acceptAll(got) };
      },
      { maxWriteBuffer: 64 * 1024 },
    );
    const client = await RawMqttClient.open(server.port, 4);
    await client.next();
    client.socket.pause();
    let outcome = 'sent';
    for (let i = 0; i < 2000 && outcome === 'sent'; i++) {
      outcome = connection!.publish({ topic: 'flood', payload: Buffer.alloc(16 * 1024), qos: 0 });
      if (i % 16 === 15) await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(outcome, 'closed');
    assert.deepEqual(server.dropped, ['not reading']);
    assert.ok(server.warnings.includes('mqtt-slow-reader'));
    client.socket.resume();
    await client.closed;
  });

  test('closes: DISCONNECT from the peer is graceful (not 0x04 with will); a server DISCONNECT carries its reason', async () => {
    const sessions: Got[] = [];
    const connections: MqttConnection[] = [];
    const server = await serve((c) => {
      const got: Got = { publishes: [] };
      sessions.push(got);
      connections.push(c);
      return { session: acceptAll(got) };
    });
    const graceful = await RawMqttClient.open(server.port, 5);
    await graceful.next();
    graceful.send({ cmd: 'disconnect', reasonCode: 0 });
    await graceful.closed;
    const withWill = await RawMqttClient.open(server.port, 5);
    await withWill.next();
    withWill.send({ cmd: 'disconnect', reasonCode: 0x04 });
    await withWill.closed;
    const lost = await RawMqttClient.open(server.port, 4);
    await lost.next();
    lost.socket.destroy();
    const taken = await RawMqttClient.open(server.port, 5);
    await taken.next();
    connections[3].disconnect(0x8e, 'session taken over');
    const disconnect = await taken.next();
    assert.deepEqual(disconnect.cmd === 'disconnect' && [disconnect.reasonCode, disconnect.properties?.reasonString], [
      0x8e,
      'session taken over',
    ]);
    await taken.closed;
    while (sessions.some((s) => !s.closed)) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      sessions.map((s) => s.closed),
      [
        { graceful: true, reason: 'disconnect' },
        { graceful: false, reason: 'disconnect' },
        { graceful: false, reason: 'connection lost' },
        { graceful: false, reason: 'session taken over' },
      ],
    );
  });

  test('protocol errors: a second CONNECT (0x82), a malformed packet (0x81); close() sends 0x8B', async () => {
    const got: Got = { publishes: [] };
    const server = await serve(() => ({ session: acceptAll(got) }));
    const twice = await RawMqttClient.open(server.port, 5);
    await twice.next();
    twice.send({ cmd: 'connect', clientId: 'again', protocolVersion: 5 });
    const second = await twice.next();
    assert.equal(second.cmd === 'disconnect' && second.reasonCode, 0x82);
    const malformed = await RawMqttClient.open(server.port, 5);
    await malformed.next();
    // SUBSCRIBE must have the flags 0b0010.
    malformed.socket.write(Buffer.from([0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x00]));
    const disconnect = await malformed.next();
    assert.equal(disconnect.cmd === 'disconnect' && disconnect.reasonCode, 0x81);
    const open = await RawMqttClient.open(server.port, 5);
    await open.next();
    await server.listener.close();
    const shutdown = await open.next();
    assert.equal(shutdown.cmd === 'disconnect' && shutdown.reasonCode, 0x8b);
    await open.closed;
  });
});

test('over TLS, the same handler sees the client certificate chain (DER, leaf first)', async () => {
  const dir = tempDir();
  const serverCert = opensslCa(dir, 'server', [['CN', 'localhost']], 2, 'subjectAltName=DNS:localhost');
  const clientCa = opensslCa(dir, 'client-ca', [['CN', 'Devices']], 2);
  const client = opensslClientCert(dir, 'device', clientCa, [['CN', 'device-1']]);
  let chain: Buffer[] = [];
  let secure = false;
  const got: Got = { publishes: [] };
  const server = await serve(
    (connection) => {
      chain = connection.peerCertificates();
      secure = connection.secure;
      return { session: acceptAll(got) };
    },
    {},
    { key: serverCert.key, cert: serverCert.pem },
  );
  const socket = tlsConnect({
    port: server.listener.tlsPort!,
    host: '127.0.0.1',
    servername: 'localhost',
    ca: serverCert.pem,
    key: client.key,
    cert: client.pem,
  });
  await new Promise((resolve) => socket.once('secureConnect', resolve));
  const mqtt = new RawMqttClient(socket, 4);
  mqtt.send({ cmd: 'connect', clientId: 'tls', protocolVersion: 4, clean: true });
  assert.equal((await mqtt.next()).cmd, 'connack');
  assert.equal(secure, true);
  assert.ok(chain.length >= 1);
  assert.deepEqual(chain[0], new X509Certificate(client.pem).raw);
  socket.destroy();
});
