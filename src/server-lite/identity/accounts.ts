// The accounts of the embedded issuer as drg serve's last component: admin's password (generated on the first
// start unless given), then the users of --users-file and --user. Last, so that a password this start generates
// is never stored by a start that then fails, where nobody would see it.
import type { Component } from '../runtime.js';
import type { StoreComponent } from '../store/component.js';
import type { IdentityComponent } from './component.js';
import { ensureAdmin, importUsers, setPassword } from './oidc/passwords.js';

export interface AccountsOptions {
  /** Sets admin's password; without it, one is generated on first start. */
  adminPassword?: string;
  /** Users created or given a new password. */
  users?: ReadonlyArray<{ name: string; password: string }>;
  /** Users with bcrypt hashes, imported before `users`. */
  hashedUsers?: ReadonlyArray<{ name: string; hash: string }>;
}

export class AccountsComponent implements Component {
  readonly name = 'accounts';
  /** admin's password when this start generated it, to show once. */
  generatedAdminPassword?: string;

  constructor(
    private readonly store: StoreComponent,
    private readonly identity: IdentityComponent,
    private readonly options: AccountsOptions,
  ) {}

  async start(): Promise<void> {
    const { db } = this.store;
    const pool = this.identity.passwords;
    if (!pool) throw new Error('accounts need the embedded issuer');
    const { adminPassword, users, hashedUsers } = this.options;
    this.generatedAdminPassword = await ensureAdmin(db, pool, { password: adminPassword });
    if (hashedUsers) importUsers(db, hashedUsers);
    for (const { name, password } of users ?? []) await setPassword(db, pool, name, password);
  }

  stop(): void {}
}
