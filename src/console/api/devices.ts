// Devices as the device pages use them: the registry (docs/drogue-api.md, "Registry"), drg serve's connections
// (which a cluster answers with 404), the command API, and the spec changes `drg set password` makes.
import { COMMAND_BASE, CONNECTIONS_BASE, type ConnectionsBody, REGISTRY_BASE } from '../../model/api-paths.js';
import { CREDENTIAL_SECTIONS, deviceCredentials } from '../../model/device-spec.js';
import { firmwareState, firmwareStatusOf } from '../../model/firmware.js';
import { isJsonObject } from '../../model/json.js';
import { labelKeyProblem, labelValueProblem } from '../../model/labels.js';
import type { Device } from '../../model/resource.js';
import { ApiError, api, pathOf, request } from './client.js';

export type { Device };

/** What drg serve's connections API answers: who is connected now, and when each device was last seen. */
export interface Connections {
  devices: ConnectionsBody['devices'];
  lastSeen: Record<string, string>;
}

export const devicesPath = (app: string) => pathOf(`${REGISTRY_BASE}/apps`, app, 'devices');
export const devicePath = (app: string, device: string) => pathOf(`${REGISTRY_BASE}/apps`, app, 'devices', device);

/** Every device of the application (those `labels` selects), in one request: a listing without `limit` has all. */
export function listDevices(app: string, labels?: string): Promise<Device[]> {
  return api.get<Device[]>(devicesPath(app), { query: { labels } });
}

export function getDevice(app: string, device: string): Promise<Device> {
  return api.get<Device>(devicePath(app, device));
}

/** The connections, or undefined from a server without the API (a cluster: 404). */
export async function connections(app: string): Promise<Connections | undefined> {
  let body: unknown;
  try {
    body = await api.get(pathOf(`${CONNECTIONS_BASE}/apps`, app));
  } catch (err) {
    if (err instanceof ApiError && [404, 405].includes(err.status)) return undefined;
    throw err;
  }
  if (!isJsonObject(body) || !isJsonObject(body.devices)) return undefined;
  const lastSeen = isJsonObject(body.lastSeen) ? body.lastSeen : {};
  return { devices: body.devices as Connections['devices'], lastSeen: lastSeen as Record<string, string> };
}

/** One line of the devices table. */
export interface DeviceRow {
  name: string;
  labels?: Record<string, string>;
  /** Undefined when the server does not tell. */
  connected?: { since: string; protocol: string } | false;
  lastSeen?: string;
  firmware?: string;
  current?: string;
  target?: string;
}

/** The table's rows, in one pass over the devices. */
export function deviceRows(devices: readonly Device[], known: Connections | undefined): DeviceRow[] {
  return devices.map((device) => {
    const name = device.metadata.name;
    const connection = known?.devices[name];
    const status = firmwareStatusOf(device);
    return {
      name,
      labels: device.metadata.labels,
      connected: known ? (connection ?? false) : undefined,
      lastSeen: known?.lastSeen[name] ?? connection?.since,
      firmware: firmwareState(status),
      current: status?.current,
      target: status?.target,
    };
  });
}

/** `k=v, k2=v2` (commas or new lines between); the first invalid label is an Error. */
export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const item of text.split(/[,\n]/)) {
    const entry = item.trim();
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    const key = eq < 0 ? entry : entry.slice(0, eq).trim();
    const value = eq < 0 ? '' : entry.slice(eq + 1).trim();
    const problem = labelKeyProblem(key) ?? labelValueProblem(value);
    if (problem) throw new Error(problem);
    labels[key] = value;
  }
  return labels;
}

export async function createDevice(app: string, name: string, labels: Record<string, string>): Promise<void> {
  const metadata = { name, application: app, ...(Object.keys(labels).length > 0 && { labels }) };
  await api.post(devicesPath(app), { metadata, spec: {} });
}

/** Deletes this device (by its uid: a device of the same name created meanwhile stays). */
export async function deleteDevice(device: Device): Promise<void> {
  await api.delete(devicePath(device.metadata.application, device.metadata.name), {
    preconditions: { uid: device.metadata.uid },
  });
}

/** PUT with the resourceVersion `device` carries: a change made meanwhile is a 409. */
export async function updateDevice(device: Device): Promise<void> {
  await api.put(devicePath(device.metadata.application, device.metadata.name), device);
}

/** A credential as the page lists it: its kind and user name, never a secret. */
export interface CredentialSummary {
  kind: string;
  username?: string;
}

export function credentialSummaries(device: Device): CredentialSummary[] {
  return deviceCredentials(device).map((credential) => {
    if (!isJsonObject(credential)) return { kind: 'unreadable' };
    const kind = Object.keys(credential)[0] ?? 'empty';
    const user = credential.user;
    if (kind === 'user' && isJsonObject(user) && typeof user.username === 'string') {
      return { kind, username: user.username };
    }
    return { kind };
  });
}

/** bcrypt's limit: it ignores what follows 72 bytes, so drg serve refuses longer passwords. */
export const MAX_PASSWORD_BYTES = 72;

/** The cost drg serve's own bcrypt hashes have. */
const BCRYPT_COST = 10;

/** bcrypt in the browser: only the hash leaves it. */
export async function hashPassword(plain: string): Promise<string> {
  const { default: bcrypt } = await import('bcryptjs');
  return bcrypt.hash(plain, BCRYPT_COST);
}

/**
 * The device with `{"pass": {"bcrypt": H}}` in both credential sections in place of its password, as
 * `drg set password` writes its hash (other credentials stay).
 */
export function withPassword(device: Device, bcrypt: string): Device {
  const next = structuredClone(device);
  const spec = next.spec ?? {};
  const credential = { pass: { bcrypt } };
  for (const section of CREDENTIAL_SECTIONS) {
    const container = spec[section] ?? {};
    if (!isJsonObject(container)) throw new Error(`spec.${section} is not an object: fix it in the editor`);
    const list = container.credentials ?? [];
    if (!Array.isArray(list)) throw new Error(`spec.${section}.credentials is not a list: fix it in the editor`);
    const first = list.findIndex(isPass);
    const rest = list.filter((c) => !isPass(c));
    rest.splice(first < 0 ? rest.length : first, 0, credential);
    spec[section] = { ...container, credentials: rest };
  }
  next.spec = spec;
  return next;
}

const isPass = (c: unknown) => isJsonObject(c) && Object.hasOwn(c, 'pass');

export type CommandOutcome = { dispatched: true } | { dispatched: false; status: number; message: string };

/** POST to the command API; 202 is dispatched, 406 and 503 (and any other refusal) are not. */
export async function sendCommand(
  app: string,
  device: string,
  command: string,
  payload?: { text: string; contentType: string },
): Promise<CommandOutcome> {
  const path = pathOf(`${COMMAND_BASE}/apps`, app, 'devices', device);
  try {
    await request('POST', path, {
      query: { command },
      ...(payload && { body: payload.text, contentType: payload.contentType }),
    });
    return { dispatched: true };
  } catch (err) {
    if (err instanceof ApiError && err.status >= 400 && err.status !== 401 && err.status !== 403) {
      return { dispatched: false, status: err.status, message: err.message };
    }
    throw err;
  }
}
