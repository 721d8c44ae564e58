// An MQTT port (TCP, and optionally TLS on a second port) whose connections are MqttConnections answered by one
// CONNECT handler. It binds on start, holds the connections that arrive until open(), bounds how many are open,
// and on close tells every client that the server is shutting down. See index.ts for the API.
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { StartError } from '../runtime.js';
import { ReasonCode } from './codes.js';
import {
  type ConnectHandler,
  DEFAULT_MQTT_LIMITS,
  MqttConnection,
  type MqttLimits,
  type MqttLog,
} from './connection.js';

export interface MqttListenerLimits extends MqttLimits {
  /** Connections beyond this many get CONNACK "server busy"; a few more beyond that are closed as they come. */
  maxConnections: number;
}

export const DEFAULT_MQTT_LISTENER_LIMITS: MqttListenerLimits = { ...DEFAULT_MQTT_LIMITS, maxConnections: 20_000 };

/** Connections over the limit that are still read, to refuse their CONNECT with a CONNACK. */
const REFUSAL_SLACK = 64;

export interface MqttListenerOptions {
  /** What the port is, for errors and logs: `the MQTT device endpoint`. */
  name: string;
  /** The flags that choose the ports, for the error when one is taken: `--mqtt-port` (and `--mqtts-port`). */
  flags?: { port: string; tlsPort?: string };
  /** 0 picks a free one. */
  port: number;
  bind: string;
  /** MQTT over TLS on a second port, asking clients for a certificate (not checked here: read peerCertificates()). */
  tls?: { port: number; key: string; cert: string };
  connect: ConnectHandler;
  limits?: Partial<MqttListenerLimits>;
  log?: MqttLog;
}

export class MqttListener {
  readonly limits: MqttListenerLimits;
  private readonly tcp: Server;
  private readonly tls?: TlsServer;
  private readonly connections = new Set<MqttConnection>();
  private held: Socket[] | undefined = [];
  private closing = false;
  private ports?: { tcp: number; tls?: number };
  private allClosed?: () => void;

  constructor(private readonly options: MqttListenerOptions) {
    this.limits = { ...DEFAULT_MQTT_LISTENER_LIMITS, ...options.limits };
    const hardLimit = this.limits.maxConnections + REFUSAL_SLACK;
    this.tcp = createServer((socket) => this.onSocket(socket));
    this.tcp.maxConnections = hardLimit;
    if (options.tls) {
      this.tls = createTlsServer(
        {
          key: options.tls.key,
          cert: options.tls.cert,
          requestCert: true,
          rejectUnauthorized: false,
          handshakeTimeout: this.limits.connectTimeoutMs,
        },
        (socket) => this.onSocket(socket),
      );
      this.tls.maxConnections = hardLimit;
      this.tls.on('tlsClientError', (err: Error) => {
        options.log?.warn('mqtt-tls-handshake', { error: err.message }, `a TLS handshake with ${options.name} failed`);
      });
    }
    const dropped = () => {
      const message = `refused a connection to ${options.name}: ${hardLimit} are open`;
      options.log?.warn('mqtt-connection-limit', {}, message);
    };
    this.tcp.on('drop', dropped);
    this.tls?.on('drop', dropped);
  }

  /** The TCP port, once listening. */
  get port(): number {
    return this.listening().tcp;
  }

  /** The TLS port, once listening (undefined without TLS). */
  get tlsPort(): number | undefined {
    return this.listening().tls;
  }

  /** Open connections (those being refused included). */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Binds the ports; connections are held until open(). */
  async start(): Promise<void> {
    const { bind, flags } = this.options;
    const tcp = await listen(this.tcp, this.options.port, bind, this.options.name, flags?.port);
    let tls: number | undefined;
    try {
      if (this.tls) {
        tls = await listen(this.tls, this.options.tls!.port, bind, `${this.options.name} (TLS)`, flags?.tlsPort);
      }
    } catch (err) {
      await new Promise((resolve) => this.tcp.close(resolve));
      throw err;
    }
    this.ports = { tcp, tls };
  }

  /** Answers the connections from now on, those held first. */
  open(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const socket of held) if (!socket.destroyed) this.accept(socket);
  }

  /** Stops accepting; every client is told the server is shutting down (MQTT 5) and closed. */
  async close(): Promise<void> {
    this.closing = true;
    for (const socket of this.held ?? []) socket.destroy();
    this.held = undefined;
    const closed = [this.tcp, ...(this.tls ? [this.tls] : [])].map(
      (server) => new Promise<void>((resolve) => server.close(() => resolve())),
    );
    const gone = new Promise<void>((resolve) => {
      this.allClosed = resolve;
      if (this.connections.size === 0) resolve();
    });
    for (const connection of this.connections) {
      connection.disconnect(ReasonCode.ServerShuttingDown, 'the server is shutting down');
    }
    // Their sessions have been told they are closed once this resolves.
    await Promise.all([...closed, gone]);
  }

  private onSocket(socket: Socket): void {
    socket.on('error', () => {});
    if (this.closing) socket.destroy();
    else if (this.held) this.held.push(socket);
    else this.accept(socket);
  }

  private accept(socket: Socket): void {
    const full = this.connections.size >= this.limits.maxConnections;
    const connection = new MqttConnection(
      socket,
      full ? this.busy : this.options.connect,
      this.limits,
      this.options.log,
    );
    this.connections.add(connection);
    socket.once('close', () => {
      this.connections.delete(connection);
      if (this.connections.size === 0) this.allClosed?.();
    });
  }

  private readonly busy: ConnectHandler = () => {
    const message = `refused an MQTT client of ${this.options.name}: ${this.limits.maxConnections} connections are open`;
    this.options.log?.warn('mqtt-busy', {}, message);
    return { refuse: 'busy', reason: 'too many connections' };
  };

  private listening(): { tcp: number; tls?: number } {
    if (!this.ports) throw new Error(`${this.options.name} is not listening`);
    return this.ports;
  }
}

/** The host discovery names for a bind address: loopback for a wildcard one. */
export function advertisedHost(bind: string): string {
  if (bind === '0.0.0.0' || bind === '') return '127.0.0.1';
  if (bind === '::') return '::1';
  return bind;
}

async function listen(server: Server, port: number, host: string, name: string, flag?: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host }, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: NodeJS.ErrnoException) => {
    const why =
      err.code === 'EADDRINUSE'
        ? `the port is already in use${flag ? `: pick another with ${flag}` : ''}`
        : err.message;
    throw new StartError(`cannot listen on ${host} port ${port} for ${name}: ${why}`, 'listen', { cause: err });
  });
  server.on('error', () => {});
  return (server.address() as AddressInfo).port;
}
