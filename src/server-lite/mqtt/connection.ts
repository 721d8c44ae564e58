// One MQTT client connection on the server side: frames and parses what the peer sends (the protocol version learnt
// from its CONNECT), answers CONNECT, PINGREQ and the acknowledgements, bounds what the peer can hold (time to
// CONNECT, keep-alive, packet size, packets awaiting an answer, bytes it does not read), and hands the rest to the
// session its handler accepted the CONNECT with. See index.ts for the API.

import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import {
  generate,
  type IConnackPacket,
  type IConnectPacket,
  type IPublishPacket,
  type ISubscribePacket,
  type IUnsubscribePacket,
  type Packet,
  parser,
} from 'mqtt-packet';
import { gatherWrites } from '../gather-writes.js';
import { peerCertificates } from '../peer-certificates.js';
import { REFUSALS, ReasonCode, type Refusal } from './codes.js';
import { frameLength, INCOMPLETE, MALFORMED, readPublish, writePublish } from './frames.js';

export type ProtocolVersion = 3 | 4 | 5;

export interface MqttLimits {
  /** A client must have sent its whole CONNECT within this (ms). */
  connectTimeoutMs: number;
  /** Packets larger than this (in bytes, header included) are refused: MQTT 5 DISCONNECT 0x95, 3.1.1 closes. */
  maxPacketSize: number;
  /** Bytes written to a peer and not yet taken by it beyond which it is dropped (a peer that stopped reading). */
  maxWriteBuffer: number;
  /**
   * Packets of one connection awaiting their session's answer (announced as the MQTT 5 receive maximum), and the
   * payload bytes of those; beyond either, the connection is not read until answers go out.
   */
  maxInflightIn: number;
  maxInflightInBytes: number;
  /** QoS 1 PUBLISHes to the peer awaiting its PUBACK (and at most the MQTT 5 peer's receive maximum). */
  maxInflightOut: number;
}

export const DEFAULT_MQTT_LIMITS: MqttLimits = {
  connectTimeoutMs: 10_000,
  maxPacketSize: 256 * 1024 + 64 * 1024,
  maxWriteBuffer: 1024 * 1024,
  // Group commit acknowledges within a few ms, so a hundred keeps a device at tens of thousands of messages/s; and
  // fewer messages alive at once leave the GC less to copy (QoS 0 scavenges: 11.2 ms with 1,000, 7.4 ms with 100).
  maxInflightIn: 100,
  maxInflightInBytes: 1024 * 1024,
  maxInflightOut: 64,
};

/** Where the layer reports what the peers did wrong (RateLimitedLog fits), and each connection it dropped for it. */
export interface MqttLog {
  warn(kind: string, obj: object, msg: string): void;
  /** A connection closed for a protocol violation, a CONNECT timeout, a keep-alive timeout or not reading. */
  dropped?(reason: string): void;
}

/** Accepts a CONNECT with a session, or refuses it (the CONNACK carries the version's code for the refusal). */
export type ConnectOutcome =
  | { session: MqttSession; properties?: IConnackPacket['properties'] }
  | { refuse: Refusal; reason?: string };

export type ConnectHandler = (
  connection: MqttConnection,
  packet: IConnectPacket,
) => ConnectOutcome | Promise<ConnectOutcome>;

/** A PUBLISH the session did not accept: an MQTT 5 reason code (0x80 and up) and why, in one line. */
export interface PublishRefusal {
  reasonCode: number;
  reason: string;
}

/** What an accepted CONNECT goes on with. Answers may be promises: the connection answers in the order received. */
export interface MqttSession {
  /**
   * An inbound PUBLISH (QoS 0 or 1; QoS 2 is refused before). Resolves once the message is accepted (the PUBACK is
   * sent then), or with a refusal: MQTT 5 PUBACK with its code at QoS 1 (DISCONNECT for codes a PUBACK cannot
   * carry, and at QoS 0); MQTT 3.1.1 closes the connection.
   */
  publish(packet: IPublishPacket): PublishRefusal | undefined | Promise<PublishRefusal | undefined>;
  /** The SUBACK's codes, one per filter: the granted QoS (0, 1) or a failure (0x80 and up; 3.1.1 sends 0x80). */
  subscribe(packet: ISubscribePacket): number[] | Promise<number[]>;
  /** The UNSUBACK's MQTT 5 reason codes, one per filter (default: all success). */
  unsubscribe?(packet: IUnsubscribePacket): number[] | undefined | Promise<number[] | undefined>;
  /** The connection is closed, once: `graceful` when the peer sent DISCONNECT (not "with will"). */
  closed(info: CloseInfo): void;
}

export interface CloseInfo {
  /** The peer sent DISCONNECT (MQTT 5: other than 0x04 "with will"): its will must not be published. */
  graceful: boolean;
  /** Why, for logs: `disconnect`, `connection lost`, `keep-alive timeout`, `taken over`, ... */
  reason: string;
}

export interface OutboundMessage {
  topic: string;
  /** A string goes out as UTF-8, written straight into the packet. */
  payload: Buffer | string;
  qos?: 0 | 1;
  /** MQTT 5 only (ignored for 3.1.1). */
  properties?: IPublishPacket['properties'];
}

/** `sent`; or not sent: `closed`, `inflight-full` (QoS 1 awaiting PUBACKs), `too-large` (beyond the peer's maximum). */
export type PublishOutcome = 'sent' | 'closed' | 'inflight-full' | 'too-large';

const CONNECTING = 0;
const AUTHENTICATING = 1;
const CONNECTED = 2;
const CLOSING = 3;
const CLOSED = 4;
type State = typeof CONNECTING | typeof AUTHENTICATING | typeof CONNECTED | typeof CLOSING | typeof CLOSED;

const CONNECT_BYTE = 0x10;
const TYPE_CONNECT = 1;
/** The reason codes a PUBACK may carry (MQTT 5, 3.4.2.1); other refusals become a DISCONNECT. */
const PUBACK_CODES = new Set([0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99]);

/**
 * mqtt-packet's parser fed whole frames only, so one per protocol version serves every connection. After a frame it
 * could not parse, a new parser (mqtt-packet's keeps a stale read position after an error).
 */
class FrameParser {
  private parser!: ReturnType<typeof parser>;
  private packet?: Packet;
  private error?: Error;

  constructor(private readonly protocolVersion: ProtocolVersion | undefined) {
    this.renew();
  }

  /** The packet in one whole frame, or the parse error. */
  parse(frame: Buffer): Packet | Error {
    this.parser.parse(frame);
    const { packet, error } = this;
    this.packet = undefined;
    this.error = undefined;
    if (packet && !error) return packet;
    this.renew();
    return error ?? new Error('incomplete packet');
  }

  private renew(): void {
    const { protocolVersion } = this;
    this.parser = parser(protocolVersion === undefined ? {} : { protocolVersion });
    this.parser.on('packet', (packet) => {
      this.packet = packet;
    });
    this.parser.on('error', (error: Error) => {
      this.error = error;
    });
  }
}

const connectParser = new FrameParser(undefined);
const parsers: Record<ProtocolVersion, FrameParser> = {
  3: new FrameParser(3),
  4: new FrameParser(4),
  5: new FrameParser(5),
};

interface PendingReply {
  packet: IPublishPacket | ISubscribePacket | IUnsubscribePacket;
  bytes: number;
  settled: boolean;
  value: unknown;
}

export class MqttConnection {
  /** From the CONNECT (undefined before). */
  protocolVersion?: ProtocolVersion;
  clientId = '';
  private state: State = CONNECTING;
  private session?: MqttSession;
  private timer?: NodeJS.Timeout;
  private keepAliveMs = 0;
  private lastPacketAt = 0;
  /** Received bytes not yet framed, and the length of the frame they begin (-1: its header is incomplete). */
  private received?: Buffer[];
  private receivedBytes = 0;
  private frameBytes = -1;
  private paused = false;
  /** Inbound packets in order of arrival whose answer is not written yet. */
  private replies?: PendingReply[];
  private repliesBytes = 0;
  /** Outbound QoS 1 packet ids awaiting PUBACK, and what to call then. */
  private inflightOut?: Map<number, (reasonCode: number) => void>;
  private nextPacketId = 1;
  private peerMaxPacketSize = 0;
  private peerReceiveMaximum = 0xffff;
  private graceful = false;
  private closeReason = 'connection lost';
  private drainWaiters?: Array<() => void>;

  constructor(
    private readonly socket: Socket,
    private readonly onConnect: ConnectHandler,
    private readonly limits: MqttLimits,
    private readonly log?: MqttLog,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {});
    socket.on('close', () => this.onClose());
    socket.on('drain', () => this.onDrain());
    this.timer = setTimeout(() => this.onConnectTimeout(), limits.connectTimeoutMs);
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  /** Over TLS. */
  get secure(): boolean {
    return 'encrypted' in this.socket;
  }

  get closed(): boolean {
    return this.state >= CLOSING;
  }

  /** Bytes written and not yet taken by the peer. */
  get writableLength(): number {
    return this.socket.writableLength;
  }

  /** The TLS client's certificate chain (DER, leaf first); empty without one. */
  peerCertificates(): Buffer[] {
    return this.secure ? peerCertificates(this.socket) : [];
  }

  /**
   * Sends a PUBLISH (only once connected). QoS 1 takes `onAck`, called with the PUBACK's reason code (0 for 3.1.1);
   * not called when the connection closes first.
   */
  publish(message: OutboundMessage, onAck?: (reasonCode: number) => void): PublishOutcome {
    if (this.state !== CONNECTED) return 'closed';
    const qos = message.qos ?? 0;
    let messageId: number | undefined;
    if (qos === 1) {
      this.inflightOut ??= new Map();
      if (this.inflightOut.size >= Math.min(this.limits.maxInflightOut, this.peerReceiveMaximum)) {
        return 'inflight-full';
      }
      messageId = this.allocatePacketId();
    }
    const v5 = this.protocolVersion === 5;
    const { topic, payload } = message;
    const properties = v5 ? message.properties : undefined;
    // Without properties, written directly; else (or when too long for that) by mqtt-packet.
    const bytes =
      (properties === undefined ? writePublish(topic, payload, qos, messageId ?? 0, v5) : undefined) ??
      this.encode({ cmd: 'publish', topic, payload, qos, dup: false, retain: false, messageId, properties });
    if (!bytes) return 'closed';
    if (this.peerMaxPacketSize > 0 && bytes.length > this.peerMaxPacketSize) return 'too-large';
    if (messageId !== undefined) this.inflightOut!.set(messageId, onAck ?? (() => {}));
    return this.write(bytes) ? 'sent' : 'closed';
  }

  /** Resolves once the bytes written so far have been taken by the peer's socket (or it closed). */
  whenDrained(): Promise<void> {
    if (!this.socket.writableNeedDrain || this.state === CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.drainWaiters ??= [];
      this.drainWaiters.push(resolve);
    });
  }

  /**
   * Closes the connection: MQTT 5 first sends DISCONNECT with the reason code (e.g. 0x8E Session taken over);
   * `reason` is what the session's `closed` is told (and the MQTT 5 reason string).
   */
  disconnect(reasonCode: number = ReasonCode.NormalDisconnection, reason = 'closed by the server'): void {
    if (this.state >= CLOSING) return;
    this.closeReason = reason;
    if (this.state === CONNECTED && this.protocolVersion === 5) {
      const bytes = this.encode({ cmd: 'disconnect', reasonCode, properties: { reasonString: reason } });
      this.end(bytes);
    } else if (this.state === CONNECTED) {
      this.end();
    } else {
      this.destroy(reason);
    }
  }

  // Receiving

  private onData(chunk: Buffer): void {
    if (this.state >= CLOSING) return;
    if (this.received) this.received.push(chunk);
    else this.received = [chunk];
    this.receivedBytes += chunk.length;
    this.processFrames();
  }

  /** Takes whole frames off the received bytes while the connection may go on reading. */
  private processFrames(): void {
    while (this.received && !this.paused && this.state < CLOSING) {
      if (this.frameBytes < 0) {
        if (this.received[0].length < 5 && this.received.length > 1) this.received = [Buffer.concat(this.received)];
        const head = this.received[0];
        if (this.state === CONNECTING && head[0] !== CONNECT_BYTE) {
          this.drop('not MQTT: no CONNECT');
          return;
        }
        const length = frameLength(head);
        if (length === INCOMPLETE) break;
        if (length === MALFORMED) {
          this.protocolError(ReasonCode.MalformedPacket, 'malformed packet length');
          return;
        }
        if (length > this.limits.maxPacketSize) {
          this.tooLarge(length);
          return;
        }
        this.frameBytes = length;
      }
      if (this.receivedBytes < this.frameBytes) break;
      const frame = this.take(this.frameBytes);
      this.frameBytes = -1;
      this.onFrame(frame);
    }
    if (this.paused && this.received && this.state < CLOSING) {
      // Back into the socket: what the peer sent is read (and the peer's end seen) only once it is processed.
      const rest = this.received.length === 1 ? this.received[0] : Buffer.concat(this.received);
      this.received = undefined;
      this.receivedBytes = 0;
      this.frameBytes = -1;
      this.socket.pause();
      this.socket.unshift(rest);
    }
    if (this.paused !== this.socket.isPaused()) {
      if (this.paused) this.socket.pause();
      else this.socket.resume();
    }
  }

  private take(bytes: number): Buffer {
    let first = this.received![0];
    if (first.length < bytes) {
      first = Buffer.concat(this.received!);
      this.received = [first];
    }
    if (first.length === bytes) this.received!.shift();
    else this.received![0] = first.subarray(bytes);
    this.receivedBytes -= bytes;
    if (this.received!.length === 0) this.received = undefined;
    return first.length === bytes ? first : first.subarray(0, bytes);
  }

  private onFrame(frame: Buffer): void {
    this.lastPacketAt = Date.now();
    const type = frame[0] >> 4;
    if (this.state === CONNECTING) {
      const packet = connectParser.parse(frame);
      if (packet instanceof Error || packet.cmd !== 'connect') {
        this.drop(`bad CONNECT: ${errorText(packet)}`);
        return;
      }
      this.onConnectPacket(packet);
      return;
    }
    if (type === TYPE_CONNECT) {
      this.protocolError(ReasonCode.ProtocolError, 'a second CONNECT');
      return;
    }
    const packet = readPublish(frame, this.protocolVersion === 5) ?? parsers[this.protocolVersion!].parse(frame);
    if (packet instanceof Error) {
      this.protocolError(ReasonCode.MalformedPacket, packet.message);
      return;
    }
    switch (packet.cmd) {
      case 'publish':
        this.onPublish(packet);
        return;
      case 'puback':
        this.onPuback(packet.messageId!, packet.reasonCode ?? 0);
        return;
      case 'subscribe':
        this.answer(packet, () => this.session!.subscribe(packet));
        return;
      case 'unsubscribe':
        this.answer(packet, () => this.session!.unsubscribe?.(packet));
        return;
      case 'pingreq':
        this.write(PINGRESP);
        return;
      case 'disconnect':
        this.graceful = packet.reasonCode !== ReasonCode.DisconnectWithWill;
        this.closeReason = 'disconnect';
        this.end();
        return;
      default:
        this.protocolError(ReasonCode.ProtocolError, `unexpected ${packet.cmd.toUpperCase()}`);
        return;
    }
  }

  private onConnectPacket(packet: IConnectPacket): void {
    const version = (packet.protocolVersion ?? 4) as ProtocolVersion;
    this.protocolVersion = version;
    this.clientId = packet.clientId;
    this.keepAliveMs = (packet.keepalive ?? 0) * 1500;
    if (version === 5) {
      this.peerMaxPacketSize = packet.properties?.maximumPacketSize ?? 0;
      this.peerReceiveMaximum = packet.properties?.receiveMaximum ?? 0xffff;
      if (packet.will?.qos === 2) {
        this.refuse('qos-not-supported', 'QoS 2 is not supported');
        return;
      }
      if (packet.properties?.authenticationMethod !== undefined) {
        this.refuse('unspecified', 'enhanced authentication is not supported');
        return;
      }
    }
    this.state = AUTHENTICATING;
    this.paused = true;
    settle(
      () => this.onConnect(this, packet),
      (outcome) => this.onConnectOutcome(outcome),
      (err) => {
        this.log?.warn('mqtt-connect-handler', { error: errorText(err) }, 'an MQTT CONNECT failed');
        this.onConnectOutcome({ refuse: 'unavailable', reason: 'the server cannot take the connection now' });
      },
    );
  }

  private onConnectOutcome(outcome: ConnectOutcome): void {
    if ('refuse' in outcome) {
      this.refuse(outcome.refuse, outcome.reason);
      return;
    }
    if (this.state !== AUTHENTICATING) {
      // Gone while authenticating: the session still learns that it is closed.
      outcome.session.closed({ graceful: false, reason: this.closeReason });
      return;
    }
    this.session = outcome.session;
    this.state = CONNECTED;
    const connack: IConnackPacket =
      this.protocolVersion === 5
        ? {
            cmd: 'connack',
            sessionPresent: false,
            reasonCode: 0,
            properties: {
              maximumPacketSize: this.limits.maxPacketSize,
              receiveMaximum: this.limits.maxInflightIn,
              maximumQoS: 1,
              ...(this.clientId === '' ? { assignedClientIdentifier: `auto-${randomUUID()}` } : {}),
              ...outcome.properties,
            },
          }
        : { cmd: 'connack', sessionPresent: false, returnCode: 0 };
    this.send(connack);
    this.startKeepAlive();
    this.paused = false;
    this.processFrames();
  }

  private refuse(refusal: Refusal, reason?: string): void {
    if (this.state >= CLOSING) return;
    const [v3code, v5code] = REFUSALS[refusal];
    this.closeReason = `refused: ${reason ?? refusal}`;
    const connack: IConnackPacket =
      this.protocolVersion === 5
        ? {
            cmd: 'connack',
            sessionPresent: false,
            reasonCode: v5code,
            properties: reason === undefined ? undefined : { reasonString: reason },
          }
        : { cmd: 'connack', sessionPresent: false, returnCode: v3code };
    this.end(this.encode(connack));
  }

  private onPublish(packet: IPublishPacket): void {
    if (packet.qos === 2) {
      this.protocolError(ReasonCode.QoSNotSupported, 'QoS 2 is not supported');
      return;
    }
    if (packet.properties?.topicAlias !== undefined) {
      this.protocolError(ReasonCode.TopicAliasInvalid, 'topic aliases are not supported');
      return;
    }
    this.answer(packet, () => this.session!.publish(packet));
  }

  /** Runs the session's handler and writes its answer in the order the packets came. */
  private answer(packet: PendingReply['packet'], run: () => unknown): void {
    let value: unknown;
    let promise: Promise<unknown> | undefined;
    try {
      value = run();
      if (value instanceof Promise) promise = value;
    } catch (err) {
      value = this.handlerFailure(err);
    }
    if (!promise && !this.replies?.length) {
      this.reply(packet, value);
      return;
    }
    const bytes = packet.cmd === 'publish' ? packet.payload.length : 0;
    const pending: PendingReply = { packet, bytes, settled: !promise, value };
    this.replies ??= [];
    this.replies.push(pending);
    this.repliesBytes += bytes;
    if (this.repliesFull()) this.paused = true;
    promise?.then(
      (result) => this.settleReply(pending, result),
      (err) => this.settleReply(pending, this.handlerFailure(err)),
    );
  }

  private settleReply(pending: PendingReply, value: unknown): void {
    pending.settled = true;
    pending.value = value;
    if (this.state >= CLOSING || this.replies![0] !== pending) return;
    this.socket.cork();
    while (this.replies!.length > 0 && this.replies![0].settled && this.state < CLOSING) {
      const head = this.replies!.shift()!;
      this.repliesBytes -= head.bytes;
      this.reply(head.packet, head.value);
    }
    this.socket.uncork();
    if (this.paused && this.state === CONNECTED && !this.repliesFull()) {
      this.paused = false;
      this.processFrames();
    }
  }

  private repliesFull(): boolean {
    const { maxInflightIn, maxInflightInBytes } = this.limits;
    return this.replies!.length >= maxInflightIn || this.repliesBytes >= maxInflightInBytes;
  }

  private handlerFailure(err: unknown): PublishRefusal {
    this.log?.warn('mqtt-session-handler', { error: errorText(err) }, 'an MQTT session handler failed');
    return { reasonCode: ReasonCode.UnspecifiedError, reason: 'the server failed to handle the packet' };
  }

  private reply(packet: PendingReply['packet'], value: unknown): void {
    if (this.state >= CLOSING) return;
    const v5 = this.protocolVersion === 5;
    if (packet.cmd === 'publish') {
      const refusal = value as PublishRefusal | undefined;
      if (refusal === undefined) {
        if (packet.qos === 1) this.write(puback(packet.messageId!));
      } else if (v5 && packet.qos === 1 && PUBACK_CODES.has(refusal.reasonCode)) {
        const properties = { reasonString: refusal.reason };
        this.send({ cmd: 'puback', messageId: packet.messageId, reasonCode: refusal.reasonCode, properties });
      } else {
        this.protocolError(refusal.reasonCode, refusal.reason);
      }
    } else if (packet.cmd === 'subscribe') {
      const codes = Array.isArray(value) ? (value as number[]) : packet.subscriptions.map(() => 0x80);
      const granted = v5 ? codes : codes.map((code) => Math.min(code, 0x80));
      this.send({ cmd: 'suback', messageId: packet.messageId, granted });
    } else {
      const codes = Array.isArray(value) ? (value as number[]) : packet.unsubscriptions.map(() => (value ? 0x80 : 0));
      this.send({ cmd: 'unsuback', messageId: packet.messageId, granted: codes });
    }
  }

  private onPuback(messageId: number, reasonCode: number): void {
    const onAck = this.inflightOut?.get(messageId);
    if (!onAck) return;
    this.inflightOut!.delete(messageId);
    onAck(reasonCode);
  }

  private allocatePacketId(): number {
    let id = this.nextPacketId;
    while (this.inflightOut!.has(id)) id = id === 0xffff ? 1 : id + 1;
    this.nextPacketId = id === 0xffff ? 1 : id + 1;
    return id;
  }

  // Timers

  private onConnectTimeout(): void {
    this.timer = undefined;
    if (this.state > AUTHENTICATING) return;
    const message = `closed a connection that sent no whole CONNECT within ${this.limits.connectTimeoutMs} ms`;
    this.log?.warn('mqtt-connect-timeout', { address: this.remoteAddress }, message);
    this.drop('connect timeout');
  }

  private startKeepAlive(): void {
    clearTimeout(this.timer);
    this.timer = this.keepAliveMs > 0 ? setTimeout(() => this.checkKeepAlive(), this.keepAliveMs) : undefined;
  }

  private checkKeepAlive(): void {
    const idle = Date.now() - this.lastPacketAt;
    if (idle < this.keepAliveMs) {
      this.timer = setTimeout(() => this.checkKeepAlive(), this.keepAliveMs - idle);
      return;
    }
    this.timer = undefined;
    this.protocolError(ReasonCode.KeepAliveTimeout, 'keep-alive timeout');
  }

  // Sending and closing

  private encode(packet: Packet): Buffer | undefined {
    try {
      const opts = {
        protocolVersion: this.protocolVersion ?? 4,
        maximumPacketSize: this.peerMaxPacketSize || undefined,
      };
      return generate(packet, opts);
    } catch (err) {
      this.log?.warn('mqtt-encode', { cmd: packet.cmd, error: errorText(err) }, 'cannot encode an MQTT packet');
      return undefined;
    }
  }

  private send(packet: Packet): boolean {
    const bytes = this.encode(packet);
    return bytes !== undefined && this.write(bytes);
  }

  /**
   * Writes; a peer holding more unread bytes than the bound is dropped. The writes of one turn of the event loop
   * (a batch of events delivered, the PUBACKs of one commit) leave in one system call.
   */
  private write(bytes: Buffer): boolean {
    if (this.state >= CLOSING) return false;
    gatherWrites(this.socket);
    this.socket.write(bytes);
    if (this.socket.writableLength > this.limits.maxWriteBuffer) {
      const message = `dropped an MQTT client that holds more than ${this.limits.maxWriteBuffer} unread bytes`;
      this.log?.warn('mqtt-slow-reader', { address: this.remoteAddress, clientId: this.clientId }, message);
      this.drop('not reading');
      return false;
    }
    return true;
  }

  /** A protocol violation (or a refusal without an answer packet): MQTT 5 DISCONNECT with the code, else closed. */
  private protocolError(reasonCode: number, reason: string): void {
    if (this.state >= CLOSING) return;
    this.closeReason = reason;
    this.log?.dropped?.(reason);
    if (this.state === CONNECTED && this.protocolVersion === 5) {
      this.end(this.encode({ cmd: 'disconnect', reasonCode, properties: { reasonString: reason } }));
    } else {
      this.destroy(reason);
    }
  }

  private tooLarge(bytes: number): void {
    if (this.state === CONNECTING) {
      this.drop('CONNECT too large');
      return;
    }
    this.protocolError(
      ReasonCode.PacketTooLarge,
      `packet of ${bytes} bytes exceeds the maximum of ${this.limits.maxPacketSize}`,
    );
  }

  /** Sends the last bytes, then closes (destroyed once they are flushed, or at once if the peer does not read). */
  private end(last?: Buffer): void {
    if (this.state >= CLOSING) return;
    this.state = CLOSING;
    this.received = undefined;
    clearTimeout(this.timer);
    if (this.socket.writableLength > this.limits.maxWriteBuffer) {
      this.socket.destroy();
      return;
    }
    if (last) this.socket.write(last);
    this.socket.end(() => this.socket.destroy());
    // A peer that never takes the last bytes does not keep the socket.
    this.timer = setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  /** Closes a connection that broke the rules. */
  private drop(reason: string): void {
    if (this.state >= CLOSING) return;
    this.log?.dropped?.(reason);
    this.destroy(reason);
  }

  private destroy(reason: string): void {
    if (this.state < CLOSING) this.closeReason = reason;
    this.state = CLOSING;
    this.received = undefined;
    this.socket.destroy();
  }

  private onDrain(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = undefined;
    for (const resolve of waiters ?? []) resolve();
  }

  private onClose(): void {
    const wasConnected = this.session !== undefined;
    this.state = CLOSED;
    clearTimeout(this.timer);
    this.received = undefined;
    this.replies = undefined;
    this.inflightOut = undefined;
    this.onDrain();
    if (wasConnected) this.session!.closed({ graceful: this.graceful, reason: this.closeReason });
  }
}

const PINGRESP = Buffer.from([0xd0, 0x00]);

/** A PUBACK with success: the same bytes for 3.1.1 and 5 (MQTT 5 may leave the reason code out when 0). */
function puback(messageId: number): Buffer {
  return Buffer.from([0x40, 0x02, messageId >> 8, messageId & 0xff]);
}

/** Calls `run` and hands its result, awaited if a promise, to `then`, or what it threw to `fail`. */
function settle<T>(run: () => T | Promise<T>, then: (value: T) => void, fail: (err: unknown) => void): void {
  let result: T | Promise<T>;
  try {
    result = run();
  } catch (err) {
    fail(err);
    return;
  }
  if (result instanceof Promise) result.then(then, fail);
  else then(result);
}

function errorText(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0];
}
