// An application's members and its ownership transfer (docs/drogue-api.md, "Admin and tokens"): kept beside the application,
// not in its document. Changing the members gives the application a new resourceVersion, their lock.
import { isJsonObject } from '../../model/json.js';
import { isMemberRole, type MemberRole } from '../../model/members.js';
import { type Access, CAN_ADMINISTER, type Caller, isOfferedTo } from './access.js';
import { appEvent } from './applications.js';
import { checkPreconditions, parseStored, serialize, withMetadata } from './documents.js';
import { appNotFound, badRequest, RegistryError } from './errors.js';
import type { RegistryEvent } from './events.js';
import type { AppRow, RegistrySql } from './sql.js';

export type MemberRoles = Record<string, { role: MemberRole }>;

/** Whether a user exists; when given, new members and transfer targets must (a typo would grant nothing). */
export type UserExists = (user: string) => boolean;

export class Members {
  constructor(
    private readonly sql: RegistrySql,
    private readonly access: Access,
    private readonly userExists?: UserExists,
  ) {}

  /** The members and the resourceVersion to send back when changing them. Owner and admins. */
  get(caller: Caller, app: string): { resourceVersion: string; members: MemberRoles } {
    const row = this.access.application(caller, app, CAN_ADMINISTER);
    const members: MemberRoles = {};
    for (const m of this.sql.statements.members.all(row.id)) members[m.user] = { role: m.role };
    return { resourceVersion: parseStored(row.doc).metadata.resourceVersion, members };
  }

  /** Replaces the members (owner and admins). A non-empty `resourceVersion` other than the application's → 409. */
  set(caller: Caller, app: string, members: unknown, resourceVersion?: string): void {
    if (!isJsonObject(members)) throw badRequest('members must be an object');
    for (const [user, entry] of Object.entries(members)) {
      if (user === '' || !isJsonObject(entry) || !isMemberRole(entry.role)) {
        throw badRequest(`member "${user}" must have a role of reader, manager or admin`);
      }
    }
    this.sql.write((events) => {
      const row = this.access.application(caller, app, CAN_ADMINISTER);
      const current = parseStored(row.doc);
      checkPreconditions(current, { resourceVersion });
      const before = new Set(this.sql.statements.members.all(row.id).map((m) => m.user));
      for (const user of Object.keys(members)) if (!before.has(user)) requireUser(this.userExists, user);
      this.sql.statements.deleteMembers.run(row.id);
      for (const [user, entry] of Object.entries(members as MemberRoles)) {
        this.sql.statements.insertMember.run(row.id, user, entry.role);
      }
      const next = withMetadata(current, {});
      this.sql.statements.updateApp.run(serialize(next), row.deleting, row.id);
      events.push(appEvent(next, 'members-changed'));
    });
  }
}

/**
 * A pending ownership transfer: the owner offers the application to a user (replacing an earlier offer), the
 * owner or that user reads or cancels it, only that user accepts. Anyone else learns nothing: NotFound.
 */
export class Transfers {
  constructor(
    private readonly sql: RegistrySql,
    private readonly access: Access,
    private readonly userExists?: UserExists,
  ) {}

  /** Offers the application to `newUser` (owner only). */
  offer(caller: Caller, app: string, newUser: string): void {
    if (newUser === '') throw badRequest('newUser must name a user');
    this.sql.write((events) => {
      const row = this.access.transfer(caller, app, false);
      if (newUser === row.owner) throw badRequest(`${newUser} already owns application "${app}"`);
      requireUser(this.userExists, newUser);
      this.sql.statements.setTransfer.run(newUser, row.id);
      events.push(transferEvent(row, 'transfer-offered'));
    });
  }

  /** The user a pending transfer is offered to, if any: for the owner and that user. */
  get(caller: Caller, app: string): string | undefined {
    return this.access.transfer(caller, app, true).transfer_to ?? undefined;
  }

  /** Withdraws (owner) or declines (the offered user) a pending transfer; nothing pending is fine. */
  cancel(caller: Caller, app: string): void {
    this.sql.write((events) => {
      const row = this.access.transfer(caller, app, true);
      if (row.transfer_to === null) return;
      this.sql.statements.setTransfer.run(null, row.id);
      events.push(transferEvent(row, 'transfer-cancelled'));
    });
  }

  /** The offered user takes ownership; members stay as they are. */
  accept(caller: Caller, app: string): void {
    this.sql.write((events) => {
      const row = this.access.find(caller, app);
      if (!row) throw appNotFound(app);
      if (!isOfferedTo(row, caller)) {
        throw new RegistryError('NotFound', `no transfer of application "${app}" to you is pending`);
      }
      this.sql.statements.setOwner.run(caller.user, row.id);
      events.push(transferEvent(row, 'transfer-accepted'));
    });
  }
}

function requireUser(userExists: UserExists | undefined, user: string): void {
  if (userExists && !userExists(user)) throw badRequest(`unknown user ${JSON.stringify(user)}`);
}

function transferEvent(row: AppRow, operation: RegistryEvent['operation']): RegistryEvent {
  return appEvent(parseStored(row.doc), operation);
}
