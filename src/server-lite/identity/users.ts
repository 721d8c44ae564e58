// Users of drg serve: ids in the `users` table; passwords (bcrypt) are set by identity/oidc/passwords.ts.
import type { Db } from '../store/db.js';

/** The user drg serve creates on first start and logs the local drg context in as. */
export const ADMIN_USER = 'admin';

export class Users {
  private readonly insert;
  private readonly select;

  constructor(
    db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.insert = db.prepare('INSERT OR IGNORE INTO users (id, created) VALUES (?, ?)');
    this.select = db.prepare('SELECT 1 FROM users WHERE id = ?').pluck();
  }

  /** Creates the user unless it exists. */
  ensure(id: string): void {
    this.insert.run(id, this.now().toISOString());
  }

  exists(id: string): boolean {
    return this.select.get(id) !== undefined;
  }
}
