// The MQTT integration (docs/drogue-api.md, "Integrations"): applications consume their events over MQTT 3.1.1 or 5
// on a port of its own, and send commands by publishing. Subscribe to `app/<app>`, `a/<app>` or `application/<app>`,
// optionally shared (`$share/<group>/...`, legacy `$shared/<group>/...`): the consumer group is the share name, else
// the client id. QoS 0 is at most once (an event is done with once written), QoS 1 at least once (done with on the
// consumer's PUBACK: a consumer gone before it gets it again). MQTT 5 consumers choose structured or binary
// CloudEvents with the SUBSCRIBE user property `content-mode`. Built on the shared MQTT layer (../mqtt).
import type { IConnectPacket, IPublishPacket, ISubscribePacket, ISubscription, IUnsubscribePacket } from 'mqtt-packet';
import { type CloudEvent, eventPayload } from '../../model/cloudevents.js';
import type { Endpoints } from '../../model/endpoints.js';
import { sendCommand } from '../commands/dispatch.js';
import type { DevicesComponent } from '../devices/component.js';
import type { Consumer, EventBus, LoggedEvent } from '../events/log.js';
import type { Authentication } from '../identity/authenticator.js';
import type { IdentityComponent } from '../identity/component.js';
import { IssuerUnavailableError } from '../identity/oidc/verifier.js';
import type { RateLimitedLog } from '../log-limit.js';
import {
  advertisedHost,
  type ConnectOutcome,
  type MqttConnection,
  MqttListener,
  type MqttListenerLimits,
  type MqttSession,
  type OutboundMessage,
  type PublishRefusal,
  ReasonCode,
} from '../mqtt/index.js';
import type { RegistryComponent } from '../registry/component.js';
import { RegistryError } from '../registry/errors.js';
import type { Component } from '../runtime.js';

export interface MqttIntegrationLimits extends MqttListenerLimits {
  /** Events handed to one subscription and not yet done with (written at QoS 0, acknowledged at QoS 1). */
  maxInFlight: number;
  /** Subscriptions one connection may hold. */
  maxSubscriptions: number;
}

export interface MqttIntegrationOptions {
  port: number;
  bind: string;
  identity: IdentityComponent;
  registry: RegistryComponent;
  /** The events component: its bus, once started. */
  events: { readonly bus: EventBus };
  /** Commands (the device directory and the router), the payload limit and the counters. */
  devices: DevicesComponent;
  log: RateLimitedLog;
  limits?: Partial<MqttIntegrationLimits>;
}

/** MQTT 5 SUBACK: wildcards are not supported (the layer's ReasonCode has no name for it). */
const WILDCARDS_NOT_SUPPORTED = 0xa2;
const STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json; charset=utf-8';
/** At QoS 0 an event is done with once written, unless this many bytes wait unread: then once they drain. */
const WRITE_HIGH_WATER = 64 * 1024;
/** The payload limit's headroom for the packet's topic and properties. */
const PACKET_OVERHEAD = 64 * 1024;
const TOPIC_PREFIXES = new Set(['app', 'a', 'application']);

type ContentMode = 'structured' | 'binary';

/** One subscription of a connection: the filter's topic, the consumer behind it, how events are sent. */
interface Subscription {
  /** The topic events are published on: the filter without its share prefix. */
  topic: string;
  app: string;
  qos: 0 | 1;
  mode: ContentMode;
  subscriptionId?: number;
  /** The bus hands it events only once it is set (after `consume` returned). */
  consumer?: Consumer;
  /** Unsubscribed, replaced, dropped or closed: what it still has in flight goes to others. */
  ended?: boolean;
}

/** What the sessions share: the bus, the registry's answers, the devices, the bounds. */
interface SessionContext {
  bus(): EventBus;
  /** Whether the user may read the application (its owner, or a member of any role). */
  mayRead(user: string, app: string): boolean;
  /** Whether the user may send the application commands (its owner, an admin or a manager). */
  mayWrite(user: string, app: string): boolean;
  devices: DevicesComponent;
  log: RateLimitedLog;
  maxInFlight: number;
  maxSubscriptions: number;
}

export class MqttIntegration implements Component {
  readonly name = 'mqtt-integration';
  private readonly listener: MqttListener;
  private readonly context: SessionContext;

  constructor(private readonly options: MqttIntegrationOptions) {
    const { maxInFlight = 64, maxSubscriptions = 16, ...listenerLimits } = options.limits ?? {};
    const applications = () => options.registry.registry.applications;
    this.context = {
      bus: () => options.events.bus,
      mayRead: (user, app) => allowed(() => applications().get({ user }, app)),
      mayWrite: (user, app) => allowed(() => applications().checkWrite({ user }, app)),
      devices: options.devices,
      log: options.log,
      maxInFlight,
      maxSubscriptions,
    };
    this.listener = new MqttListener({
      name: 'the MQTT integration',
      flags: { port: '--mqtt-integration-port' },
      port: options.port,
      bind: options.bind,
      connect: (connection, packet) => this.connect(connection, packet),
      limits: { maxPacketSize: options.devices.maxPayload + PACKET_OVERHEAD, ...listenerLimits },
      log: options.log,
    });
  }

  /** Connections open now. */
  get connections(): number {
    return this.listener.connectionCount;
  }

  start(): Promise<void> {
    return this.listener.start();
  }

  open(): void {
    this.listener.open();
  }

  close(): Promise<void> {
    return this.listener.close();
  }

  stop(): void {}

  endpoints(): Endpoints {
    return { mqtt_integration: { host: advertisedHost(this.options.bind), port: this.listener.port } };
  }

  private async connect(connection: MqttConnection, packet: IConnectPacket): Promise<ConnectOutcome> {
    if (packet.clean === false) return { refuse: 'unspecified', reason: 'only clean sessions are supported' };
    const query = credentialsOf(packet);
    if (!query) {
      const reason = 'credentials required: user name and access token, or an OIDC access token';
      return { refuse: 'not-authorized', reason };
    }
    let auth: Authentication;
    try {
      auth = await this.options.identity.authenticator.authenticate(undefined, query);
    } catch (err) {
      if (!(err instanceof IssuerUnavailableError)) throw err;
      return { refuse: 'unavailable', reason: 'cannot check the access token now' };
    }
    // A token within the verifier's clock tolerance of its expiry is not taken either.
    if (auth.outcome !== 'user' || (auth.expiresAt !== undefined && auth.expiresAt <= Date.now())) {
      return { refuse: 'bad-credentials' };
    }
    return {
      session: new IntegrationSession(this.context, connection, auth.user),
      properties: { wildcardSubscriptionAvailable: false },
    };
  }
}

/** Whether the registry allows it: false for its refusals (not found, forbidden). */
function allowed(check: () => unknown): boolean {
  try {
    check();
    return true;
  } catch (err) {
    if (err instanceof RegistryError) return false;
    throw err;
  }
}

/** One consumer's connection: its subscriptions, and the commands it publishes. */
class IntegrationSession implements MqttSession {
  /** By the filter as subscribed. */
  private readonly subscriptions = new Map<string, Subscription>();
  /** QoS 1 events waiting for room in the connection's in-flight window (bounded by the subscriptions' windows). */
  private readonly waiting: Array<{ subscription: Subscription; event: LoggedEvent }> = [];
  /** QoS 0 events written while the peer was behind: done with once the socket drains. */
  private unflushed: Array<{ subscription: Subscription; position: number }> = [];
  private readonly v5: boolean;

  constructor(
    private readonly context: SessionContext,
    private readonly connection: MqttConnection,
    private readonly user: string,
  ) {
    this.v5 = connection.protocolVersion === 5;
  }

  subscribe(packet: ISubscribePacket): number[] {
    const mode = this.v5 ? contentModeOf(packet) : 'structured';
    const subscriptionId = packet.properties?.subscriptionIdentifier;
    return packet.subscriptions.map((sub) => this.subscribeTo(sub, mode, subscriptionId));
  }

  unsubscribe(packet: IUnsubscribePacket): number[] {
    return packet.unsubscriptions.map((filter) => {
      const subscription = this.subscriptions.get(filter);
      if (!subscription) return ReasonCode.NoSubscriptionExisted;
      this.subscriptions.delete(filter);
      this.end(subscription);
      return ReasonCode.Success;
    });
  }

  /** `command/<app>/<device>/<command>`: a command for the device, with the raw payload. */
  publish(packet: IPublishPacket): PublishRefusal | undefined {
    const levels = packet.topic.split('/');
    if (levels.length !== 4 || levels[0].toLowerCase() !== 'command' || levels.some((l) => l === '')) {
      return {
        reasonCode: ReasonCode.TopicNameInvalid,
        reason: 'publish commands to command/<app>/<device>/<command>',
      };
    }
    const [, app, device, command] = levels;
    if (!this.context.mayWrite(this.user, app)) {
      return { reasonCode: ReasonCode.NotAuthorized, reason: `may not send commands to application "${app}"` };
    }
    const { devices } = this.context;
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    if (payload.length > devices.maxPayload) {
      const reason = `the payload of ${payload.length} bytes is larger than ${devices.maxPayload} (--max-payload)`;
      return { reasonCode: ReasonCode.PacketTooLarge, reason };
    }
    const outcome = sendCommand(devices, {
      app,
      device,
      command,
      payload,
      contentType: packet.properties?.contentType,
    });
    if (outcome.outcome === 'not-found') {
      const reason = `device "${device}" does not exist in "${app}" or is disabled`;
      return { reasonCode: ReasonCode.NotAuthorized, reason };
    }
    return undefined;
  }

  closed(): void {
    for (const subscription of this.subscriptions.values()) this.end(subscription);
    this.subscriptions.clear();
    this.waiting.length = 0;
    this.unflushed = [];
  }

  /** The SUBACK code for one filter; the consumer starts once the SUBACK is out. */
  private subscribeTo(sub: ISubscription, mode: ContentMode | undefined, subscriptionId?: number): number {
    if (mode === undefined) return ReasonCode.ImplementationSpecificError;
    const parsed = parseFilter(sub.topic);
    if (typeof parsed === 'number') return parsed;
    const { app, topic, share } = parsed;
    if (!this.context.mayRead(this.user, app)) return ReasonCode.NotAuthorized;
    const replaced = this.subscriptions.get(sub.topic);
    if (!replaced && this.subscriptions.size >= this.context.maxSubscriptions) return ReasonCode.QuotaExceeded;
    if (replaced) this.end(replaced);
    const qos = sub.qos >= 1 ? 1 : 0;
    const subscription: Subscription = { topic, app, qos, mode, subscriptionId };
    this.subscriptions.set(sub.topic, subscription);
    const group = share ?? (this.connection.clientId || undefined);
    queueMicrotask(() => {
      if (this.subscriptions.get(sub.topic) === subscription && !this.connection.closed) {
        this.consume(subscription, group);
      }
    });
    return qos;
  }

  private consume(subscription: Subscription, group: string | undefined): void {
    const { bus, maxInFlight } = this.context;
    subscription.consumer = bus().consume({
      app: subscription.app,
      group,
      maxInFlight,
      deliver: (event) => this.deliver(subscription, event),
      dropped: (reason) => {
        subscription.ended = true;
        this.context.devices.counters.slowConsumers.mqtt++;
        this.connection.disconnect(ReasonCode.ImplementationSpecificError, `the event stream failed: ${reason}`);
      },
    });
  }

  private deliver(subscription: Subscription, event: LoggedEvent): void {
    // QoS 1 events behind others waiting for room wait too, to keep the order.
    const queued = subscription.qos === 1 && this.waiting.length > 0;
    if (queued || !this.send(subscription, event)) this.waiting.push({ subscription, event });
  }

  /** Sends; false when the connection's in-flight window is full (nothing was sent). */
  private send(subscription: Subscription, event: LoggedEvent): boolean {
    const { position } = event;
    const outcome = this.connection.publish(this.message(subscription, event), () =>
      this.acked(subscription, position),
    );
    if (outcome === 'inflight-full') return false;
    if (outcome === 'too-large') {
      const text = 'skipped an event larger than an MQTT integration consumer takes';
      this.context.log.warn('mqtt-integration-too-large', { app: subscription.app }, text);
      ack(subscription, position);
    } else if (outcome === 'sent' && subscription.qos === 0) {
      this.written(subscription, position);
    }
    return true;
  }

  /** A QoS 1 PUBACK: done with the event, and room for those that wait. */
  private acked(subscription: Subscription, position: number): void {
    this.done(subscription, position);
    while (this.waiting.length > 0) {
      const { subscription: next, event } = this.waiting[0];
      // A subscription ended meanwhile: the bus gives its events to others.
      if (!next.ended && !this.send(next, event)) break;
      this.waiting.shift();
    }
  }

  private done(subscription: Subscription, position: number): void {
    if (subscription.ended) return;
    ack(subscription, position);
    this.context.devices.counters.delivered.mqtt++;
  }

  /** A QoS 0 event written: done with it now, or once the peer has read what waits for it. */
  private written(subscription: Subscription, position: number): void {
    if (this.connection.writableLength < WRITE_HIGH_WATER && this.unflushed.length === 0) {
      this.done(subscription, position);
      return;
    }
    this.unflushed.push({ subscription, position });
    if (this.unflushed.length > 1) return;
    this.connection.whenDrained().then(() => {
      const done = this.unflushed;
      this.unflushed = [];
      for (const { subscription: s, position: p } of done) this.done(s, p);
    });
  }

  private message(subscription: Subscription, { event, json }: LoggedEvent): OutboundMessage {
    const { topic, qos, subscriptionId } = subscription;
    if (!this.v5) return { topic, qos, payload: json };
    if (subscription.mode === 'structured') {
      const properties: IPublishPacket['properties'] = {
        contentType: STRUCTURED_CONTENT_TYPE,
        payloadFormatIndicator: true,
      };
      if (subscriptionId !== undefined) properties.subscriptionIdentifier = subscriptionId;
      return { topic, qos, payload: json, properties };
    }
    const properties: IPublishPacket['properties'] = { userProperties: attributesOf(event) };
    if (event.datacontenttype !== undefined) properties.contentType = event.datacontenttype;
    if (subscriptionId !== undefined) properties.subscriptionIdentifier = subscriptionId;
    return { topic, qos, payload: eventPayload(event), properties };
  }

  private end(subscription: Subscription): void {
    subscription.ended = true;
    subscription.consumer?.close();
  }
}

/** Done with the event at `position`, unless the subscription has ended (the bus gave it to others then). */
function ack(subscription: Subscription, position: number): void {
  if (!subscription.ended) subscription.consumer?.ack(position);
}

/** The authenticator's query credentials from the CONNECT; undefined when it has none. */
function credentialsOf(packet: IConnectPacket): { username: string; api_key: string } | { token: string } | undefined {
  const username = packet.username || undefined;
  const password = packet.password?.length ? packet.password.toString('utf8') : undefined;
  if (username !== undefined && password !== undefined) return { username, api_key: password };
  const token = password ?? username;
  return token === undefined ? undefined : { token };
}

/** The SUBSCRIBE's `content-mode`; undefined for an unknown one. */
function contentModeOf(packet: ISubscribePacket): ContentMode | undefined {
  const value = packet.properties?.userProperties?.['content-mode'];
  const mode = Array.isArray(value) ? value[value.length - 1] : value;
  if (mode === undefined || mode === 'structured') return 'structured';
  return mode === 'binary' ? 'binary' : undefined;
}

/** `[$share/<group>/]<app|a|application>/<app>`, or the SUBACK code that refuses the filter. */
function parseFilter(filter: string): { app: string; topic: string; share?: string } | number {
  let levels = filter.split('/');
  let share: string | undefined;
  if (levels[0] === '$share' || levels[0] === '$shared') {
    share = levels[1];
    if (!share || levels.length < 3) return ReasonCode.TopicFilterInvalid;
    levels = levels.slice(2);
  }
  if (levels.some((l) => l.includes('+') || l.includes('#')) || share?.match(/[+#]/)) {
    return WILDCARDS_NOT_SUPPORTED;
  }
  if (levels.length !== 2 || !TOPIC_PREFIXES.has(levels[0]) || levels[1] === '') return ReasonCode.TopicFilterInvalid;
  return { app: levels[1], topic: levels.join('/'), share };
}

/** Every attribute and extension of the event but its data, as MQTT 5 user properties (binary content mode). */
function attributesOf(event: CloudEvent): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(event)) {
    if (name === 'data' || name === 'data_base64' || value === undefined) continue;
    attributes[name] = String(value);
  }
  return attributes;
}
