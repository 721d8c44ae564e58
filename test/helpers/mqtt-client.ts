// A raw MQTT client for tests of drg serve's MQTT server side: it writes mqtt-packet's bytes (or raw ones) and
// parses what it receives for its protocol version, for the cases mosquitto cannot produce.
import { connect as netConnect, type Socket } from 'node:net';
import { generate, type IConnectPacket, type Packet, parser } from 'mqtt-packet';

export type MqttVersion = 4 | 5;

export class RawMqttClient {
  private readonly received: Packet[] = [];
  private readonly waiting: Array<(packet: Packet) => void> = [];
  /** Resolves once the server (or the test) closed the connection. */
  readonly closed: Promise<void>;

  /** On a connected socket (TCP or TLS). */
  constructor(
    readonly socket: Socket,
    readonly version: MqttVersion,
  ) {
    const p = parser({ protocolVersion: version });
    p.on('packet', (packet) => {
      const waiter = this.waiting.shift();
      if (waiter) waiter(packet);
      else this.received.push(packet);
    });
    socket.on('data', (chunk) => p.parse(chunk));
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  /** Connected to the loopback port; sends a CONNECT with these fields, unless null. */
  static async open(
    port: number,
    version: MqttVersion,
    connect: Partial<IConnectPacket> | null = {},
  ): Promise<RawMqttClient> {
    const socket = netConnect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const client = new RawMqttClient(socket, version);
    if (connect) client.send({ cmd: 'connect', clientId: 'c', protocolVersion: version, clean: true, ...connect });
    return client;
  }

  send(packet: Packet): void {
    this.socket.write(generate(packet, { protocolVersion: this.version }));
  }

  /** The next packet received, now or once it arrives. */
  next(): Promise<Packet> {
    const packet = this.received.shift();
    return packet ? Promise.resolve(packet) : new Promise((resolve) => this.waiting.push(resolve));
  }

  /** The next packet, or undefined when the connection closes first. */
  nextOrClose(): Promise<Packet | undefined> {
    return Promise.race([this.next(), this.closed.then(() => undefined)]);
  }
}
