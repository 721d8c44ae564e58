// A device's message as a CloudEvent (docs/drogue-api.md, "Events"): what both device endpoints append to the log.
import { randomUUID } from 'node:crypto';
import {
  type CloudEvent,
  CONNECTION_EVENT_TYPE,
  CONNECTION_SUBJECT,
  DEVICE_EVENT_TYPE,
  FIRMWARE_ERROR_TYPE,
  isJsonContentType,
  percentEncode,
} from '../../model/cloudevents.js';

/** Who a message is from: the device it is about, and the device that sent it (itself, or its gateway). */
export interface Origin {
  app: { name: string; uid: string };
  device: { name: string; uid: string };
  sender: { name: string; uid: string };
}

export interface Message {
  channel: string;
  payload: Buffer;
  /** As the device declared it; else JSON when the payload parses, else `application/octet-stream`. */
  contentType?: string;
  dataSchema?: string;
}

/** A payload declared as JSON that does not parse (HTTP 406; MQTT refuses it). */
export class InvalidJsonPayloadError extends Error {
  constructor(contentType: string) {
    super(`the payload is declared as ${contentType} but is not valid JSON`);
  }
}

/** The CloudEvent of a device message; throws InvalidJsonPayloadError for JSON that does not parse. */
export function deviceEvent(origin: Origin, message: Message, instance: string, now = new Date()): CloudEvent {
  const event = envelope(origin, DEVICE_EVENT_TYPE, message.channel, instance, now);
  const declared = message.contentType?.trim() || undefined;
  if (declared !== undefined && !isJsonContentType(declared)) {
    event.datacontenttype = declared;
    event.data_base64 = message.payload.toString('base64');
  } else {
    const parsed = parseJson(message.payload);
    if (parsed !== NOT_JSON) {
      event.datacontenttype = declared ?? 'application/json';
      event.data = parsed;
    } else if (declared !== undefined) {
      throw new InvalidJsonPayloadError(declared);
    } else {
      event.datacontenttype = 'application/octet-stream';
      event.data_base64 = message.payload.toString('base64');
    }
  }
  if (message.dataSchema !== undefined) event.dataschema = message.dataSchema;
  return event;
}

/** `{"connected": true|false}` on the `connection` subject, for an MQTT connect or disconnect. */
export function connectionEvent(origin: Origin, connected: boolean, instance: string, now = new Date()): CloudEvent {
  const event = envelope(origin, CONNECTION_EVENT_TYPE, CONNECTION_SUBJECT, instance, now);
  event.datacontenttype = 'application/json';
  event.data = { connected };
  return event;
}

/** `{"error": MESSAGE}` on the `dfu` subject: the firmware agent could not serve a report of the device as asked. */
export function firmwareErrorEvent(origin: Origin, message: string, instance: string, now = new Date()): CloudEvent {
  const event = envelope(origin, FIRMWARE_ERROR_TYPE, 'dfu', instance, now);
  event.datacontenttype = 'application/json';
  event.data = { error: message };
  return event;
}

function envelope(origin: Origin, type: string, subject: string, instance: string, now: Date): CloudEvent {
  const { app, device, sender } = origin;
  return {
    specversion: '1.0',
    id: randomUUID(),
    type,
    source: `drogue://${percentEncode(app.name)}/${percentEncode(device.name)}`,
    subject,
    time: now.toISOString(),
    application: app.name,
    device: device.name,
    applicationuid: app.uid,
    deviceuid: device.uid,
    sender: sender.name,
    senderuid: sender.uid,
    instance,
    partitionkey: `${percentEncode(app.name)}/${percentEncode(sender.name)}`,
  };
}

const NOT_JSON = Symbol('not JSON');

function parseJson(payload: Buffer): unknown {
  if (payload.length === 0) return NOT_JSON;
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    return NOT_JSON;
  }
}
