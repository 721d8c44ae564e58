// Devices (docs/drogue-api.md, "Registry"): create, list, read, update, delete within an application.
import type { ResourceInput } from '../../model/documents.js';
import { type ListOptions, type Preconditions, sameContent } from '../../model/resource.js';
import { type Access, CAN_WRITE, type Caller, checkDeviceAccess } from './access.js';
import type { Applications } from './applications.js';
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
import { badRequest, conflict, deviceNotFound, referenceNotFound } from './errors.js';
import type { RegistryEvent } from './events.js';
import { type AppRow, parseListing, type RegistrySql } from './sql.js';

export class Devices {
  constructor(
    private readonly sql: RegistrySql,
    private readonly access: Access,
    private readonly applications: Applications,
  ) {}

  /** A missing application, or one being deleted, is a ReferenceNotFound. */
  create(caller: Caller, app: string, body: unknown): { name: string } {
    const input = parseResourceBody(body, 'device');
    checkApplication(input, app);
    const resource = created(input, input.status, this.sql.timestamp(), app);
    this.sql.write((events) => {
      const row = this.access.find(caller, app);
      if (!row) throw referenceNotFound();
      checkDeviceAccess(row, caller, app, CAN_WRITE);
      if (row.deleting) throw referenceNotFound();
      const result = this.sql.statements.insertDevice.run(
        row.id,
        input.name,
        input.finalizers.length,
        serialize(resource),
      );
      if (result.changes === 0) throw conflict(`device "${input.name}" already exists in application "${app}"`);
      this.sql.insertLabels(this.sql.deviceLabels, result.lastInsertRowid, input.labels);
      events.push(deviceEvent(resource, 'created'));
    });
    return { name: input.name };
  }

  /**
   * The application's devices as JSON array text ordered by name, in pieces read as they are iterated; the query
   * and the caller's access are checked at once.
   */
  list(caller: Caller, app: string, opts: ListOptions): Iterable<string> {
    const listing = parseListing(opts);
    const row = this.access.devices(caller, app);
    return this.sql.list(listing, this.sql.deviceLabels, {
      sql: 'SELECT d.name, d.doc FROM devices d WHERE d.app_id = ?',
      params: [row.id],
      id: 'd.id',
      key: 'd.name',
    });
  }

  /** The device's JSON text. */
  get(caller: Caller, app: string, device: string): string {
    const user = caller.user ?? '';
    const doc = this.sql.statements.readableDevice.get(device, app, user, user);
    if (doc === undefined) throw deviceNotFound(app, device);
    return doc;
  }

  update(caller: Caller, app: string, device: string, body: unknown): void {
    const input = parseResourceBody(body, 'device');
    if (input.name !== device) {
      throw badRequest(`metadata.name "${input.name}" does not match the device "${device}" of the path`);
    }
    checkApplication(input, app);
    this.sql.write((events) => {
      const { appRow, row, current } = this.forWrite(caller, app, device);
      checkLock(current, input);
      const next = updated(current, input, input.status);
      if (sameContent(current, next)) return;
      if (row.deleting && input.finalizers.length === 0) {
        this.remove(appRow, row.id, current, events);
        return;
      }
      this.sql.statements.updateDevice.run(serialize(next), row.deleting, input.finalizers.length, row.id);
      this.sql.replaceLabels(this.sql.deviceLabels, row.id, current.metadata.labels ?? {}, input.labels);
      events.push({
        ...deviceEvent(next, 'updated'),
        specChanged: next.metadata.generation !== current.metadata.generation,
      });
    });
  }

  /** Removes the device; one with finalizers is only marked deleted until a PUT removes the last of them. */
  delete(caller: Caller, app: string, device: string, preconditions?: Preconditions): void {
    this.sql.write((events) => {
      const { appRow, row, current } = this.forWrite(caller, app, device);
      checkPreconditions(current, preconditions);
      if (row.deleting) return;
      const finalizers = current.metadata.finalizers ?? [];
      if (finalizers.length > 0) {
        const next = withMetadata(current, { deletionTimestamp: this.sql.timestamp() });
        this.sql.statements.updateDevice.run(serialize(next), 1, finalizers.length, row.id);
        events.push(deviceEvent(next, 'updated'));
        return;
      }
      this.remove(appRow, row.id, current, events);
    });
  }

  /** Gone from the store; its application, when being deleted, may now go too. */
  private remove(appRow: AppRow, id: number, current: StoredResource, events: RegistryEvent[]): void {
    this.sql.statements.deleteDevice.run(id);
    events.push(deviceEvent(current, 'deleted'));
    this.applications.settleDeleting(appRow, events);
  }

  /** The device a write changes, with its application; NotFound unless it exists and the caller may read it. */
  private forWrite(caller: Caller, app: string, device: string) {
    const appRow = this.access.devices(caller, app, CAN_WRITE);
    const row = this.sql.statements.device.get(appRow.id, device);
    if (!row) throw deviceNotFound(app, device);
    return { appRow, row, current: parseStored(row.doc) };
  }
}

/** The event of a write to a device; `resource` as written (as it was, when deleted). */
function deviceEvent(resource: StoredResource, operation: RegistryEvent['operation']): RegistryEvent {
  const { name: device, application, uid, resourceVersion } = resource.metadata;
  const event: RegistryEvent = { kind: 'device', application: application!, device, operation };
  return operation === 'deleted' ? event : { ...event, uid, resourceVersion };
}

function checkApplication(input: ResourceInput, app: string): void {
  if (input.application !== undefined && input.application !== app) {
    throw badRequest(`metadata.application "${input.application}" does not match the application "${app}" of the path`);
  }
}
