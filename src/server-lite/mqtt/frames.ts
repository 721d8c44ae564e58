// MQTT frames: the length a fixed header says, and PUBLISH packets without properties (the data plane's hot path)
// read and written directly. mqtt-packet's general machinery (a buffer list, a stream to write into, an array per
// read offset) allocated several objects per packet, a measurable share of the GC's work under load. Everything else
// (MQTT 5 properties, any packet these do not take) goes to mqtt-packet, whose results these match
// (test/unit/mqtt-publish.test.ts).
import type { IPublishPacket } from 'mqtt-packet';

const TYPE_PUBLISH = 3;
/** The largest remaining length a fixed header can say (MQTT 3.1.1, 2.2.3). */
const MAX_REMAINING_LENGTH = 268_435_455;

export const INCOMPLETE = -1;
export const MALFORMED = -2;

/** The whole frame's length from its fixed header, INCOMPLETE or MALFORMED. */
export function frameLength(head: Buffer): number {
  let remaining = 0;
  let multiplier = 1;
  for (let i = 1; i <= 4; i++) {
    if (i >= head.length) return INCOMPLETE;
    const byte = head[i];
    remaining += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) return 1 + i + remaining;
    multiplier *= 128;
  }
  return MALFORMED;
}

/**
 * The PUBLISH in a whole frame (fixed header included) as mqtt-packet parses it; undefined for one with MQTT 5
 * properties or that is not well formed, which mqtt-packet then parses (or refuses).
 */
export function readPublish(frame: Buffer, v5: boolean): IPublishPacket | undefined {
  const first = frame[0];
  const qos = (first >> 1) & 3;
  if (first >> 4 !== TYPE_PUBLISH || qos === 3) return undefined;
  const end = frame.length;
  if (frameLength(frame) !== end) return undefined;
  // After the remaining length's bytes (frameLength found the last of them).
  let pos = 2;
  while (frame[pos - 1] & 0x80) pos++;
  const length = end - pos;
  if (pos + 2 > end) return undefined;
  const topicEnd = pos + 2 + ((frame[pos] << 8) | frame[pos + 1]);
  if (topicEnd > end) return undefined;
  const topic = frame.toString('utf8', pos + 2, topicEnd);
  pos = topicEnd;
  let messageId: number | undefined;
  if (qos > 0) {
    if (pos + 2 > end) return undefined;
    messageId = (frame[pos] << 8) | frame[pos + 1];
    pos += 2;
  }
  if (v5) {
    if (pos >= end || frame[pos] !== 0) return undefined;
    pos++;
  }
  const packet: IPublishPacket = {
    cmd: 'publish',
    retain: (first & 1) !== 0,
    qos: qos as 0 | 1 | 2,
    dup: (first & 8) !== 0,
    length,
    topic,
    payload: frame.subarray(pos),
  };
  if (messageId !== undefined) packet.messageId = messageId;
  return packet;
}

/**
 * A PUBLISH without properties (MQTT 5: an empty property list), not a duplicate, not retained, as mqtt-packet
 * writes it; undefined when it cannot be written (a topic or packet too long).
 */
export function writePublish(
  topic: string,
  payload: Buffer | string,
  qos: 0 | 1,
  /** For QoS 1. */
  messageId: number,
  v5: boolean,
): Buffer | undefined {
  const topicBytes = Buffer.byteLength(topic);
  const payloadBytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  const remaining = 2 + topicBytes + (qos > 0 ? 2 : 0) + (v5 ? 1 : 0) + payloadBytes;
  if (topicBytes > 0xffff || remaining > MAX_REMAINING_LENGTH) return undefined;
  const header = remaining < 128 ? 2 : remaining < 16_384 ? 3 : remaining < 2_097_152 ? 4 : 5;
  const out = Buffer.allocUnsafe(header + remaining);
  out[0] = (TYPE_PUBLISH << 4) | (qos << 1);
  let pos = 1;
  let rest = remaining;
  do {
    const low = rest % 128;
    rest = Math.floor(rest / 128);
    out[pos++] = rest > 0 ? low | 0x80 : low;
  } while (rest > 0);
  out[pos++] = topicBytes >> 8;
  out[pos++] = topicBytes & 0xff;
  pos += out.write(topic, pos, 'utf8');
  if (qos > 0) {
    out[pos++] = messageId >> 8;
    out[pos++] = messageId & 0xff;
  }
  if (v5) out[pos++] = 0;
  if (typeof payload === 'string') out.write(payload, pos, 'utf8');
  else payload.copy(out, pos);
  return out;
}
