// The registry on SQLite: applications and devices with the semantics of docs/drogue-api.md, "Registry", their members and
// ownership transfers, and the events of every committed write. Each part checks the caller's role on every call
// and throws RegistryError; reads return the stored JSON text, ready to send.
import type { Db } from '../store/db.js';
import { Access } from './access.js';
import { Applications } from './applications.js';
import { Devices } from './devices.js';
import { type ListenerFailureLogger, RegistryEvents } from './events.js';
import { Members, Transfers, type UserExists } from './members.js';
import { RegistrySql } from './sql.js';

export interface RegistryOptions {
  now?: () => Date;
  userExists?: UserExists;
  /** Where a failing event listener is reported. */
  logger?: ListenerFailureLogger;
}

export class Registry {
  readonly events: RegistryEvents;
  readonly applications: Applications;
  readonly devices: Devices;
  readonly members: Members;
  readonly transfers: Transfers;

  constructor(db: Db, options: RegistryOptions = {}) {
    this.events = new RegistryEvents(options.logger);
    const sql = new RegistrySql(db, this.events, options.now ?? (() => new Date()));
    const access = new Access(sql);
    this.applications = new Applications(sql, access);
    this.devices = new Devices(sql, access, this.applications);
    this.members = new Members(sql, access, options.userExists);
    this.transfers = new Transfers(sql, access, options.userExists);
  }
}
