// Applications (docs/drogue-api.md, "Registry"): create, list, read, update, delete, with their trust anchors' status and the
// finalizer `has-devices` that keeps a deleted application while devices with finalizers remain.
import type { ResourceInput } from '../../model/documents.js';
import { jsonEqual } from '../../model/json.js';
import { type ListOptions, type Preconditions, sameContent } from '../../model/resource.js';
import { trustAnchorsStatus } from '../../model/trust-anchors.js';
import { type Access, CAN_DELETE_APP, CAN_WRITE, type Caller } from './access.js';
import {
  checkLock,
  checkPreconditions,
  created,
  parseResourceBody,
  parseStored,
  type StoredResource,
  serialize,
  updated,
  withMetadata,
} from './documents.js';
import { badRequest, conflict, forbidden } from './errors.js';
import type { RegistryEvent } from './events.js';
import { type AppRow, parseListing, type RegistrySql } from './sql.js';

/** The finalizer that keeps a deleted application while devices remain. */
const HAS_DEVICES = 'has-devices';

export class Applications {
  constructor(
    private readonly sql: RegistrySql,
    private readonly access: Access,
  ) {}

  create(caller: Caller, body: unknown): { name: string } {
    if (!caller.user) throw forbidden();
    const owner = caller.user;
    const input = parseResourceBody(body, 'application');
    const resource = created(input, appStatus(input), this.sql.timestamp());
    this.sql.write((events) => {
      const result = this.sql.statements.insertApp.run(input.name, owner, serialize(resource));
      if (result.changes === 0) throw conflict(`application "${input.name}" already exists`);
      this.sql.insertLabels(this.sql.appLabels, result.lastInsertRowid, input.labels);
      events.push(appEvent(resource, 'created'));
    });
    return { name: input.name };
  }

  /**
   * The applications the caller owns or is a member of, as JSON array text ordered by name, in pieces read as they
   * are iterated; the query and the caller are checked at once.
   */
  list(caller: Caller, opts: ListOptions): Iterable<string> {
    const listing = parseListing(opts);
    if (!caller.user) return ['[]'];
    return this.sql.list(listing, this.sql.appLabels, {
      sql: `SELECT a.name, a.doc FROM applications a WHERE (a.owner = ? OR EXISTS
              (SELECT 1 FROM application_members m WHERE m.app_id = a.id AND m.user = ?))`,
      params: [caller.user, caller.user],
      id: 'a.id',
      key: 'a.name',
    });
  }

  /** The application's JSON text. */
  get(caller: Caller, app: string): string {
    return this.access.application(caller, app).doc;
  }

  /** Every application's name, read as the system (for the server's own parts, such as the firmware agent). */
  names(): string[] {
    return this.sql.statements.appNames.all();
  }

  /** The application's owner, read as the system; undefined when there is no such application. */
  ownerOf(app: string): string | undefined {
    return this.access.find({}, app)?.owner;
  }

  /** Throws unless the caller may change the application (its owner, an admin or a manager): to send it commands. */
  checkWrite(caller: Caller, app: string): void {
    this.access.application(caller, app, CAN_WRITE);
  }

  update(caller: Caller, app: string, body: unknown): void {
    const input = parseResourceBody(body, 'application');
    if (input.name !== app) {
      throw badRequest(`metadata.name "${input.name}" does not match the application "${app}" of the path`);
    }
    const status = appStatus(input);
    this.sql.write((events) => {
      const row = this.access.application(caller, app, CAN_WRITE);
      const current = parseStored(row.doc);
      checkLock(current, input);
      const next = updated(current, input, status);
      if (row.deleting) next.metadata.finalizers = this.withHasDevices(row.id, input.finalizers);
      if (sameContent(current, next)) return;
      if (row.deleting && !next.metadata.finalizers?.length) {
        this.sql.statements.deleteApp.run(row.id);
        events.push(appEvent(current, 'deleted'));
        return;
      }
      this.sql.statements.updateApp.run(serialize(next), row.deleting, row.id);
      this.sql.replaceLabels(this.sql.appLabels, row.id, current.metadata.labels ?? {}, input.labels);
      events.push(appEvent(next, 'updated'));
    });
  }

  /**
   * Removes the application and its devices without finalizers. Devices with finalizers stay as they are; while
   * they remain, the application is only marked deleted and holds `has-devices` (as it does with finalizers).
   */
  delete(caller: Caller, app: string, preconditions?: Preconditions): void {
    this.sql.write((events) => {
      const row = this.access.application(caller, app, CAN_DELETE_APP);
      const current = parseStored(row.doc);
      checkPreconditions(current, preconditions);
      if (row.deleting) return;
      for (const device of this.sql.statements.deleteDevicesWithoutFinalizers.all(row.id)) {
        events.push({ kind: 'device', application: app, device, operation: 'deleted' });
      }
      const finalizers = this.withHasDevices(row.id, current.metadata.finalizers ?? []);
      if (finalizers.length === 0) {
        this.sql.statements.deleteApp.run(row.id);
        events.push(appEvent(current, 'deleted'));
        return;
      }
      const next = withMetadata(current, { deletionTimestamp: this.sql.timestamp(), finalizers });
      this.sql.statements.updateApp.run(serialize(next), 1, row.id);
      events.push(appEvent(next, 'updated'));
    });
  }

  /** After a device of a deleting application is gone: drop `has-devices` when it was the last, maybe the app too. */
  settleDeleting(row: AppRow, events: RegistryEvent[]): void {
    if (!row.deleting) return;
    const current = parseStored(row.doc);
    const finalizers = this.withHasDevices(row.id, current.metadata.finalizers ?? []);
    if (finalizers.length === 0) {
      this.sql.statements.deleteApp.run(row.id);
      events.push(appEvent(current, 'deleted'));
    } else if (!jsonEqual(finalizers, current.metadata.finalizers)) {
      const next = withMetadata(current, { finalizers });
      this.sql.statements.updateApp.run(serialize(next), 1, row.id);
      events.push(appEvent(next, 'updated'));
    }
  }

  /** A deleting application's finalizers: `has-devices` exactly while devices remain. */
  private withHasDevices(appId: number, finalizers: string[]): string[] {
    const others = finalizers.filter((f) => f !== HAS_DEVICES);
    return this.sql.statements.countDevices.get(appId)! > 0 ? [...others, HAS_DEVICES] : others;
  }
}

/** The event of a write to an application; `resource` as written (as it was, when deleted). */
export function appEvent(resource: StoredResource, operation: RegistryEvent['operation']): RegistryEvent {
  const { name: application, uid, resourceVersion } = resource.metadata;
  return operation === 'deleted'
    ? { kind: 'application', application, operation }
    : { kind: 'application', application, operation, uid, resourceVersion };
}

/** An application's status: the client's, with status.trustAnchors computed from the spec. */
function appStatus(input: ResourceInput): Record<string, unknown> {
  const { trustAnchors: _ignored, ...status } = input.status;
  const anchors = trustAnchorsStatus(input.spec);
  if ('problem' in anchors) throw badRequest(anchors.problem);
  return anchors.value ? { ...status, trustAnchors: anchors.value } : status;
}
