// Who may do what (docs/drogue-api.md, "Ownership and access"): the owner and the member roles, and how a call that may not is refused:
// 403 on an application (its name is global anyway), 404 on its devices and on its ownership transfer.
import type { MemberRole } from '../../model/members.js';
import { appNotFound, forbidden } from './errors.js';
import type { AppRow, RegistrySql } from './sql.js';

/** Who is calling: an authenticated user id, or undefined for anonymous. */
export interface Caller {
  user?: string;
}

type Role = 'owner' | MemberRole;

export const CAN_WRITE: ReadonlySet<Role> = new Set(['owner', 'admin', 'manager']);
export const CAN_DELETE_APP: ReadonlySet<Role> = new Set(['owner', 'admin']);
export const CAN_ADMINISTER: ReadonlySet<Role> = CAN_DELETE_APP;

export class Access {
  constructor(private readonly sql: RegistrySql) {}

  /** The application's row with the caller's member role, if the application exists. */
  find(caller: Caller, app: string): AppRow | undefined {
    return this.sql.statements.app.get(caller.user ?? '', app);
  }

  /** For a call on the application: NotFound if missing, Forbidden unless the caller has one of `roles` (default: any). */
  application(caller: Caller, app: string, roles?: ReadonlySet<Role>): AppRow {
    const row = this.find(caller, app);
    if (!row) throw appNotFound(app);
    const role = roleOf(row, caller);
    if (!role) throw forbidden(`no access to application "${app}"`);
    if (roles && !roles.has(role)) throw forbidden(`the ${role} of application "${app}" may not do this`);
    return row;
  }

  /** For a call on its devices: NotFound unless the caller may read the application, Forbidden unless one of `roles`. */
  devices(caller: Caller, app: string, roles?: ReadonlySet<Role>): AppRow {
    const row = this.find(caller, app);
    if (!row) throw appNotFound(app);
    return checkDeviceAccess(row, caller, app, roles);
  }

  /** Who may see or withdraw a transfer: the owner, and the user it is offered to when `offered`; NotFound for others. */
  transfer(caller: Caller, app: string, offered: boolean): AppRow {
    const row = this.find(caller, app);
    const mayAccess = row && (roleOf(row, caller) === 'owner' || (offered && isOfferedTo(row, caller)));
    if (!mayAccess) throw appNotFound(app);
    return row;
  }
}

/** `row` when the caller may read it and has one of `roles` (default: any): else NotFound, or Forbidden for members. */
export function checkDeviceAccess(row: AppRow, caller: Caller, app: string, roles?: ReadonlySet<Role>): AppRow {
  const role = roleOf(row, caller);
  if (!role) throw appNotFound(app);
  if (roles && !roles.has(role)) throw forbidden(`a ${role} of application "${app}" may not change its devices`);
  return row;
}

export function isOfferedTo(row: AppRow, caller: Caller): caller is Caller & { user: string } {
  return caller.user !== undefined && row.transfer_to === caller.user;
}

function roleOf(row: AppRow, caller: Caller): Role | undefined {
  if (!caller.user) return undefined;
  return row.owner === caller.user ? 'owner' : (row.role ?? undefined);
}
