// Changes `drg set` makes to a device's spec (docs/drogue-api.md, "Device spec sections"). Pure: each returns a new device.
import { encrypt } from 'unixcrypt';
import { DrgError, UsageError } from '../errors.js';
import { CREDENTIAL_SECTIONS } from '../model/device-spec.js';
import { isJsonObject } from '../model/json.js';
import type { Resource } from '../model/resource.js';

export type Credential = Record<string, unknown>;

/** sha512-crypt (`$6$`, random salt): the plain password never leaves this machine. */
export function hashPassword(plain: string): string {
  return encrypt(plain);
}

/** `{"pass": {"sha512": H}}`, or `{"user": {"username": U, "password": {"sha512": H}, "unique": false}}`. */
export function passwordCredential(sha512: string, username?: string): Credential {
  const password = { sha512 };
  return username === undefined ? { pass: password } : { user: { username, password, unique: false } };
}

/**
 * `{"psk": {"key": <base64>}}`. The key is taken as text (its UTF-8 bytes are the key) unless `base64` says
 * it is already base64-encoded bytes.
 */
export function pskCredential(key: string, opts: { base64?: boolean } = {}): Credential {
  if (key.length === 0) throw new UsageError('the pre-shared key must not be empty');
  if (!opts.base64) return { psk: { key: Buffer.from(key, 'utf8').toString('base64') } };
  const bytes = Buffer.from(key, 'base64');
  if (bytes.length === 0 || bytes.toString('base64').replace(/=+$/, '') !== key.replace(/=+$/, '')) {
    throw new UsageError('the pre-shared key is not valid base64', 'leave out --base64 to use the text as the key');
  }
  return { psk: { key: bytes.toString('base64') } };
}

/**
 * Adds the credential to both credential sections, replacing one of the same kind (the `pass`, the `psk`,
 * or the `user` with the same username) instead of adding a second.
 */
export function withCredential<R extends Resource>(device: R, credential: Credential): R {
  const next = structuredClone(device);
  const spec = specOf(next);
  for (const section of CREDENTIAL_SECTIONS) {
    const container = spec[section] ?? {};
    if (!isJsonObject(container)) throw malformed(device, `spec.${section}`, 'an object');
    const list = container.credentials ?? [];
    if (!Array.isArray(list)) throw malformed(device, `spec.${section}.credentials`, 'a list');
    spec[section] = { ...container, credentials: replaceOrAppend(list, credential) };
  }
  return next;
}

function replaceOrAppend(list: unknown[], credential: Credential): unknown[] {
  const same = (c: unknown) => sameSlot(c, credential);
  const first = list.findIndex(same);
  if (first < 0) return [...list, credential];
  const rest = list.filter((c, i) => i < first || !same(c));
  rest.splice(first, 0, credential);
  return rest;
}

/** Whether two credentials occupy the same slot: same kind and, for `user`, the same username. */
function sameSlot(a: unknown, b: Credential): boolean {
  if (!isJsonObject(a)) return false;
  const kind = Object.keys(b)[0];
  if (!Object.hasOwn(a, kind)) return false;
  if (kind !== 'user') return true;
  const username = (x: unknown) => (isJsonObject(x) ? x.username : undefined);
  return username(a.user) === username(b.user);
}

/** Adds the gateway to `spec.gatewaySelector.matchNames` unless it is there already. */
export function withGateway<R extends Resource>(device: R, gateway: string): R {
  const next = structuredClone(device);
  const spec = specOf(next);
  const selector = spec.gatewaySelector ?? {};
  if (!isJsonObject(selector)) throw malformed(device, 'spec.gatewaySelector', 'an object');
  spec.gatewaySelector = {
    ...selector,
    matchNames: addUnique(device, selector.matchNames, gateway, 'spec.gatewaySelector.matchNames'),
  };
  return next;
}

/** Removes the gateway from `spec.gatewaySelector.matchNames` (nothing changes when it is not there). */
export function withoutGateway<R extends Resource>(device: R, gateway: string): R {
  const next = structuredClone(device);
  const spec = specOf(next);
  const selector = spec.gatewaySelector;
  if (selector === undefined) return next;
  if (!isJsonObject(selector)) throw malformed(device, 'spec.gatewaySelector', 'an object');
  spec.gatewaySelector = {
    ...selector,
    matchNames: removeItem(device, selector.matchNames, gateway, 'spec.gatewaySelector.matchNames'),
  };
  return next;
}

/** Adds the alias to `spec.alias` unless it is there already. */
export function withAlias<R extends Resource>(device: R, alias: string): R {
  const next = structuredClone(device);
  const spec = specOf(next);
  spec.alias = addUnique(device, spec.alias, alias, 'spec.alias');
  return next;
}

/** Removes the alias from `spec.alias` (nothing changes when it is not there). */
export function withoutAlias<R extends Resource>(device: R, alias: string): R {
  const next = structuredClone(device);
  const spec = specOf(next);
  if (spec.alias !== undefined) spec.alias = removeItem(device, spec.alias, alias, 'spec.alias');
  return next;
}

function listOf(device: Resource, list: unknown, path: string): unknown[] {
  const items = list ?? [];
  if (!Array.isArray(items)) throw malformed(device, path, 'a list');
  return items;
}

function addUnique(device: Resource, list: unknown, item: string, path: string): unknown[] {
  const items = listOf(device, list, path);
  return items.includes(item) ? items : [...items, item];
}

function removeItem(device: Resource, list: unknown, item: string, path: string): unknown[] {
  const items = listOf(device, list, path);
  return items.includes(item) ? items.filter((i) => i !== item) : items;
}

function specOf(device: Resource): Record<string, unknown> {
  if (device.spec === undefined) device.spec = {};
  if (!isJsonObject(device.spec)) throw malformed(device, 'spec', 'an object');
  return device.spec;
}

function malformed(device: Resource, path: string, expected: string): DrgError {
  return new DrgError(`device ${device.metadata.name}: ${path} is not ${expected}`, {
    hint: `fix it with \`drg edit device ${device.metadata.name}\``,
  });
}
