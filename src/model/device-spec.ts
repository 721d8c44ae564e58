// The device spec sections the cloud understands (docs/drogue-api.md, "Device spec sections"), read the same way by the
// client (tables, `drg set`) and the server (the coming device endpoints).
import { isJsonObject } from './json.js';
import type { Resource } from './resource.js';

/** Both sections the cloud reads credentials from: current clusters, then older ones. Both are written. */
export const CREDENTIAL_SECTIONS = ['authentication', 'credentials'] as const;

/**
 * The device spec's sections Drogue Cloud (0.11, with its operators) acts on, and the fields it knows in each
 * (undefined: any). Anything else is stored but does nothing.
 */
export const DEVICE_SPEC_SECTIONS: Readonly<Record<string, readonly string[] | undefined>> = {
  authentication: ['credentials'],
  credentials: ['credentials'],
  gatewaySelector: ['matchNames'],
  alias: undefined,
  core: ['disabled'],
  commands: ['commands'],
  mqtt: ['dialect'],
  firmware: undefined,
  ttn: undefined,
};

/** The application spec's sections Drogue Cloud acts on. */
export const APPLICATION_SPEC_SECTIONS: Readonly<Record<string, readonly string[] | undefined>> = {
  trustAnchors: ['anchors'],
  mqtt: ['dialect'],
  downstream: undefined,
  knative: undefined,
  publish: ['rules'],
  command: ['rules'],
  firmware: undefined,
  ttn: undefined,
  ditto: undefined,
};

export interface UnknownSpecField {
  /** `spec.x` or `spec.section.x`. */
  path: string;
  /** Where a field of that name belongs, when it is one the cloud knows elsewhere. */
  didYouMean?: string;
}

/**
 * The fields of `spec` the cloud does not understand: a misplaced field (`{"disabled": true}` instead of
 * `{"core": {"disabled": true}}`) is stored, and changes nothing.
 */
export function unknownSpecFields(kind: 'application' | 'device', spec: unknown): UnknownSpecField[] {
  if (!isJsonObject(spec)) return [];
  const sections = kind === 'device' ? DEVICE_SPEC_SECTIONS : APPLICATION_SPEC_SECTIONS;
  const home = (field: string) => {
    const section = Object.entries(sections).find(([, fields]) => fields?.includes(field))?.[0];
    return section === undefined ? {} : { didYouMean: `spec.${section}.${field}` };
  };
  const unknown: UnknownSpecField[] = [];
  for (const [key, value] of Object.entries(spec)) {
    if (!Object.hasOwn(sections, key)) {
      unknown.push({ path: `spec.${key}`, ...home(key) });
      continue;
    }
    const fields = sections[key];
    if (!fields || !isJsonObject(value)) continue;
    for (const field of Object.keys(value)) {
      if (!fields.includes(field)) unknown.push({ path: `spec.${key}.${field}`, ...home(field) });
    }
  }
  return unknown;
}

/** Credentials from `authentication.credentials`, else the older `credentials.credentials`. */
export function deviceCredentials(device: Resource): unknown[] {
  const current = listAt(device.spec, 'authentication', 'credentials');
  return current.length > 0 ? current : listAt(device.spec, 'credentials', 'credentials');
}

/** The devices allowed to act for this one (`gatewaySelector.matchNames`). */
export function deviceGateways(device: Resource): string[] {
  return stringsAt(device.spec, 'gatewaySelector', 'matchNames');
}

/** The device's further names (`alias`). */
export function deviceAliases(device: Resource): string[] {
  return stringsAt(device.spec, 'alias');
}

export function deviceDisabled(device: Resource): boolean {
  const core = device.spec?.core;
  return isJsonObject(core) && core.disabled === true;
}

function objectAt(value: unknown, ...path: string[]): Record<string, unknown> | undefined {
  let current = value;
  for (const key of path) {
    if (!isJsonObject(current)) return undefined;
    current = current[key];
  }
  return isJsonObject(current) ? current : undefined;
}

/** The list at `path` (empty when absent or not a list). */
export function listAt(value: unknown, ...path: string[]): unknown[] {
  const parent = objectAt(value, ...path.slice(0, -1));
  const list = parent?.[path[path.length - 1]];
  return Array.isArray(list) ? list : [];
}

function stringsAt(value: unknown, ...path: string[]): string[] {
  return listAt(value, ...path).filter((v): v is string => typeof v === 'string');
}
