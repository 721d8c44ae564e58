// Users who log in at the embedded issuer: the `users` table (migration 1), passwords as bcrypt hashes, hashed and
// checked on the password pool's threads.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Db } from '../../store/db.js';
import { ADMIN_USER } from '../users.js';
import type { PasswordPool } from './password-pool.js';

const BCRYPT_COST = 10;
/** bcrypt ignores everything after 72 bytes; longer passwords are refused rather than silently cut. */
const MAX_PASSWORD_BYTES = 72;
const BCRYPT_HASH = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;
/** Compared against when the user does not exist, so that the answer takes as long either way (cost 10). */
const DUMMY_HASH = '$2b$10$zIybZOZWKEu0QuwZo6VFkeltPHr.lRsQLLJYiCB1H7mGwGnMt2nh2';

/** A user name or password that cannot be used; the message never contains the password. */
export class UserError extends Error {}

export function validateUserName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/.test(name)) {
    throw new UserError(
      `invalid user name ${JSON.stringify(name)}: use 1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit`,
    );
  }
}

export function validatePassword(password: string, user: string): void {
  if (password.length === 0) throw new UserError(`the password of ${user} is empty`);
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) {
    throw new UserError(`the password of ${user} is longer than ${MAX_PASSWORD_BYTES} bytes`);
  }
}

/** Creates the user or replaces its password. */
export async function setPassword(db: Db, pool: PasswordPool, user: string, password: string): Promise<void> {
  validateUserName(user);
  validatePassword(password, user);
  storeHash(db, user, await pool.hash(password, BCRYPT_COST));
}

function storeHash(db: Db, user: string, hash: string): void {
  db.prepare(
    `INSERT INTO users (id, password_hash, created) VALUES (?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET password_hash = excluded.password_hash`,
  ).run(user, hash, new Date().toISOString());
}

/**
 * Makes sure `admin` can log in. With `password`, sets it. Without, keeps an existing password, or
 * generates one: then (and only then) returns it, for `drg serve` to print once.
 */
export async function ensureAdmin(
  db: Db,
  pool: PasswordPool,
  opts: { password?: string } = {},
): Promise<string | undefined> {
  if (opts.password !== undefined) {
    await setPassword(db, pool, ADMIN_USER, opts.password);
    return undefined;
  }
  if (hashOf(db, ADMIN_USER) !== undefined) return undefined;
  const generated = randomBytes(18).toString('base64url');
  await setPassword(db, pool, ADMIN_USER, generated);
  return generated;
}

/** True when the user exists and the password is theirs. Throws PasswordPoolBusyError when the pool is full. */
export async function checkPassword(db: Db, pool: PasswordPool, user: string, password: string): Promise<boolean> {
  const hash = hashOf(db, user);
  const matches = await pool.compare(password, hash ?? DUMMY_HASH);
  return hash !== undefined && matches;
}

/** True when the user exists and has a password (can log in). */
export function canLogIn(db: Db, user: string): boolean {
  return hashOf(db, user) !== undefined;
}

function hashOf(db: Db, user: string): string | undefined {
  const hash = db.prepare<[string], string | null>('SELECT password_hash FROM users WHERE id = ?').pluck().get(user);
  return hash ?? undefined;
}

/** `--user NAME:PASSWORD` → its parts (the password may contain ':'). */
export function parseUserSpec(spec: string): { name: string; password: string } {
  const colon = spec.indexOf(':');
  if (colon < 0) throw new UserError('--user expects NAME:PASSWORD');
  const name = spec.slice(0, colon);
  const password = spec.slice(colon + 1);
  validateUserName(name);
  validatePassword(password, name);
  return { name, password };
}

/**
 * Reads a users file: htpasswd lines with bcrypt hashes, as `htpasswd -nbB NAME PASSWORD` prints them:
 *
 *   # comments and blank lines are ignored
 *   alice:$2y$10$...53 characters...
 *
 * Plain-text passwords are refused: use `--user NAME:PASSWORD` for those. Errors name the file as `shownAs`.
 */
export function readUsersFile(path: string, shownAs = path): Array<{ name: string; hash: string }> {
  const users: Array<{ name: string; hash: string }> = [];
  readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .forEach((raw, index) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const where = `${shownAs}:${index + 1}`;
      const colon = line.indexOf(':');
      const name = colon < 0 ? line : line.slice(0, colon);
      const hash = colon < 0 ? '' : line.slice(colon + 1);
      try {
        validateUserName(name);
      } catch (err) {
        throw new UserError(`${where}: ${(err as Error).message}`);
      }
      if (!BCRYPT_HASH.test(hash)) {
        throw new UserError(`${where}: expected NAME:BCRYPT_HASH (create one with: htpasswd -nbB ${name} PASSWORD)`);
      }
      users.push({ name, hash });
    });
  return users;
}

/** Creates the users of a users file, or replaces their passwords; other users are left alone. */
export function importUsers(db: Db, users: ReadonlyArray<{ name: string; hash: string }>): void {
  db.transaction(() => {
    for (const { name, hash } of users) storeHash(db, name, hash);
  })();
}
