// The MQTT device endpoint (docs/drogue-api.md, "Device endpoints"), MQTT 3.1.1 and 5 on `--mqtt-port` and, with
// TLS material, on `--mqtts-port`: devices connect as `device@app` with a password, or with an X.509 client
// certificate over TLS; only clean sessions; one connection per device (a second takes over). The sessions
// (session.ts) turn publishes into events and take commands.
import type { IConnectPacket } from 'mqtt-packet';
import type { Endpoints } from '../../../model/endpoints.js';
import type { EventBus } from '../../events/log.js';
import type { RateLimitedLog } from '../../log-limit.js';
import {
  advertisedHost,
  type ConnectOutcome,
  type MqttConnection,
  MqttListener,
  type MqttListenerLimits,
  type Refusal,
} from '../../mqtt/index.js';
import type { Component } from '../../runtime.js';
import { type AuthenticatedDevice, type DeviceAuthOutcome, deviceAtApp } from '../auth.js';
import type { DevicesComponent } from '../component.js';
import { DeviceSession, type SessionContext, type Will } from './session.js';
import { dialectOf, publishTarget, topicForms } from './topics.js';

export const DEFAULT_MQTT_PORT = 1883;
export const DEFAULT_MQTTS_PORT = 8883;

/** Room for the topic and properties beside the largest payload, in a packet. */
const PACKET_OVERHEAD = 64 * 1024;

export interface MqttEndpointOptions {
  port: number;
  bind: string;
  /** MQTT over TLS on `tlsPort` with this key and certificate (TlsComponent fits; read on start). */
  tls?: { readonly material: { key: string; cert: string } };
  tlsPort?: number;
  devices: DevicesComponent;
  /** Started before this: the event log. */
  events: { readonly bus: EventBus };
  log: RateLimitedLog;
  /** Defaults: DEFAULT_MQTT_LISTENER_LIMITS, the packet size from the devices' maxPayload. */
  limits?: Partial<MqttListenerLimits>;
}

export class MqttEndpointComponent implements Component {
  readonly name = 'mqtt-device-endpoint';
  private listener?: MqttListener;
  /** app → device → its session. */
  private readonly sessions = new Map<string, Map<string, DeviceSession>>();
  private context?: SessionContext;
  private unsubscribe?: () => void;

  constructor(private readonly options: MqttEndpointOptions) {}

  /** The TCP port, once started. */
  get port(): number {
    return this.listening().port;
  }

  /** The TLS port, once started (undefined without TLS). */
  get tlsPort(): number | undefined {
    return this.listening().tlsPort;
  }

  async start(): Promise<void> {
    const { devices, log } = this.options;
    const tls =
      this.options.tls && this.options.tlsPort !== undefined
        ? { port: this.options.tlsPort, ...this.options.tls.material }
        : undefined;
    const listener = new MqttListener({
      name: 'the MQTT device endpoint',
      flags: { port: '--mqtt-port', tlsPort: '--mqtts-port' },
      port: this.options.port,
      bind: this.options.bind,
      tls,
      connect: (connection, packet) => this.connect(connection, packet),
      limits: { maxPacketSize: devices.maxPayload + PACKET_OVERHEAD, ...this.options.limits },
      log: {
        warn: (kind, obj, msg) => log.warn(kind, obj, msg),
        dropped: () => {
          devices.counters.droppedConnections.mqtt++;
        },
      },
    });
    await listener.start();
    this.listener = listener;
    this.context = {
      devices,
      bus: this.options.events.bus,
      log,
      released: (session) => this.released(session),
    };
    this.unsubscribe = devices.authenticator.onChange((app, device) => this.registryChanged(app, device));
  }

  open(): void {
    this.listening().open();
  }

  async close(): Promise<void> {
    await this.listener?.close();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.listener = undefined;
  }

  endpoints(): Endpoints {
    const host = advertisedHost(this.options.bind);
    const { port, tlsPort } = this.listening();
    return { mqtt: { host, port }, ...(tlsPort === undefined ? {} : { mqtts: { host, port: tlsPort } }) };
  }

  private async connect(connection: MqttConnection, packet: IConnectPacket): Promise<ConnectOutcome> {
    const persistent =
      packet.clean === false || (packet.protocolVersion === 5 && (packet.properties?.sessionExpiryInterval ?? 0) > 0);
    if (persistent) {
      return this.refuse(connection, 'not-authorized', 'only clean sessions are supported (no session expiry)');
    }
    const authenticated = await this.authenticate(connection, packet);
    // Gone meanwhile: it must not take over a live connection of the device.
    if (connection.closed) return { refuse: 'unavailable' };
    if (authenticated.outcome !== 'ok') return this.refuseAuth(connection, packet, authenticated);
    const sender = authenticated.device;
    const dialect = dialectOf(sender.device.spec, sender.app.spec);
    if (typeof dialect === 'string') return this.refuse(connection, 'not-authorized', dialect, sender);
    const will = packet.will as Will | undefined;
    if (will) {
      const { maxPayload } = this.options.devices;
      if (!publishTarget(dialect, will.topic)) {
        const reason = `the will's topic ${JSON.stringify(will.topic)} is not ${topicForms(dialect)}`;
        return this.refuse(connection, 'topic-name-invalid', reason, sender);
      }
      if (Buffer.byteLength(will.payload) > maxPayload) {
        return this.refuse(connection, 'packet-too-large', `the will is larger than ${maxPayload} bytes`, sender);
      }
    }
    const session = new DeviceSession(this.context!, connection, sender, dialect, will);
    const devices = this.sessions.get(session.app) ?? new Map<string, DeviceSession>();
    this.sessions.set(session.app, devices);
    const previous = devices.get(session.device);
    devices.set(session.device, session);
    previous?.takenOver();
    return {
      session,
      properties: { sharedSubscriptionAvailable: false, subscriptionIdentifiersAvailable: false },
    };
  }

  /**
   * `device@app` with a password; else the TLS client certificate (the application from a `device@app` user name,
   * when given, narrows the lookup, and the device must be the one named).
   */
  private async authenticate(connection: MqttConnection, packet: IConnectPacket): Promise<DeviceAuthOutcome> {
    const { authenticator } = this.options.devices;
    const named = deviceAtApp(packet.username);
    if (packet.password !== undefined) {
      if (!named) return { outcome: 'refused', reason: 'bad-credentials' };
      return authenticator.password({ ...named, password: packet.password.toString('utf8') });
    }
    const chain = connection.peerCertificates();
    if (chain.length === 0) return { outcome: 'refused', reason: 'bad-credentials' };
    const outcome = await authenticator.certificate(chain, named?.app);
    if (outcome.outcome === 'ok' && named && outcome.device.device.name !== named.device) {
      return { outcome: 'refused', reason: 'not-authorized' };
    }
    return outcome;
  }

  private refuseAuth(
    connection: MqttConnection,
    packet: IConnectPacket,
    outcome: Exclude<DeviceAuthOutcome, { outcome: 'ok' }>,
  ): ConnectOutcome {
    if (outcome.outcome === 'unavailable') {
      return this.refuse(connection, 'unavailable', 'too many devices are authenticating: try again shortly');
    }
    const who = packet.username === undefined ? {} : { username: packet.username };
    if (outcome.reason === 'disabled') return this.refuse(connection, 'not-authorized', 'the device is disabled', who);
    if (outcome.reason === 'not-authorized') {
      return this.refuse(connection, 'not-authorized', 'the certificate is not of this device', who);
    }
    const reason =
      packet.password !== undefined && !deviceAtApp(packet.username)
        ? 'the user name must be device@application'
        : 'bad user name or password, or no credentials';
    return this.refuse(connection, 'bad-credentials', reason, who);
  }

  private refuse(
    connection: MqttConnection,
    refuse: Refusal,
    reason: string,
    who?: AuthenticatedDevice | { username?: string },
  ): ConnectOutcome {
    const identity =
      who && 'device' in who ? { app: who.app.name, device: who.device.name } : { username: who?.username };
    const obj = { address: connection.remoteAddress, ...identity, reason };
    this.options.log.warn(`mqtt-connect-refused-${refuse}`, obj, 'refused an MQTT device connection');
    return { refuse, reason };
  }

  private released(session: DeviceSession): void {
    const devices = this.sessions.get(session.app);
    if (devices?.get(session.device) !== session) return;
    devices.delete(session.device);
    if (devices.size === 0) this.sessions.delete(session.app);
  }

  /** A device deleted, disabled or replaced (or its application) loses its connection. */
  private registryChanged(app: string, device?: string): void {
    const devices = this.sessions.get(app);
    if (!devices) return;
    const { authenticator } = this.options.devices;
    for (const session of [...devices.values()]) {
      session.forgetOrigins();
      if (device !== undefined && session.device !== device) continue;
      const current = authenticator.current(app, session.device);
      if (!current || current.uid !== session.sender.device.uid) {
        session.revoke('the device was deleted or disabled');
      }
    }
  }

  private listening(): MqttListener {
    if (!this.listener) throw new Error('the MQTT device endpoint has not started');
    return this.listener;
  }
}
