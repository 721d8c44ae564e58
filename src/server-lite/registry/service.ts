// The registry on SQLite: applications and devices with the semantics of API.md ("Registry").
// Each resource's JSON text is stored as served, so reads never re-serialise; labels are mirrored
// into label tables so that selectors run in SQL. One transaction per write; onChange after commit.
import { randomUUID } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import { isJsonObject, jsonEqual } from '../../model/json.js';
import { isMemberRole, type MemberRole } from '../../model/members.js';
import { appNameProblem, deviceNameProblem } from '../../model/names.js';
import { type ListOptions, type Preconditions, sameContent } from '../../model/resource.js';
import { parseSelector, type Selector, SelectorError } from '../../model/selector.js';
import { type ApiError, badRequest, conflict, forbidden, lockFailed, notFound } from '../errors.js';
import type { Db } from '../store/db.js';
import { parseResourceBody, type ResourceInput, type StoredResource, serialize } from './documents.js';
import { type LabelsTable, selectorCondition } from './selector-sql.js';
import { trustAnchorsStatus } from './trust-anchors.js';
import type { Caller, RegistryChange, RegistryService } from './types.js';

export type Members = Record<string, { role: MemberRole }>;
type Role = 'owner' | MemberRole;

const CAN_WRITE: ReadonlySet<Role> = new Set(['owner', 'admin', 'manager']);
const CAN_DELETE_APP: ReadonlySet<Role> = new Set(['owner', 'admin']);
const CAN_ADMINISTER: ReadonlySet<Role> = CAN_DELETE_APP;
const OWNER: ReadonlySet<Role> = new Set(['owner']);

/** The finalizer that keeps a deleted application while soft-deleted devices remain. */
export const HAS_DEVICES = 'has-devices';

const APP_LABELS: LabelsTable = { table: 'application_labels', ownerColumn: 'app_id' };
const DEVICE_LABELS: LabelsTable = { table: 'device_labels', ownerColumn: 'device_id' };
const STATEMENT_CACHE_SIZE = 100;

export interface SqliteRegistryOptions {
  /** Called after each committed change; must not throw. */
  onChange?: (change: RegistryChange) => void;
  now?: () => Date;
  /** Whether a user exists; when given, new members and transfer targets must. */
  userExists?: (user: string) => boolean;
}

interface AppRow {
  id: number;
  owner: string;
  deleting: number;
  doc: string;
  /** The user a pending ownership transfer is offered to. */
  transfer_to: string | null;
  /** The caller's member role, if any. */
  role: MemberRole | null;
}

interface DeviceRow {
  id: number;
  deleting: number;
  doc: string;
}

function prepare(db: Db) {
  return {
    app: db.prepare<[string, string], AppRow>(
      `SELECT a.id, a.owner, a.deleting, a.doc, a.transfer_to, m.role FROM applications a
       LEFT JOIN application_members m ON m.app_id = a.id AND m.user = ? WHERE a.name = ?`,
    ),
    insertApp: db.prepare<[string, string, string]>(
      'INSERT INTO applications (name, owner, doc) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING',
    ),
    updateApp: db.prepare<[string, number, number]>('UPDATE applications SET doc = ?, deleting = ? WHERE id = ?'),
    deleteApp: db.prepare<[number]>('DELETE FROM applications WHERE id = ?'),
    insertAppLabel: db.prepare<[number | bigint, string, string]>(
      'INSERT INTO application_labels (app_id, key, value) VALUES (?, ?, ?)',
    ),
    deleteAppLabels: db.prepare<[number]>('DELETE FROM application_labels WHERE app_id = ?'),
    members: db.prepare<[number], { user: string; role: MemberRole }>(
      'SELECT user, role FROM application_members WHERE app_id = ? ORDER BY user',
    ),
    insertMember: db.prepare<[number, string, string]>(
      'INSERT INTO application_members (app_id, user, role) VALUES (?, ?, ?)',
    ),
    deleteMembers: db.prepare<[number]>('DELETE FROM application_members WHERE app_id = ?'),
    setTransfer: db.prepare<[string | null, number]>('UPDATE applications SET transfer_to = ? WHERE id = ?'),
    setOwner: db.prepare<[string, number]>('UPDATE applications SET owner = ?, transfer_to = NULL WHERE id = ?'),

    readableDevice: db
      .prepare<[string, string, string, string], string>(
        `SELECT d.doc FROM applications a JOIN devices d ON d.app_id = a.id AND d.name = ?
         WHERE a.name = ? AND (a.owner = ? OR EXISTS
           (SELECT 1 FROM application_members m WHERE m.app_id = a.id AND m.user = ?))`,
      )
      .pluck(),
    device: db.prepare<[number, string], DeviceRow>(
      'SELECT id, deleting, doc FROM devices WHERE app_id = ? AND name = ?',
    ),
    insertDevice: db.prepare<[number, string, number, string]>(
      'INSERT INTO devices (app_id, name, finalizers, doc) VALUES (?, ?, ?, ?) ON CONFLICT (app_id, name) DO NOTHING',
    ),
    updateDevice: db.prepare<[string, number, number, number]>(
      'UPDATE devices SET doc = ?, deleting = ?, finalizers = ? WHERE id = ?',
    ),
    deleteDevice: db.prepare<[number]>('DELETE FROM devices WHERE id = ?'),
    deleteDevicesWithoutFinalizers: db
      .prepare<[number], string>('DELETE FROM devices WHERE app_id = ? AND finalizers = 0 RETURNING name')
      .pluck(),
    liveDevices: db.prepare<[number], DeviceRow>(
      'SELECT id, deleting, doc FROM devices WHERE app_id = ? AND deleting = 0',
    ),
    countDevices: db.prepare<[number], number>('SELECT count(*) FROM devices WHERE app_id = ?').pluck(),
    insertDeviceLabel: db.prepare<[number | bigint, string, string]>(
      'INSERT INTO device_labels (device_id, key, value) VALUES (?, ?, ?)',
    ),
    deleteDeviceLabels: db.prepare<[number]>('DELETE FROM device_labels WHERE device_id = ?'),
  };
}

export class SqliteRegistry implements RegistryService {
  private readonly sql: ReturnType<typeof prepare>;
  private readonly listStatements = new Map<string, Statement<unknown[], string>>();
  private readonly inTransaction: (fn: () => void) => void;
  private readonly now: () => Date;

  constructor(
    private readonly db: Db,
    private readonly options: SqliteRegistryOptions = {},
  ) {
    this.sql = prepare(db);
    const tx = db.transaction((fn: () => void) => fn());
    this.inTransaction = (fn) => tx.immediate(fn);
    this.now = options.now ?? (() => new Date());
  }

  // ---- applications

  createApp(caller: Caller, body: unknown): { name: string } {
    if (!caller.user) throw forbidden();
    const owner = caller.user;
    const input = parseResourceBody(body, 'application');
    rejectName(appNameProblem(input.name));
    const resource = this.newResource(input, appStatus(input));
    this.write((changes) => {
      const result = this.sql.insertApp.run(input.name, owner, serialize(resource));
      if (result.changes === 0) throw conflict(`application "${input.name}" already exists`);
      this.insertLabels(this.sql.insertAppLabel, Number(result.lastInsertRowid), input.labels);
      changes.push({ kind: 'application', application: input.name, op: 'created' });
    });
    return { name: input.name };
  }

  listApps(caller: Caller, opts: ListOptions): string {
    const { selector, limit, offset } = listParams(opts);
    if (!caller.user) return '[]';
    const where = selectorCondition(selector, APP_LABELS, 'a.id');
    const docs = this.listStatement(
      `SELECT a.doc FROM applications a
       WHERE (a.owner = ? OR EXISTS (SELECT 1 FROM application_members m WHERE m.app_id = a.id AND m.user = ?))
         AND ${where.sql}
       ORDER BY a.name LIMIT ? OFFSET ?`,
    ).all(caller.user, caller.user, ...where.params, limit, offset);
    return `[${docs.join(',')}]`;
  }

  getApp(caller: Caller, app: string): string {
    return this.appFor(caller, app).doc;
  }

  updateApp(caller: Caller, app: string, body: unknown): void {
    const input = parseResourceBody(body, 'application');
    if (input.name !== app) {
      throw badRequest(`metadata.name "${input.name}" does not match the application "${app}" of the path`);
    }
    const status = appStatus(input);
    this.write((changes) => {
      const row = this.appFor(caller, app, CAN_WRITE);
      const current = JSON.parse(row.doc) as StoredResource;
      checkLock(current, input);
      const next = updated(current, input, status);
      if (row.deleting) next.metadata.finalizers = this.withHasDevices(row.id, input.finalizers);
      if (sameContent(current, next)) return;
      if (row.deleting && !next.metadata.finalizers?.length) {
        this.sql.deleteApp.run(row.id);
        changes.push({ kind: 'application', application: app, op: 'deleted' });
        return;
      }
      this.sql.updateApp.run(serialize(next), row.deleting, row.id);
      this.replaceLabels(this.sql.deleteAppLabels, this.sql.insertAppLabel, row.id, current, input.labels);
      changes.push({ kind: 'application', application: app, op: 'updated' });
    });
  }

  deleteApp(caller: Caller, app: string, preconditions?: Preconditions): void {
    this.write((changes) => {
      const row = this.appFor(caller, app, CAN_DELETE_APP);
      const current = JSON.parse(row.doc) as StoredResource;
      checkPreconditions(current, preconditions);
      if (row.deleting) return;
      const deletionTimestamp = this.timestamp();
      for (const device of this.sql.deleteDevicesWithoutFinalizers.all(row.id)) {
        changes.push({ kind: 'device', application: app, device, op: 'deleted' });
      }
      for (const device of this.sql.liveDevices.all(row.id)) {
        const doc = JSON.parse(device.doc) as StoredResource;
        this.softDeleteDevice(device.id, doc, deletionTimestamp);
        changes.push({ kind: 'device', application: app, device: doc.metadata.name, op: 'updated' });
      }
      const finalizers = this.withHasDevices(row.id, current.metadata.finalizers ?? []);
      if (finalizers.length === 0) {
        this.sql.deleteApp.run(row.id);
        changes.push({ kind: 'application', application: app, op: 'deleted' });
        return;
      }
      const next: StoredResource = {
        ...current,
        metadata: { ...current.metadata, deletionTimestamp, finalizers, resourceVersion: randomUUID() },
      };
      this.sql.updateApp.run(serialize(next), 1, row.id);
      changes.push({ kind: 'application', application: app, op: 'updated' });
    });
  }

  // ---- members and ownership (for the admin API; not part of the resource JSON)

  /** The members of an application and the resourceVersion to send back when changing them. Owner and admins. */
  getMembers(caller: Caller, app: string): { resourceVersion: string; members: Members } {
    const row = this.appFor(caller, app, CAN_ADMINISTER);
    const members: Members = {};
    for (const m of this.sql.members.all(row.id)) members[m.user] = { role: m.role };
    return { resourceVersion: (JSON.parse(row.doc) as StoredResource).metadata.resourceVersion, members };
  }

  /**
   * Replaces the members of an application (owner and admins); a new application resourceVersion results.
   * A non-empty `resourceVersion` that differs from the application's → 409.
   */
  setMembers(caller: Caller, app: string, members: unknown, resourceVersion?: string): void {
    if (!isJsonObject(members)) throw badRequest('members must be an object');
    for (const [user, entry] of Object.entries(members)) {
      if (user === '' || !isJsonObject(entry) || !isMemberRole(entry.role)) {
        throw badRequest(`member "${user}" must have a role of reader, manager or admin`);
      }
    }
    this.write((changes) => {
      const row = this.appFor(caller, app, CAN_ADMINISTER);
      const current = JSON.parse(row.doc) as StoredResource;
      checkPreconditions(current, { resourceVersion });
      const before = new Set(this.sql.members.all(row.id).map((m) => m.user));
      for (const user of Object.keys(members)) if (!before.has(user)) this.requireUser(user);
      this.sql.deleteMembers.run(row.id);
      for (const [user, entry] of Object.entries(members as Members))
        this.sql.insertMember.run(row.id, user, entry.role);
      const next = { ...current, metadata: { ...current.metadata, resourceVersion: randomUUID() } };
      this.sql.updateApp.run(serialize(next), row.deleting, row.id);
      changes.push({ kind: 'application', application: app, op: 'updated' });
    });
  }

  /** Offers the application to `newUser` (owner only); replaces a pending offer. */
  transferOwnership(caller: Caller, app: string, newUser: string): void {
    if (newUser === '') throw badRequest('newUser must name a user');
    this.write(() => {
      const row = this.appFor(caller, app, OWNER);
      if (newUser === row.owner) throw badRequest(`${newUser} already owns application "${app}"`);
      this.requireUser(newUser);
      this.sql.setTransfer.run(newUser, row.id);
    });
  }

  /** The user a pending transfer is offered to, if any: for the owner and that user. */
  getTransfer(caller: Caller, app: string): string | undefined {
    return this.appForTransfer(caller, app).transfer_to ?? undefined;
  }

  /** Withdraws (owner) or declines (the offered user) a pending transfer; nothing pending is fine. */
  cancelTransfer(caller: Caller, app: string): void {
    this.write(() => {
      const row = this.appForTransfer(caller, app);
      if (row.transfer_to !== null) this.sql.setTransfer.run(null, row.id);
    });
  }

  /** The offered user takes ownership; members stay as they are. */
  acceptOwnership(caller: Caller, app: string): void {
    this.write(() => {
      const row = this.appRow(caller, app);
      if (!caller.user || row.transfer_to !== caller.user) {
        throw forbidden(`no transfer of application "${app}" to you is pending`);
      }
      this.sql.setOwner.run(caller.user, row.id);
    });
  }

  // ---- devices

  createDevice(caller: Caller, app: string, body: unknown): { name: string } {
    const input = parseResourceBody(body, 'device');
    rejectName(deviceNameProblem(input.name));
    checkApplication(input, app);
    const doc = serialize(this.newResource(input, input.status, app));
    this.write((changes) => {
      const row = this.appForDevices(caller, app, CAN_WRITE);
      if (row.deleting) throw appNotFound(app);
      const result = this.sql.insertDevice.run(row.id, input.name, input.finalizers.length, doc);
      if (result.changes === 0) throw conflict(`device "${input.name}" already exists in application "${app}"`);
      this.insertLabels(this.sql.insertDeviceLabel, result.lastInsertRowid, input.labels);
      changes.push({ kind: 'device', application: app, device: input.name, op: 'created' });
    });
    return { name: input.name };
  }

  listDevices(caller: Caller, app: string, opts: ListOptions): string {
    const { selector, limit, offset } = listParams(opts);
    const row = this.appForDevices(caller, app);
    const where = selectorCondition(selector, DEVICE_LABELS, 'd.id');
    const docs = this.listStatement(
      `SELECT d.doc FROM devices d WHERE d.app_id = ? AND ${where.sql} ORDER BY d.name LIMIT ? OFFSET ?`,
    ).all(row.id, ...where.params, limit, offset);
    return `[${docs.join(',')}]`;
  }

  getDevice(caller: Caller, app: string, device: string): string {
    const user = caller.user ?? '';
    const doc = this.sql.readableDevice.get(device, app, user, user);
    if (doc === undefined) throw deviceNotFound(app, device);
    return doc;
  }

  updateDevice(caller: Caller, app: string, device: string, body: unknown): void {
    const input = parseResourceBody(body, 'device');
    if (input.name !== device) {
      throw badRequest(`metadata.name "${input.name}" does not match the device "${device}" of the path`);
    }
    checkApplication(input, app);
    this.write((changes) => {
      const appRow = this.appForDevices(caller, app, CAN_WRITE);
      const row = this.sql.device.get(appRow.id, device);
      if (!row) throw deviceNotFound(app, device);
      const current = JSON.parse(row.doc) as StoredResource;
      checkLock(current, input);
      const next = updated(current, input, input.status);
      if (sameContent(current, next)) return;
      if (row.deleting && input.finalizers.length === 0) {
        this.sql.deleteDevice.run(row.id);
        changes.push({ kind: 'device', application: app, device, op: 'deleted' });
        this.settleDeletingApp(appRow, changes);
        return;
      }
      this.sql.updateDevice.run(serialize(next), row.deleting, input.finalizers.length, row.id);
      this.replaceLabels(this.sql.deleteDeviceLabels, this.sql.insertDeviceLabel, row.id, current, input.labels);
      changes.push({ kind: 'device', application: app, device, op: 'updated' });
    });
  }

  deleteDevice(caller: Caller, app: string, device: string, preconditions?: Preconditions): void {
    this.write((changes) => {
      const appRow = this.appForDevices(caller, app, CAN_WRITE);
      const row = this.sql.device.get(appRow.id, device);
      if (!row) throw deviceNotFound(app, device);
      const current = JSON.parse(row.doc) as StoredResource;
      checkPreconditions(current, preconditions);
      if (row.deleting) return;
      if (current.metadata.finalizers?.length) {
        this.softDeleteDevice(row.id, current, this.timestamp());
        changes.push({ kind: 'device', application: app, device, op: 'updated' });
        return;
      }
      this.sql.deleteDevice.run(row.id);
      changes.push({ kind: 'device', application: app, device, op: 'deleted' });
      this.settleDeletingApp(appRow, changes);
    });
  }

  // ---- helpers

  /** Runs `fn` in one immediate transaction, then reports its changes. */
  private write(fn: (changes: RegistryChange[]) => void): void {
    const changes: RegistryChange[] = [];
    this.inTransaction(() => fn(changes));
    const onChange = this.options.onChange;
    if (onChange) for (const change of changes) onChange(change);
  }

  /** The application for an application call: 404 if missing, 403 unless the caller has one of `roles` (default: any). */
  private appFor(caller: Caller, app: string, roles?: ReadonlySet<Role>): AppRow {
    return checkRole(this.appRow(caller, app), caller, app, roles);
  }

  /** The application's row with the caller's member role; 404 if missing. */
  private appRow(caller: Caller, app: string): AppRow {
    const row = this.sql.app.get(caller.user ?? '', app);
    if (!row) throw appNotFound(app);
    return row;
  }

  /** Rejects an unknown user (a typo would otherwise grant or offer nothing, silently). */
  private requireUser(user: string): void {
    if (this.options.userExists && !this.options.userExists(user)) {
      throw badRequest(`unknown user ${JSON.stringify(user)}`);
    }
  }

  /** The application for a transfer call: its owner or the user a pending transfer is offered to, else 403. */
  private appForTransfer(caller: Caller, app: string): AppRow {
    const row = this.appRow(caller, app);
    if (caller.user && row.transfer_to === caller.user) return row;
    return checkRole(row, caller, app, OWNER);
  }

  /** The application for a device call: 404 unless readable, 403 unless the caller has one of `roles` (default: any). */
  private appForDevices(caller: Caller, app: string, roles?: ReadonlySet<Role>): AppRow {
    const row = this.sql.app.get(caller.user ?? '', app);
    const role = row && roleOf(row, caller);
    if (!row || !role) throw appNotFound(app);
    if (roles && !roles.has(role)) throw forbidden(`a ${role} of application "${app}" may not change its devices`);
    return row;
  }

  private newResource(input: ResourceInput, status: Record<string, unknown>, application?: string): StoredResource {
    const metadata = { name: input.name, application, uid: randomUUID(), creationTimestamp: this.timestamp() };
    return withInput({ ...metadata, generation: 0 }, input, status);
  }

  /** A deleting application's finalizers: `has-devices` exactly while devices remain. */
  private withHasDevices(appId: number, finalizers: string[]): string[] {
    const others = finalizers.filter((f) => f !== HAS_DEVICES);
    return this.sql.countDevices.get(appId)! > 0 ? [...others, HAS_DEVICES] : others;
  }

  /** After a device of a deleting application is gone: drop `has-devices` when it was the last, maybe the app too. */
  private settleDeletingApp(row: AppRow, changes: RegistryChange[]): void {
    if (!row.deleting) return;
    const current = JSON.parse(row.doc) as StoredResource;
    const app = current.metadata.name;
    const finalizers = this.withHasDevices(row.id, current.metadata.finalizers ?? []);
    if (finalizers.length === 0) {
      this.sql.deleteApp.run(row.id);
      changes.push({ kind: 'application', application: app, op: 'deleted' });
    } else if (!jsonEqual(finalizers, current.metadata.finalizers)) {
      const next = { ...current, metadata: { ...current.metadata, finalizers, resourceVersion: randomUUID() } };
      this.sql.updateApp.run(serialize(next), 1, row.id);
      changes.push({ kind: 'application', application: app, op: 'updated' });
    }
  }

  private softDeleteDevice(id: number, current: StoredResource, deletionTimestamp: string): void {
    const next = { ...current, metadata: { ...current.metadata, deletionTimestamp, resourceVersion: randomUUID() } };
    this.sql.updateDevice.run(serialize(next), 1, current.metadata.finalizers?.length ?? 0, id);
  }

  private insertLabels(
    insert: Statement<[number | bigint, string, string]>,
    id: number | bigint,
    labels: Record<string, string>,
  ): void {
    for (const [key, value] of Object.entries(labels)) insert.run(id, key, value);
  }

  /** Keeps a resource's label rows (what selectors query) equal to its labels after an update. */
  private replaceLabels(
    remove: Statement<[number]>,
    insert: Statement<[number | bigint, string, string]>,
    id: number,
    current: StoredResource,
    labels: Record<string, string>,
  ): void {
    if (jsonEqual(current.metadata.labels ?? {}, labels)) return;
    remove.run(id);
    this.insertLabels(insert, id, labels);
  }

  /** A cached, plucked statement for a listing query (its text depends on the selector's shape). */
  private listStatement(sql: string): Statement<unknown[], string> {
    let stmt = this.listStatements.get(sql);
    if (!stmt) {
      if (this.listStatements.size >= STATEMENT_CACHE_SIZE) {
        this.listStatements.delete(this.listStatements.keys().next().value as string);
      }
      stmt = this.db.prepare<unknown[], string>(sql).pluck();
      this.listStatements.set(sql, stmt);
    }
    return stmt;
  }

  private timestamp(): string {
    return this.now().toISOString();
  }
}

/** `row` when the caller has one of `roles` (default: any) in it, else 403. */
function checkRole(row: AppRow, caller: Caller, app: string, roles?: ReadonlySet<Role>): AppRow {
  const role = roleOf(row, caller);
  if (!role) throw forbidden(`no access to application "${app}"`);
  if (roles && !roles.has(role)) throw forbidden(`the ${role} of application "${app}" may not do this`);
  return row;
}

function roleOf(row: AppRow, caller: Caller): Role | undefined {
  if (!caller.user) return undefined;
  return row.owner === caller.user ? 'owner' : (row.role ?? undefined);
}

/** An application's status: the client's, with status.trustAnchors computed from the spec. */
function appStatus(input: ResourceInput): Record<string, unknown> {
  const { trustAnchors: _ignored, ...status } = input.status;
  const anchors = trustAnchorsStatus(input.spec);
  return anchors ? { ...status, trustAnchors: anchors } : status;
}

/** `current` with the client-writable content of `input`, a new resourceVersion, generation bumped on spec change. */
function updated(current: StoredResource, input: ResourceInput, status: Record<string, unknown>): StoredResource {
  const specChanged = !jsonEqual(current.spec ?? {}, input.spec);
  return withInput(
    { ...current.metadata, generation: current.metadata.generation + (specChanged ? 1 : 0) },
    input,
    status,
  );
}

/** Server-managed `metadata` with the client-writable content of `input` and a new resourceVersion. */
function withInput(
  metadata: Omit<StoredResource['metadata'], 'resourceVersion'>,
  input: ResourceInput,
  status: Record<string, unknown>,
): StoredResource {
  const { finalizers, labels, annotations, spec } = input;
  return { metadata: { ...metadata, resourceVersion: randomUUID(), finalizers, labels, annotations }, spec, status };
}

function checkLock(current: StoredResource, input: ResourceInput): void {
  checkPreconditions(current, { uid: input.uid, resourceVersion: input.resourceVersion });
}

function checkPreconditions(current: StoredResource, p: Preconditions | undefined): void {
  const what = current.metadata.application ? 'device' : 'application';
  if (p?.uid && p.uid !== current.metadata.uid) {
    throw lockFailed(`the ${what} "${current.metadata.name}" has a different uid: it was deleted and re-created`);
  }
  if (p?.resourceVersion && p.resourceVersion !== current.metadata.resourceVersion) {
    throw lockFailed(`the ${what} "${current.metadata.name}" was modified meanwhile; read it again and retry`);
  }
}

function checkApplication(input: ResourceInput, app: string): void {
  if (input.application !== undefined && input.application !== app) {
    throw badRequest(`metadata.application "${input.application}" does not match the application "${app}" of the path`);
  }
}

function rejectName(problem: string | undefined): void {
  if (problem) throw badRequest(problem);
}

function appNotFound(app: string): ApiError {
  return notFound(`application "${app}" not found`);
}

function deviceNotFound(app: string, device: string): ApiError {
  return notFound(`device "${device}" not found in application "${app}"`);
}

function listParams(opts: ListOptions): { selector: Selector; limit: number; offset: number } {
  let selector: Selector = [];
  if (opts.labels) {
    try {
      selector = parseSelector(opts.labels);
    } catch (err) {
      if (err instanceof SelectorError) throw badRequest(err.message);
      throw err;
    }
  }
  return {
    selector,
    // SQLite: a negative LIMIT means no limit.
    limit: opts.limit === undefined ? -1 : count(opts.limit, 'limit'),
    offset: opts.offset === undefined ? 0 : count(opts.offset, 'offset'),
  };
}

function count(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw badRequest(`${what} must be a non-negative integer`);
  return n;
}
