// The direct PUBLISH codec (src/server-lite/mqtt/frames.ts) against mqtt-packet, the reference: what it reads is
// what mqtt-packet parses, what it writes is what mqtt-packet generates, and what it does not take (MQTT 5
// properties, malformed packets) it leaves to mqtt-packet.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generate, type IPublishPacket, type Packet, parser } from 'mqtt-packet';
import { readPublish, writePublish } from '../../src/server-lite/mqtt/frames.js';

type Version = 3 | 4 | 5;
const VERSIONS: Version[] = [3, 4, 5];

/** mqtt-packet's reading of one frame: the packet as a plain object, or its error. */
function reference(frame: Buffer, protocolVersion: Version): Record<string, unknown> | Error | undefined {
  const p = parser({ protocolVersion });
  let result: Record<string, unknown> | Error | undefined;
  p.on('packet', (packet: Packet) => {
    result ??= { ...packet };
  });
  p.on('error', (err: Error) => {
    result ??= err;
  });
  p.parse(frame);
  return result;
}

/** A seeded generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function samples(next: () => number): { topic: string; payload: Buffer; qos: 0 | 1; messageId: number }[] {
  const topics = ['', 't', 'telemetry', 'app/dev/ice', 'ümlaut/😀/x', 'a'.repeat(300)];
  const sizes = [0, 1, 9, 100, 120, 127, 128, 16_000, 16_383, 16_384, 70_000];
  const out = [];
  for (const topic of topics) {
    for (const size of sizes) {
      const payload = Buffer.alloc(size);
      for (let i = 0; i < size; i++) payload[i] = Math.floor(next() * 256);
      for (const qos of [0, 1] as const) out.push({ topic, payload, qos, messageId: 1 + Math.floor(next() * 65_535) });
    }
  }
  return out;
}

describe('reading a PUBLISH', () => {
  it('gives what mqtt-packet parses, for every version, QoS, flag and length', () => {
    const next = random(1);
    let checked = 0;
    for (const version of VERSIONS) {
      for (const { topic, payload, qos, messageId } of samples(next)) {
        for (const [dup, retain] of [
          [false, false],
          [true, true],
        ]) {
          const packet: IPublishPacket = { cmd: 'publish', topic, payload, qos, dup, retain };
          if (qos === 1) packet.messageId = messageId;
          const frame = generate(packet, { protocolVersion: version });
          const read = readPublish(frame, version === 5);
          assert.ok(read, `read a ${frame.length}-byte PUBLISH of MQTT ${version}`);
          assert.deepEqual({ ...read }, reference(frame, version));
          checked++;
        }
      }
    }
    assert.equal(checked, 3 * 6 * 11 * 2 * 2);
  });

  it('leaves MQTT 5 properties to mqtt-packet', () => {
    const properties = { contentType: 'application/json', userProperties: { a: 'b' } };
    const frame = generate(
      { cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 0, dup: false, retain: false, properties },
      { protocolVersion: 5 },
    );
    assert.equal(readPublish(frame, true), undefined);
    const parsed = reference(frame, 5) as unknown as IPublishPacket;
    assert.equal(parsed.properties?.contentType, 'application/json');
  });

  it('leaves what is not a well-formed PUBLISH to mqtt-packet, and never reads what mqtt-packet refuses', () => {
    const next = random(2);
    const good = generate(
      {
        cmd: 'publish',
        topic: 'telemetry',
        payload: Buffer.from('{"n":1}'),
        qos: 1,
        messageId: 7,
        dup: false,
        retain: false,
      },
      { protocolVersion: 5 },
    );
    const cases: Buffer[] = [
      Buffer.from([0x36, 0x05, 0x00, 0x01, 0x74, 0x00, 0x01]), // QoS 3
      Buffer.from([0x30, 0x03, 0x00, 0x05, 0x74]), // topic longer than the packet
      Buffer.from([0x32, 0x04, 0x00, 0x01, 0x74, 0x00]), // packet id cut short
      Buffer.from([0x30, 0x80]), // remaining length cut short
      Buffer.from([0x30, 0x05, 0x00, 0x01]), // fewer bytes than the remaining length says
      Buffer.from([0x20, 0x02, 0x00, 0x00]), // not a PUBLISH
    ];
    // Random corruptions of a good packet: one byte changed, or cut short.
    for (let i = 0; i < 2_000; i++) {
      const frame = Buffer.from(good);
      if (next() < 0.5) frame[Math.floor(next() * frame.length)] = Math.floor(next() * 256);
      cases.push(next() < 0.3 ? frame.subarray(0, Math.floor(next() * frame.length)) : frame);
    }
    let readByUs = 0;
    for (const frame of cases) {
      for (const version of VERSIONS) {
        const read = readPublish(frame, version === 5);
        if (read === undefined) continue;
        readByUs++;
        assert.deepEqual({ ...read }, reference(frame, version), `frame ${frame.toString('hex')}, MQTT ${version}`);
      }
    }
    assert.ok(readByUs > 0 && readByUs < cases.length * VERSIONS.length);
  });
});

describe('writing a PUBLISH', () => {
  it('writes what mqtt-packet generates, from a Buffer or a string, for every version and length', () => {
    const next = random(3);
    for (const version of VERSIONS) {
      for (const { topic, payload, qos, messageId } of samples(next)) {
        const packet: IPublishPacket = { cmd: 'publish', topic, payload, qos, dup: false, retain: false };
        if (qos === 1) packet.messageId = messageId;
        const expected = generate(packet, { protocolVersion: version });
        assert.deepEqual(writePublish(topic, payload, qos, messageId, version === 5), expected);
        const text = payload.toString('latin1');
        const fromText = generate({ ...packet, payload: text }, { protocolVersion: version });
        assert.deepEqual(writePublish(topic, text, qos, messageId, version === 5), fromText);
      }
    }
  });

  it('writes a remaining length of four bytes, and refuses a topic too long for its two-byte length', () => {
    const payload = Buffer.alloc(2_100_000, 0x61);
    const written = writePublish('t', payload, 0, 0, false)!;
    assert.deepEqual(written, generate({ cmd: 'publish', topic: 't', payload, qos: 0, dup: false, retain: false }));
    assert.equal(written.length, 1 + 4 + 3 + payload.length);
    assert.equal(writePublish('x'.repeat(65_536), Buffer.alloc(0), 0, 0, false), undefined);
  });
});
