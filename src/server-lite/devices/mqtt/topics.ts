// The MQTT device endpoint's topics (docs/drogue-api.md, "Device endpoints"): the dialects devices publish in
// (`spec.mqtt.dialect`, the device's over the application's) and the command inbox filters they subscribe to.
import { isJsonObject } from '../../../model/json.js';

export type Dialect =
  /** `<channel>` or `<channel>/<as-device>`. */
  | { type: 'drogue/v1' }
  /** The whole topic is the channel; with devicePrefix, `<device>/<channel...>`. */
  | { type: 'plainTopic'; devicePrefix: boolean };

const DROGUE_V1: Dialect = { type: 'drogue/v1' };
const PLAIN: Dialect = { type: 'plainTopic', devicePrefix: false };
const PLAIN_PREFIXED: Dialect = { type: 'plainTopic', devicePrefix: true };

/** The dialect of a device, or why it has none this endpoint speaks. */
export function dialectOf(deviceSpec: Record<string, unknown>, appSpec: Record<string, unknown>): Dialect | string {
  const configured = dialectField(deviceSpec) ?? dialectField(appSpec);
  if (configured === undefined) return DROGUE_V1;
  if (!isJsonObject(configured)) return 'spec.mqtt.dialect must be an object such as {"type":"drogue/v1"}';
  if (configured.type === 'drogue/v1') return DROGUE_V1;
  if (configured.type === 'plainTopic') return configured.devicePrefix === true ? PLAIN_PREFIXED : PLAIN;
  return `the MQTT dialect ${JSON.stringify(configured.type)} is not supported (drogue/v1, plainTopic)`;
}

function dialectField(spec: Record<string, unknown>): unknown {
  const mqtt = spec.mqtt;
  return isJsonObject(mqtt) ? mqtt.dialect : undefined;
}

/** Where a PUBLISH goes: the channel, and the device it is for when the topic names one (else the sender). */
export interface PublishTarget {
  channel: string;
  device?: string;
}

/** The target of a publish topic in the dialect, or undefined when the topic is not one of its forms. */
export function publishTarget(dialect: Dialect, topic: string): PublishTarget | undefined {
  if (topic === '') return undefined;
  if (dialect.type === 'drogue/v1') {
    const slash = topic.indexOf('/');
    if (slash < 0) return { channel: topic };
    const device = topic.slice(slash + 1);
    if (slash === 0 || device === '' || device.includes('/')) return undefined;
    return { channel: topic.slice(0, slash), device };
  }
  if (!dialect.devicePrefix) return { channel: topic };
  const slash = topic.indexOf('/');
  if (slash <= 0 || slash === topic.length - 1) return undefined;
  return { channel: topic.slice(slash + 1), device: topic.slice(0, slash) };
}

/** The forms of the topics a dialect takes, for refusals. */
export function topicForms(dialect: Dialect): string {
  if (dialect.type === 'drogue/v1') return '<channel> or <channel>/<device>';
  return dialect.devicePrefix ? '<device>/<channel>' : 'any topic (the channel)';
}

/** What a command inbox subscription covers. */
export type InboxFilter =
  /** `command/inbox//#`: the device's own commands. */
  | { kind: 'own' }
  /** `command/inbox/#`, `command/inbox/+/#`: all it may receive (its own, and those of devices behind it). */
  | { kind: 'all' }
  /** `command/inbox/<device>/#`: those of one device (behind this gateway). */
  | { kind: 'device'; device: string };

const INBOX = 'command/inbox/';

/** The inbox filter, or undefined when the topic filter is none of the forms. */
export function inboxFilter(filter: string): InboxFilter | undefined {
  if (filter === 'command/inbox/#' || filter === 'command/inbox/+/#') return { kind: 'all' };
  if (!filter.startsWith(INBOX) || !filter.endsWith('/#')) return undefined;
  const device = filter.slice(INBOX.length, -2);
  if (device === '') return { kind: 'own' };
  if (/[/+#]/.test(device)) return undefined;
  return { kind: 'device', device };
}

/** The topic a command arrives on: `command/inbox//<command>` (own) or `command/inbox/<device>/<command>`. */
export function commandTopic(device: string | undefined, command: string): string {
  return `${INBOX}${device ?? ''}/${command}`;
}
