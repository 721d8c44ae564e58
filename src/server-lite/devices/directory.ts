// What the device endpoints need to know of the registry, read as the system (no caller): an application, a
// device by name or alias, devices by a `user` credential's user name, applications by a trust anchor's subject.
// Lookups are cached per application until the registry says it changed.

import type { Statement } from 'better-sqlite3';
import { deviceAliases, deviceDisabled, deviceGateways } from '../../model/device-spec.js';
import type { Resource } from '../../model/resource.js';
import type { Db } from '../store/db.js';

export interface ApplicationEntry {
  name: string;
  uid: string;
  spec: Record<string, unknown>;
  /** Its trust anchors' subjects, from status.trustAnchors (the valid ones). */
  anchors: Array<{ subject: string; pem: string }>;
  deleting: boolean;
}

export interface DeviceEntry {
  name: string;
  uid: string;
  spec: Record<string, unknown>;
  disabled: boolean;
  gateways: readonly string[];
  aliases: readonly string[];
}

/** Cached lookups per application, at most this many applications at a time. */
const MAX_CACHED_APPLICATIONS = 10_000;

interface AppCache {
  app?: ApplicationEntry | null;
  devices: Map<string, DeviceEntry | null>;
}

export class DeviceDirectory {
  private readonly cache = new Map<string, AppCache>();
  private readonly statements: ReturnType<typeof prepare>;

  constructor(db: Db) {
    this.statements = prepare(db);
  }

  application(name: string): ApplicationEntry | undefined {
    const cached = this.cached(name);
    if (cached.app === undefined) {
      const row = this.statements.app.get(name);
      cached.app = row ? applicationEntry(row.doc, row.deleting !== 0) : null;
    }
    return cached.app ?? undefined;
  }

  device(app: string, name: string): DeviceEntry | undefined {
    const cached = this.cached(app);
    let entry = cached.devices.get(name);
    if (entry === undefined) {
      const doc = this.statements.device.get(app, name);
      entry = doc === undefined ? null : deviceEntry(doc);
      cached.devices.set(name, entry);
    }
    return entry ?? undefined;
  }

  /**
   * The device named by a certificate's subject DN: by name or alias as written, else by an alias with the same
   * attributes in another order (drg 0.11's certificates are `O=.., OU=.., CN=..`, its aliases `CN=.., O=.., OU=..`).
   */
  deviceBySubject(app: string, subject: string): DeviceEntry | undefined {
    const byName = this.device(app, subject);
    if (byName) return byName;
    const doc = this.statements.deviceByAlias.get(app, subject);
    if (doc !== undefined) return deviceEntry(doc);
    const attributes = sortedAttributes(subject);
    const needle = attributes.find((a) => a.startsWith('CN=')) ?? attributes[0];
    for (const candidate of this.statements.devicesMentioning.all(app, JSON.stringify(needle).slice(1, -1))) {
      const device = deviceEntry(candidate);
      if (device.aliases.some((alias) => sameAttributes(sortedAttributes(alias), attributes))) return device;
    }
    return undefined;
  }

  /** The devices with a `user` credential of this user name (both credential sections). */
  devicesWithUser(app: string, username: string): DeviceEntry[] {
    return this.statements.devicesWithUser.all(app, username, username).map(deviceEntry);
  }

  /** The applications with a valid trust anchor of this subject. */
  applicationsWithAnchor(subject: string): string[] {
    return this.statements.appsWithAnchor.all(subject);
  }

  /** The registry changed the application (and maybe its devices): forget what was read of it. */
  forget(app: string): void {
    this.cache.delete(app);
  }

  private cached(app: string): AppCache {
    let cached = this.cache.get(app);
    if (!cached) {
      if (this.cache.size >= MAX_CACHED_APPLICATIONS) this.cache.clear();
      cached = { devices: new Map() };
      this.cache.set(app, cached);
    }
    return cached;
  }
}

function prepare(db: Db) {
  const deviceOf = 'SELECT d.doc FROM devices d JOIN applications a ON a.id = d.app_id WHERE a.name = ?';
  const userIn = (section: string) =>
    `EXISTS (SELECT 1 FROM json_each(d.doc, '$.spec.${section}.credentials') c
             WHERE json_extract(c.value, '$.user.username') = ?)`;
  return {
    app: db.prepare<[string], { doc: string; deleting: number }>(
      'SELECT doc, deleting FROM applications WHERE name = ?',
    ),
    device: db.prepare<[string, string], string>(`${deviceOf} AND d.name = ?`).pluck() as Statement<
      [string, string],
      string
    >,
    deviceByAlias: db
      .prepare<[string, string], string>(
        `${deviceOf} AND EXISTS (SELECT 1 FROM json_each(d.doc, '$.spec.alias') x WHERE x.value = ?) ORDER BY d.name`,
      )
      .pluck() as Statement<[string, string], string>,
    devicesMentioning: db
      .prepare<[string, string], string>(`${deviceOf} AND instr(d.doc, ?) > 0 ORDER BY d.name LIMIT 100`)
      .pluck() as Statement<[string, string], string>,
    devicesWithUser: db
      .prepare<[string, string, string], string>(
        `${deviceOf} AND (${userIn('authentication')} OR ${userIn('credentials')}) ORDER BY d.name`,
      )
      .pluck() as Statement<[string, string, string], string>,
    appsWithAnchor: db
      .prepare<[string], string>(
        `SELECT a.name FROM applications a, json_each(a.doc, '$.status.trustAnchors.anchors') t
         WHERE a.deleting = 0 AND json_extract(t.value, '$.valid.subject') = ? ORDER BY a.name`,
      )
      .pluck() as Statement<[string], string>,
  };
}

function applicationEntry(doc: string, deleting: boolean): ApplicationEntry {
  const app = JSON.parse(doc) as Resource;
  const anchors: ApplicationEntry['anchors'] = [];
  const status = app.status as { trustAnchors?: { anchors?: unknown[] } } | undefined;
  for (const anchor of status?.trustAnchors?.anchors ?? []) {
    const valid = (anchor as { valid?: { subject?: unknown; certificate?: unknown } }).valid;
    if (typeof valid?.subject === 'string' && typeof valid.certificate === 'string') {
      anchors.push({ subject: valid.subject, pem: Buffer.from(valid.certificate, 'base64').toString('utf8') });
    }
  }
  return { name: app.metadata.name, uid: app.metadata.uid ?? '', spec: app.spec ?? {}, anchors, deleting };
}

function deviceEntry(doc: string): DeviceEntry {
  const device = JSON.parse(doc) as Resource;
  return {
    name: device.metadata.name,
    uid: device.metadata.uid ?? '',
    spec: device.spec ?? {},
    disabled: deviceDisabled(device),
    gateways: deviceGateways(device),
    aliases: deviceAliases(device),
  };
}

/** A DN's attributes (`TYPE=value`, split at `, `), sorted. */
function sortedAttributes(dn: string): string[] {
  return dn.split(', ').sort();
}

function sameAttributes(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
