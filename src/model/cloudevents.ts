// The CloudEvents that devices' messages become (docs/drogue-api.md, "Events"), shared by the server that makes them
// and the client that shows them (drg stream).

export const DEVICE_EVENT_TYPE = 'io.drogue.event.v1';
export const CONNECTION_EVENT_TYPE = 'io.drogue.connection.v1';
/** drg serve's firmware agent about a device's DFU report it could not serve as asked (on the `dfu` subject). */
export const FIRMWARE_ERROR_TYPE = 'io.drogue.firmware.error.v1';
/** The subject of connection events. */
export const CONNECTION_SUBJECT = 'connection';

/** A CloudEvent 1.0 in JSON structured mode, with Drogue's extensions. */
export interface CloudEvent {
  specversion: '1.0';
  id: string;
  type: string;
  /** `drogue://<app>/<device>`, both percent-encoded. */
  source: string;
  /** The channel. */
  subject: string;
  /** RFC 3339. */
  time: string;
  datacontenttype?: string;
  dataschema?: string;
  /** For JSON payloads. */
  data?: unknown;
  /** For any other payload. */
  data_base64?: string;
  application: string;
  device: string;
  applicationuid: string;
  deviceuid: string;
  /** The gateway that sent it, else the device. */
  sender: string;
  senderuid: string;
  instance: string;
  /** `<app>/<sender>`, both percent-encoded. */
  partitionkey: string;
}

const ALPHANUMERIC = /^[A-Za-z0-9]*$/;
/** Names seen recently and their encoding: the same devices send again and again. */
const encoded = new Map<string, string>();
const MAX_ENCODED = 10_000;

/** Every byte that is not an ASCII letter or digit as `%XX` (Drogue's encoding for `source` and `partitionkey`). */
export function percentEncode(value: string): string {
  if (ALPHANUMERIC.test(value)) return value;
  let out = encoded.get(value);
  if (out === undefined) {
    out = encodeBytes(value);
    if (encoded.size >= MAX_ENCODED) encoded.clear();
    encoded.set(value, out);
  }
  return out;
}

function encodeBytes(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const alnum = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a);
    out += alnum ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Whether a content type is JSON (`application/json`, `text/json`, `application/*+json`), parameters ignored. */
export function isJsonContentType(contentType: string): boolean {
  if (contentType === 'application/json') return true;
  const type = contentType.split(';')[0].trim().toLowerCase();
  return type === 'application/json' || type === 'text/json' || type.endsWith('+json');
}

/** The event's payload as bytes (`data` as JSON text, or `data_base64` decoded). */
export function eventPayload(event: Pick<CloudEvent, 'data' | 'data_base64'>): Buffer {
  if (event.data_base64 !== undefined) return Buffer.from(event.data_base64, 'base64');
  if (event.data === undefined) return Buffer.alloc(0);
  return Buffer.from(JSON.stringify(event.data));
}
