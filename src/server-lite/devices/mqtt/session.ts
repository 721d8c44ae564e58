// One connected device on the MQTT device endpoint: its publishes become CloudEvents appended to the event log
// (acknowledged once durable), its command inbox subscriptions take commands from the router, and when it goes its
// will (if the connection was lost) and a connection event are appended.
import type { IConnectPacket, IPublishPacket, ISubscribePacket, IUnsubscribePacket } from 'mqtt-packet';
import type { CloudEvent } from '../../../model/cloudevents.js';
import type { Command } from '../../commands/router.js';
import { connectionEvent, deviceEvent, InvalidJsonPayloadError, type Origin } from '../../events/cloudevent.js';
import { type EventBus, EventLogUnavailableError } from '../../events/log.js';
import type { RateLimitedLog } from '../../log-limit.js';
import {
  type CloseInfo,
  type MqttConnection,
  type MqttSession,
  type PublishRefusal,
  ReasonCode,
} from '../../mqtt/index.js';
import type { AuthenticatedDevice } from '../auth.js';
import type { DevicesComponent } from '../component.js';
import { commandTopic, type Dialect, inboxFilter, publishTarget, topicForms } from './topics.js';

/** What every session of the endpoint shares. */
export interface SessionContext {
  devices: DevicesComponent;
  bus: EventBus;
  log: RateLimitedLog;
  /** The session is over: the endpoint forgets it. */
  released(session: DeviceSession): void;
}

export type Will = NonNullable<IConnectPacket['will']>;

export class DeviceSession implements MqttSession {
  /** Command inbox subscriptions: own commands, all it may receive, those of these devices. */
  private own = false;
  private all = false;
  private inboxDevices?: Set<string>;
  private unregister?: () => void;
  /** The devices this gateway published for, as actAs found them (null: it may not), until the registry changes. */
  private origins?: Map<string, Origin | null>;
  private readonly self: Origin;
  private readonly recordDisconnect: () => void;
  private finished = false;

  constructor(
    private readonly context: SessionContext,
    readonly connection: MqttConnection,
    readonly sender: AuthenticatedDevice,
    private readonly dialect: Dialect,
    private readonly will: Will | undefined,
  ) {
    const { app, device } = sender;
    this.self = { app, device, sender: device };
    const version = connection.protocolVersion === 5 ? '5' : connection.protocolVersion === 4 ? '3.1.1' : '3.1';
    const protocol = `${connection.secure ? 'mqtts' : 'mqtt'}/${version}`;
    this.recordDisconnect = context.devices.connections.connect(app.name, device.name, protocol);
    this.append([connectionEvent(this.self, true, context.devices.instance)]);
  }

  get app(): string {
    return this.sender.app.name;
  }

  get device(): string {
    return this.sender.device.name;
  }

  publish(packet: IPublishPacket): PublishRefusal | undefined | Promise<PublishRefusal | undefined> {
    const contentType = packet.properties?.contentType;
    return this.message(packet.topic, packet.payload as Buffer, contentType);
  }

  subscribe(packet: ISubscribePacket): number[] {
    const codes = packet.subscriptions.map(({ topic }) => {
      const filter = inboxFilter(topic);
      if (!filter) {
        const message = `refused a subscription to ${JSON.stringify(topic)}: only command/inbox//#, command/inbox/#, command/inbox/+/# and command/inbox/<device>/# are served`;
        this.context.log.warn('mqtt-subscribe-refused', { app: this.app, device: this.device }, message);
        return ReasonCode.TopicFilterInvalid;
      }
      if (filter.kind === 'own') this.own = true;
      else if (filter.kind === 'all') this.all = true;
      else {
        this.inboxDevices ??= new Set();
        this.inboxDevices.add(filter.device);
      }
      return ReasonCode.GrantedQoS0;
    });
    if (this.subscribed() && !this.unregister && !this.finished) {
      this.unregister = this.context.devices.commands.register(this.app, this.device, this.receive);
    }
    return codes;
  }

  unsubscribe(packet: IUnsubscribePacket): number[] {
    const codes = packet.unsubscriptions.map((topic) => {
      const filter = inboxFilter(topic);
      let existed = false;
      if (filter?.kind === 'own') [existed, this.own] = [this.own, false];
      else if (filter?.kind === 'all') [existed, this.all] = [this.all, false];
      else if (filter) existed = this.inboxDevices?.delete(filter.device) ?? false;
      return existed ? ReasonCode.Success : ReasonCode.NoSubscriptionExisted;
    });
    if (!this.subscribed()) {
      this.unregister?.();
      this.unregister = undefined;
    }
    return codes;
  }

  closed(info: CloseInfo): void {
    this.finish(!info.graceful);
  }

  /** Another connection of the same device took over: this one is closed (its will is due). */
  takenOver(): void {
    this.finish(true);
    this.connection.disconnect(ReasonCode.SessionTakenOver, 'session taken over by another connection');
  }

  /** The device is gone or disabled: closed, without its will. */
  revoke(reason: string): void {
    this.finish(false);
    this.connection.disconnect(ReasonCode.NotAuthorized, reason);
  }

  /** The registry changed the application: whom this gateway may publish for is looked up again. */
  forgetOrigins(): void {
    this.origins = undefined;
  }

  /** A message from the device (a PUBLISH, or its will): checked, made a CloudEvent and appended. */
  private message(
    topic: string,
    payload: Buffer,
    contentType: string | undefined,
  ): PublishRefusal | undefined | Promise<PublishRefusal | undefined> {
    const { devices } = this.context;
    if (payload.length > devices.maxPayload) {
      const reason = `the payload of ${payload.length} bytes is larger than ${devices.maxPayload} (--max-payload)`;
      return this.refused(ReasonCode.PacketTooLarge, reason);
    }
    const target = publishTarget(this.dialect, topic);
    if (!target) {
      const reason = `the topic ${JSON.stringify(topic)} is not ${topicForms(this.dialect)}`;
      return this.refused(ReasonCode.TopicNameInvalid, reason);
    }
    const origin = target.device === undefined ? this.self : this.originOf(target.device);
    if (!origin) {
      return this.refused(ReasonCode.NotAuthorized, `"${this.device}" may not publish for "${target.device}"`);
    }
    let event: CloudEvent;
    try {
      event = deviceEvent(origin, { channel: target.channel, payload, contentType }, devices.instance);
    } catch (err) {
      if (!(err instanceof InvalidJsonPayloadError)) throw err;
      return this.refused(ReasonCode.PayloadFormatInvalid, err.message);
    }
    return this.context.bus.append([event]).then(
      () => {
        devices.counters.accepted.mqtt++;
        devices.counters.bytes.mqtt += payload.length;
        devices.connections.seen(origin.app.name, origin.device.name);
        return undefined;
      },
      (err: unknown) => {
        const overloaded = err instanceof EventLogUnavailableError && err.reason === 'overloaded';
        const code = overloaded ? ReasonCode.QuotaExceeded : ReasonCode.UnspecifiedError;
        return this.refused(code, `cannot accept the message now: ${(err as Error).message}`);
      },
    );
  }

  private originOf(device: string): Origin | undefined {
    if (device === this.device) return this.self;
    this.origins ??= new Map();
    let origin = this.origins.get(device);
    if (origin === undefined) {
      const acting = this.context.devices.authenticator.actAs(this.sender, device);
      origin = acting ? { app: acting.app, device: acting.device, sender: this.sender.device } : null;
      if (this.origins.size >= MAX_ORIGINS) this.origins.clear();
      this.origins.set(device, origin);
    }
    return origin ?? undefined;
  }

  private refused(reasonCode: number, reason: string): PublishRefusal {
    this.context.devices.counters.refused.mqtt++;
    const message = `refused a message: ${reason}`;
    this.context.log.warn(`mqtt-refused-${reasonCode}`, { app: this.app, device: this.device }, message);
    return { reasonCode, reason };
  }

  private subscribed(): boolean {
    return this.own || this.all || (this.inboxDevices?.size ?? 0) > 0;
  }

  /** Takes a command for this device, or for a device behind it, when a subscription covers it. */
  private readonly receive = (command: Command): boolean => {
    const own = command.device === this.device;
    let topic: string;
    if (own && (this.own || this.all)) topic = commandTopic(undefined, command.command);
    else if (this.inboxDevices?.has(command.device) || (!own && this.all)) {
      topic = commandTopic(command.device, command.command);
    } else return false;
    const properties = command.contentType ? { contentType: command.contentType } : undefined;
    return this.connection.publish({ topic, payload: command.payload, qos: 0, properties }) === 'sent';
  };

  /** Once: commands stop, the will (if due) and the disconnect are appended, and the endpoint forgets it. */
  private finish(publishWill: boolean): void {
    if (this.finished) return;
    this.finished = true;
    this.unregister?.();
    this.unregister = undefined;
    this.recordDisconnect();
    this.context.released(this);
    if (publishWill && this.will) {
      const { topic, payload, properties } = this.will;
      const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
      try {
        const refusal = this.message(topic, bytes, properties?.contentType);
        if (refusal instanceof Promise) refusal.catch(() => {});
      } catch (err) {
        this.context.log.warn('mqtt-will', { error: (err as Error).message }, 'cannot publish a will');
      }
    }
    this.append([connectionEvent(this.self, false, this.context.devices.instance)]);
  }

  private append(events: CloudEvent[]): void {
    this.context.bus.append(events).catch((err: Error) => {
      const message = `cannot append a connection event: ${err.message}`;
      this.context.log.warn('mqtt-connection-event', { app: this.app, device: this.device }, message);
    });
  }
}

/** Devices a gateway's session remembers whether it may publish for. */
const MAX_ORIGINS = 1000;
