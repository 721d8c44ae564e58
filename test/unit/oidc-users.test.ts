// Users of the embedded issuer: admin's generated password, --user, users files; bcrypt hashes only.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { PasswordPool } from '../../src/server-lite/identity/oidc/password-pool.js';
import {
  checkPassword,
  ensureAdmin,
  importUsers,
  parseUserSpec,
  readUsersFile,
  setPassword,
  UserError,
} from '../../src/server-lite/identity/oidc/passwords.js';
import { Users } from '../../src/server-lite/identity/users.js';
import { openStore } from '../../src/server-lite/store/db.js';
import { tempDir } from '../helpers/serve.js';

function captureError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return assert.fail('expected an error');
}

const store = () => openStore(join(tempDir('drg-oidc-users-'), 'data'));
const pool = new PasswordPool();
after(async () => {
  await pool.close();
});
const hashOf = (db: ReturnType<typeof store>, user: string) =>
  db.prepare('SELECT password_hash FROM users WHERE id = ?').pluck().get(user) as string | null;

test('admin gets a generated password once, stored as a bcrypt hash', async () => {
  const db = store();
  try {
    // drg serve creates the admin row (without a password) before the issuer starts.
    new Users(db).ensure('admin');
    const generated = await ensureAdmin(db, pool);
    assert.ok(generated && generated.length >= 20);
    assert.ok(await checkPassword(db, pool, 'admin', generated));
    const hash = hashOf(db, 'admin') ?? '';
    assert.match(hash, /^\$2[aby]\$/);
    assert.ok(!hash.includes(generated));

    assert.equal(await ensureAdmin(db, pool), undefined);
    assert.ok(await checkPassword(db, pool, 'admin', generated));
  } finally {
    db.close();
  }
});

test('--admin-password sets the password, every time', async () => {
  const db = store();
  try {
    const generated = await ensureAdmin(db, pool);
    assert.equal(await ensureAdmin(db, pool, { password: 'chosen one' }), undefined);
    assert.ok(await checkPassword(db, pool, 'admin', 'chosen one'));
    assert.ok(!(await checkPassword(db, pool, 'admin', generated ?? '')));
  } finally {
    db.close();
  }
});

test('--user creates a user or changes its password; wrong users and passwords do not pass', async () => {
  const db = store();
  try {
    const { name, password } = parseUserSpec('bob:pass:with:colons');
    assert.equal(name, 'bob');
    assert.equal(password, 'pass:with:colons');
    await setPassword(db, pool, name, password);
    assert.ok(await checkPassword(db, pool, 'bob', 'pass:with:colons'));
    await setPassword(db, pool, 'bob', 'new one');
    assert.ok(await checkPassword(db, pool, 'bob', 'new one'));
    assert.ok(!(await checkPassword(db, pool, 'bob', 'pass:with:colons')));
    assert.ok(!(await checkPassword(db, pool, 'nobody', 'new one')));
  } finally {
    db.close();
  }
});

test('bad --user values are refused without echoing the password', () => {
  for (const spec of ['bob', ':secret-1', 'bob:', 'b b:secret-2', `bob:${'x'.repeat(73)}`]) {
    const err = captureError(() => parseUserSpec(spec));
    assert.ok(err instanceof UserError);
    assert.ok(!/secret|xxxx/.test(err.message), err.message);
  }
});

test('a users file of htpasswd bcrypt lines adds its users', async () => {
  const db = store();
  try {
    const path = join(tempDir('drg-users-file-'), 'users');
    // htpasswd -B writes $2y$ hashes.
    const carol = bcrypt.hashSync('carol secret', 4).replace(/^\$2b\$/, '$2y$');
    const dave = bcrypt.hashSync('dave secret', 4);
    writeFileSync(path, `# team\n\ncarol:${carol}\r\n  dave:${dave}  \n`);
    const users = readUsersFile(path);
    assert.deepEqual(
      users.map((u) => u.name),
      ['carol', 'dave'],
    );
    importUsers(db, users);
    assert.ok(await checkPassword(db, pool, 'carol', 'carol secret'));
    assert.ok(await checkPassword(db, pool, 'dave', 'dave secret'));
    assert.ok(!(await checkPassword(db, pool, 'carol', 'dave secret')));
  } finally {
    db.close();
  }
});

test('a users file with a plain-text password is refused, naming the line but not the password', () => {
  const path = join(tempDir('drg-users-file-'), 'users');
  writeFileSync(path, '# ok\nerin:hunter2-plain\n');
  assert.throws(
    () => readUsersFile(path),
    (err: Error) => err instanceof UserError && err.message.includes(`${path}:2`) && !err.message.includes('hunter2'),
  );
});
