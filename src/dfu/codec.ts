// The DFU protocol's messages (../../docs DFU.md; Drogue's embedded-update crate): a device's Status report and the
// cloud's Command answer, in the three encodings devices use: packed CBOR (maps keyed by field index, what
// embedded-update speaks), named CBOR (text keys, the seed's form) and JSON (the named form, for curl).
import { Encoder } from 'cbor-x';
import { MAX_VERSION_BYTES } from './limits.js';

export interface UpdateStatus {
  version: string;
  offset: number;
}

/** A device's report (DFU.md "Status"); versions as text (packed: UTF-8 byte strings on the wire). */
export interface DeviceStatus {
  version: string;
  mtu?: number;
  correlationId?: number;
  update?: UpdateStatus;
}

export type DfuCommand =
  | { op: 'wait'; correlationId?: number; poll?: number }
  | { op: 'sync'; version: string; correlationId?: number; poll?: number }
  | { op: 'write'; version: string; correlationId?: number; offset: number; data: Uint8Array }
  | { op: 'swap'; version: string; correlationId?: number; checksum: Uint8Array /* 32 raw bytes */ };

export type DfuEncoding = 'packed' | 'named' | 'json';

/** A payload that is not a DFU message; the message says what is wrong (one line, never the payload). */
export class DfuDecodeError extends Error {
  override name = 'DfuDecodeError';
}

export const DFU_CHANNEL = 'dfu';
export const DFU_COMMAND = 'dfu';

const CBOR = 'application/cbor';
const JSON_TYPE = 'application/json';
const U32_MAX = 0xffff_ffff;
const CHECKSUM_BYTES = 32;

// Records are cbor-x's own extension, unknown to serde_cbor: never on. Maps stay Maps, so integer keys stay numbers.
const cbor = new Encoder({ useRecords: false, mapsAsObjects: false, tagUint8Array: false });

const OPS = ['wait', 'sync', 'write', 'swap'] as const;
type Op = DfuCommand['op'];
/** Packed field indexes, in the order of the Rust structs. */
const STATUS_FIELDS = { version: 0, mtu: 1, correlationId: 2, update: 3 } as const;
const UPDATE_FIELDS = { version: 0, offset: 1 } as const;
const COMMAND_FIELDS = {
  wait: { correlationId: 0, poll: 1 },
  sync: { version: 0, correlationId: 1, poll: 2 },
  write: { version: 0, correlationId: 1, offset: 2, data: 3 },
  swap: { version: 0, correlationId: 1, checksum: 2 },
} as const;

export function encodeStatus(status: DeviceStatus, encoding: DfuEncoding): { payload: Buffer; contentType: string } {
  if (encoding === 'packed') {
    const update = status.update
      ? new Map<number, unknown>([
          [UPDATE_FIELDS.version, utf8(status.update.version)],
          [UPDATE_FIELDS.offset, status.update.offset],
        ])
      : null;
    return packed(
      new Map<number, unknown>([
        [STATUS_FIELDS.version, utf8(status.version)],
        [STATUS_FIELDS.mtu, status.mtu ?? null],
        [STATUS_FIELDS.correlationId, status.correlationId ?? null],
        [STATUS_FIELDS.update, update],
      ]),
    );
  }
  const named = {
    version: status.version,
    ...(status.mtu !== undefined ? { mtu: status.mtu } : {}),
    ...(status.correlationId !== undefined ? { correlation_id: status.correlationId } : {}),
    ...(status.update ? { update: { version: status.update.version, offset: status.update.offset } } : {}),
  };
  return encoding === 'json' ? json(named) : namedCbor(named);
}

export function encodeCommand(command: DfuCommand, encoding: DfuEncoding): { payload: Buffer; contentType: string } {
  if (encoding === 'packed') {
    const fields = new Map<number, unknown>();
    const values = command as unknown as Record<string, unknown>;
    for (const [field, index] of Object.entries(COMMAND_FIELDS[command.op])) {
      const value = values[field];
      fields.set(index, field === 'version' ? utf8(value as string) : (value ?? null));
    }
    return packed(new Map([[OPS.indexOf(command.op), fields]]));
  }
  const binary = (bytes: Uint8Array, text: 'base64' | 'hex') =>
    encoding === 'json' ? Buffer.from(bytes).toString(text) : Buffer.from(bytes);
  const named: Record<string, unknown> = { op: command.op.toUpperCase() };
  if (command.op !== 'wait') named.version = command.version;
  if (command.correlationId !== undefined) named.correlation_id = command.correlationId;
  if ((command.op === 'wait' || command.op === 'sync') && command.poll !== undefined) named.poll = command.poll;
  if (command.op === 'write') {
    named.offset = command.offset;
    named.size = command.data.length;
    named.data = binary(command.data, 'base64');
  }
  if (command.op === 'swap') named.checksum = binary(command.checksum, 'hex');
  return encoding === 'json' ? json(named) : namedCbor(named);
}

export function decodeStatus(
  payload: Uint8Array,
  contentType?: string,
): { status: DeviceStatus; encoding: DfuEncoding } {
  const { value, encoding } = decodeMessage(payload, contentType, 'status');
  const read = fieldReader(value, encoding, STATUS_FIELDS, 'status');
  const mtu = read.u32('mtu');
  if (mtu === 0) throw new DfuDecodeError('status: mtu must be at least 1');
  const status: DeviceStatus = { version: read.version('version') };
  if (mtu !== undefined) status.mtu = mtu;
  const correlationId = read.u32('correlationId');
  if (correlationId !== undefined) status.correlationId = correlationId;
  const update = read.update();
  if (update !== undefined) {
    const fields = fieldReader(update, encoding, UPDATE_FIELDS, 'status.update');
    const version = fields.version('version');
    const offset = fields.u32('offset');
    if (offset === undefined) throw new DfuDecodeError('status.update: offset is missing');
    status.update = { version, offset };
  }
  return { status, encoding };
}

export function decodeCommand(
  payload: Uint8Array,
  contentType?: string,
): { command: DfuCommand; encoding: DfuEncoding } {
  const { value, encoding } = decodeMessage(payload, contentType, 'command');
  let op: Op;
  let body: unknown;
  if (encoding === 'packed') {
    const entries = [...(value as Map<unknown, unknown>)];
    if (entries.length !== 1) throw new DfuDecodeError('command: a packed command is a map of one entry');
    const [[index, fields]] = entries as [[number, unknown]];
    const known = OPS[index];
    if (known === undefined) throw new DfuDecodeError(`command: unknown op index ${index} (0 to 3)`);
    op = known;
    body = fields;
  } else {
    const name = namedField(value, 'op');
    if (typeof name !== 'string') throw new DfuDecodeError('command: op is missing or not text');
    const known = OPS.find((o) => o === name.toLowerCase());
    if (known === undefined) throw new DfuDecodeError(`command: unknown op ${quote(name)} (WAIT, SYNC, WRITE or SWAP)`);
    op = known;
    body = value;
  }
  const where = `command ${op.toUpperCase()}`;
  const read = fieldReader(body, encoding, COMMAND_FIELDS[op], where);
  const correlationId = read.u32('correlationId');
  const common = correlationId !== undefined ? { correlationId } : {};
  const required = <T>(value: T | undefined, field: string): T => {
    if (value === undefined) throw new DfuDecodeError(`${where}: ${field} is missing`);
    return value;
  };
  switch (op) {
    case 'wait': {
      const poll = read.u32('poll');
      return { command: { op, ...common, ...(poll !== undefined ? { poll } : {}) }, encoding };
    }
    case 'sync': {
      const poll = read.u32('poll');
      return {
        command: { op, version: read.version('version'), ...common, ...(poll !== undefined ? { poll } : {}) },
        encoding,
      };
    }
    case 'write': {
      const data = required(read.bytes('data', 'base64'), 'data');
      const size = encoding === 'packed' ? undefined : read.u32('size');
      if (size !== undefined && size !== data.length) {
        throw new DfuDecodeError(`${where}: size ${size} differs from the data's ${data.length} bytes`);
      }
      const offset = required(read.u32('offset'), 'offset');
      if (offset + data.length > U32_MAX + 1) throw new DfuDecodeError(`${where}: the block ends beyond 2^32`);
      return { command: { op, version: read.version('version'), ...common, offset, data }, encoding };
    }
    case 'swap': {
      const checksum = required(read.bytes('checksum', 'hex'), 'checksum');
      if (checksum.length !== CHECKSUM_BYTES) {
        throw new DfuDecodeError(`${where}: checksum has ${checksum.length} bytes, not ${CHECKSUM_BYTES} (SHA-256)`);
      }
      return { command: { op, version: read.version('version'), ...common, checksum }, encoding };
    }
  }
}

function packed(value: Map<number, unknown>) {
  return { payload: Buffer.from(cbor.encode(value)), contentType: CBOR };
}

function namedCbor(value: Record<string, unknown>) {
  return { payload: Buffer.from(cbor.encode(new Map(Object.entries(value)))), contentType: CBOR };
}

function json(value: Record<string, unknown>) {
  return { payload: Buffer.from(JSON.stringify(value)), contentType: JSON_TYPE };
}

function utf8(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The payload as a map (CBOR) or an object (JSON), and which encoding it used. */
function decodeMessage(
  payload: Uint8Array,
  contentType: string | undefined,
  what: string,
): { value: Map<unknown, unknown> | Record<string, unknown>; encoding: DfuEncoding } {
  if (payload.length === 0) throw new DfuDecodeError(`${what}: the payload is empty`);
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (type === JSON_TYPE || type?.endsWith('+json')) return { value: parseJson(payload, what), encoding: 'json' };
  let value: unknown;
  try {
    value = cbor.decode(payload);
  } catch (error) {
    // Without a content type (MQTT 3.1.1), JSON is JSON: '{' and '[' start CBOR texts that cannot fit.
    if (type !== CBOR && looksLikeJson(payload)) return { value: parseJson(payload, what), encoding: 'json' };
    throw new DfuDecodeError(`${what}: ${cborProblem(error)}`);
  }
  if (!(value instanceof Map)) throw new DfuDecodeError(`${what}: expected a CBOR map, got ${describe(value)}`);
  const keys = [...value.keys()];
  if (keys.every((k) => typeof k === 'number')) return { value, encoding: 'packed' };
  if (keys.every((k) => typeof k === 'string')) return { value, encoding: 'named' };
  throw new DfuDecodeError(`${what}: map keys must be all field indexes (packed) or all names`);
}

function looksLikeJson(payload: Uint8Array): boolean {
  for (const byte of payload) {
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    return byte === 0x7b || byte === 0x5b;
  }
  return false;
}

function parseJson(payload: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(strictUtf8.decode(payload));
  } catch (error) {
    const reason = error instanceof RangeError ? 'nested too deeply' : 'not valid JSON';
    throw new DfuDecodeError(`${what}: ${reason}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DfuDecodeError(`${what}: expected a JSON object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

function cborProblem(error: unknown): string {
  if (error instanceof RangeError && !(error as { incomplete?: boolean }).incomplete) {
    return 'not valid CBOR (nested too deeply)';
  }
  if ((error as { incomplete?: boolean })?.incomplete) return 'truncated CBOR';
  if (error instanceof Error && error.message.startsWith('Data read, but end of buffer not reached')) {
    return 'not valid CBOR (bytes after the message)';
  }
  return 'not valid CBOR';
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return 'a byte string';
  if (value instanceof Map) return 'a map';
  if (typeof value === 'bigint') return 'a number beyond 2^53';
  if (typeof value === 'object') return 'a tagged value';
  return `a ${typeof value}`;
}

function quote(text: string): string {
  const short = text.length > 20 ? `${text.slice(0, 20)}…` : text;
  return JSON.stringify(short);
}

function namedField(value: Map<unknown, unknown> | Record<string, unknown>, name: string): unknown {
  if (value instanceof Map) return value.get(name);
  return Object.hasOwn(value, name) ? value[name] : undefined;
}

/** Reads the fields of one struct by index (packed) or by name (named, JSON); absent and null are the same. */
function fieldReader(struct: unknown, encoding: DfuEncoding, indexes: Readonly<Record<string, number>>, where: string) {
  const isStruct = encoding === 'json' ? isPlainObject(struct) : struct instanceof Map;
  if (!isStruct) throw new DfuDecodeError(`${where}: expected a map, got ${describe(struct)}`);
  const map = struct as Map<unknown, unknown> | Record<string, unknown>;
  if (map instanceof Map && encoding === 'packed' && ![...map.keys()].every((k) => typeof k === 'number')) {
    throw new DfuDecodeError(`${where}: a packed struct's keys must be field indexes`);
  }
  const nameOf = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  const get = (field: string): unknown => {
    const value =
      encoding === 'packed' ? (map as Map<unknown, unknown>).get(indexes[field]) : namedField(map, nameOf(field));
    return value === null ? undefined : value;
  };
  return {
    u32(field: string): number | undefined {
      const value = get(field);
      if (value === undefined) return undefined;
      if (typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value) && value > U32_MAX)) {
        throw new DfuDecodeError(`${where}: ${nameOf(field)} is beyond 2^32-1`);
      }
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
        throw new DfuDecodeError(`${where}: ${nameOf(field)} must be an integer from 0 to 2^32-1`);
      }
      return value;
    },
    version(field: string): string {
      const value = get(field);
      if (value === undefined) throw new DfuDecodeError(`${where}: ${field} is missing`);
      const bytes = typeof value === 'string' ? utf8(value) : value instanceof Uint8Array ? value : undefined;
      if (bytes === undefined) throw new DfuDecodeError(`${where}: ${field} must be text or bytes`);
      if (bytes.length > MAX_VERSION_BYTES) {
        throw new DfuDecodeError(`${where}: ${field} is longer than ${MAX_VERSION_BYTES} bytes`);
      }
      if (typeof value === 'string') return value;
      try {
        return strictUtf8.decode(bytes);
      } catch {
        throw new DfuDecodeError(`${where}: ${field} is not UTF-8`);
      }
    },
    /** Bytes: CBOR byte strings; in JSON, text in `text` (base64 or hex). */
    bytes(field: string, text: 'base64' | 'hex'): Uint8Array | undefined {
      const value = get(field);
      if (value === undefined) return undefined;
      if (encoding !== 'json') {
        if (!(value instanceof Uint8Array)) throw new DfuDecodeError(`${where}: ${field} must be a byte string`);
        return value;
      }
      const pattern = text === 'hex' ? /^(?:[0-9a-fA-F]{2})*$/ : /^[A-Za-z0-9+/]*={0,2}$/;
      if (typeof value !== 'string' || !pattern.test(value) || (text === 'base64' && value.length % 4 !== 0)) {
        throw new DfuDecodeError(`${where}: ${field} must be ${text} text`);
      }
      return Buffer.from(value, text);
    },
    /** Status's update, also named `status` in the named forms. */
    update(): unknown {
      const update = get('update');
      if (encoding === 'packed') return update;
      const status = namedField(map, 'status') ?? undefined;
      if (update !== undefined && status !== undefined) {
        throw new DfuDecodeError(`${where}: update and status are the same field: give one`);
      }
      return update ?? status;
    },
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
