// The store as a component of drg serve: the data directory's lock, then the database (migrated on open).
import { type Component, StartError } from '../runtime.js';
import { type Db, openStore } from './db.js';
import { type DataDirLock, DataDirLockedError, lockDataDir } from './lock.js';

export class StoreComponent implements Component {
  readonly name = 'store';
  private opened?: { lock: DataDirLock; db: Db };

  constructor(private readonly dataDir: string) {}

  /** The database; for the components after this one. */
  get db(): Db {
    if (!this.opened) throw new Error('the store is not open');
    return this.opened.db;
  }

  start(): void {
    const lock = this.lock();
    try {
      this.opened = { lock, db: openStore(this.dataDir) };
    } catch (err) {
      lock.release();
      throw this.unusable(err);
    }
  }

  stop(): void {
    this.opened?.db.close();
    this.opened?.lock.release();
    this.opened = undefined;
  }

  private lock(): DataDirLock {
    try {
      return lockDataDir(this.dataDir);
    } catch (err) {
      if (err instanceof DataDirLockedError) throw new StartError(err.message, 'data-dir-locked', { cause: err });
      throw this.unusable(err);
    }
  }

  private unusable(err: unknown): StartError {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EROFS'
          ? 'read-only file system'
          : code === 'ENOTDIR' || code === 'EEXIST'
            ? 'a part of the path is not a directory'
            : code === 'SQLITE_CANTOPEN'
              ? 'cannot create or open the database file in it'
              : (err as Error).message;
    return new StartError(`cannot use the data directory ${this.dataDir}: ${why}`, 'data-dir', { cause: err });
  }
}
