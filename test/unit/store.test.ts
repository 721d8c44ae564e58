// The embedded store: file permissions, migrations on open, a newer schema refused, the data directory's lock.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../../src/server-lite/store/db.js';
import { DataDirLockedError, lockDataDir } from '../../src/server-lite/store/lock.js';
import { migrations } from '../../src/server-lite/store/migrations/index.js';
import { tempDir } from '../helpers/serve.js';
import { nextLine, storeProcess } from '../helpers/store-process.js';

const mode = (path: string) => statSync(path).mode & 0o777;

test('a new data directory is 0700 and the database with its WAL files 0600', () => {
  const dir = join(tempDir(), 'data');
  const db = openStore(dir);
  try {
    db.prepare('INSERT INTO users (id, created) VALUES (?, ?)').run('someone', new Date().toISOString());
    assert.equal(mode(dir), 0o700);
    for (const file of ['drg.sqlite', 'drg.sqlite-wal', 'drg.sqlite-shm'])
      assert.equal(mode(join(dir, file)), 0o600, file);
  } finally {
    db.close();
  }
});

test('a database file readable by others is made owner-only when opened', () => {
  const dir = tempDir();
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'drg.sqlite'), '');
  chmodSync(join(dir, 'drg.sqlite'), 0o644);
  openStore(dir).close();
  assert.equal(mode(join(dir, 'drg.sqlite')), 0o600);
});

test('opening migrates to the latest schema once, and reopening keeps the data', () => {
  const dir = tempDir();
  const latest = migrations.at(-1)?.version;
  let db = openStore(dir);
  assert.equal(db.pragma('user_version', { simple: true }), latest);
  db.prepare('INSERT INTO users (id, created) VALUES (?, ?)').run('kept', new Date().toISOString());
  db.close();
  db = openStore(dir);
  try {
    assert.equal(db.pragma('user_version', { simple: true }), latest);
    assert.deepEqual(db.prepare('SELECT id FROM users').pluck().all(), ['kept']);
  } finally {
    db.close();
  }
});

test('a data directory written by a newer drg is refused with a clear error', () => {
  const dir = tempDir();
  const db = openStore(dir);
  db.pragma(`user_version = ${(migrations.at(-1)?.version ?? 0) + 1}`);
  db.close();
  assert.throws(() => openStore(dir), /written by a newer drg/);
});

const locked = (dir: string) => (err: unknown) =>
  err instanceof DataDirLockedError && err.message === `the data directory ${dir} is in use by another drg serve`;

test('the data directory has one holder at a time, in this process or another', async () => {
  const dir = tempDir();
  const lock = lockDataDir(dir);
  assert.throws(() => lockDataDir(dir), locked(dir));
  lock.release();
  lockDataDir(dir).release();
  assert.equal(mode(join(dir, 'drg.lock')), 0o600);

  const holder = storeProcess('lock', dir);
  try {
    await nextLine(holder);
    holder.stdin!.write('go\n');
    assert.equal(await nextLine(holder), 'locked');
    assert.throws(() => lockDataDir(dir), locked(dir));
  } finally {
    holder.kill('SIGKILL');
  }
});

test('the lock goes with its holder, even when it is killed with SIGKILL', async () => {
  const dir = tempDir();
  const holder = storeProcess('lock', dir);
  await nextLine(holder);
  holder.stdin!.write('go\n');
  assert.equal(await nextLine(holder), 'locked');
  const exited = once(holder, 'exit');
  holder.kill('SIGKILL');
  await exited;
  lockDataDir(dir).release();
});
