// The data directory's lock: one drg serve per directory. An SQLite file held in EXCLUSIVE locking mode, so the
// operating system releases it when the process ends, however it ends (kill -9 included): no stale lock files.
import Database from 'better-sqlite3';
import { ownerOnlyFile } from './db.js';

const LOCK_FILE = 'drg.lock';

/** Another process (or this one) holds the data directory. */
export class DataDirLockedError extends Error {}

export interface DataDirLock {
  release(): void;
}

/** Takes the lock at once, or throws DataDirLockedError. */
export function lockDataDir(dataDir: string): DataDirLock {
  const db = new Database(ownerOnlyFile(dataDir, LOCK_FILE), { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    // The first write transaction takes the EXCLUSIVE lock, which this locking mode keeps until close.
    db.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') {
      throw new DataDirLockedError(`the data directory ${dataDir} is in use by another drg serve`);
    }
    throw err;
  }
  return { release: () => db.close() };
}
