// bcrypt off the event loop: a few worker threads (piscina) and a bounded queue, so that a flood of logins never
// stalls the API. A check that finds the queue full is refused at once (PasswordPoolBusyError).
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { workerEntry } from '../../worker-entry.js';
import type { PasswordTask } from './password-worker.js';

/** Checks that may wait for a thread, per thread: ~1 s of waiting at cost 10. */
const QUEUED_PER_THREAD = 16;

/** Too many password checks are running or waiting: try again later. */
export class PasswordPoolBusyError extends Error {
  constructor() {
    super('too many password checks are waiting');
  }
}

export interface PasswordPoolOptions {
  /** Worker threads; default: one less than the cores, at least 1. */
  threads?: number;
  /** Checks that may wait for a thread; default 16 per thread. */
  maxQueue?: number;
}

export class PasswordPool {
  private readonly pool: Piscina;
  private readonly capacity: number;
  private pending = 0;

  constructor(opts: PasswordPoolOptions = {}) {
    const threads = opts.threads ?? Math.max(1, availableParallelism() - 1);
    this.capacity = threads + (opts.maxQueue ?? QUEUED_PER_THREAD * threads);
    this.pool = new Piscina({
      ...workerEntry(import.meta.url, 'password-worker', 'password-worker'),
      minThreads: threads,
      maxThreads: threads,
    });
  }

  hash(password: string, cost: number): Promise<string> {
    return this.run({ op: 'hash', password, cost }) as Promise<string>;
  }

  compare(password: string, hash: string): Promise<boolean> {
    return this.run({ op: 'compare', password, hash }) as Promise<boolean>;
  }

  /** Checks a sha512-crypt (`$6$`) hash; a malformed hash is false. */
  compareSha512Crypt(password: string, hash: string): Promise<boolean> {
    return (this.run({ op: 'compare-sha512-crypt', password, hash }) as Promise<boolean>).catch((err) => {
      if (err instanceof PasswordPoolBusyError) throw err;
      return false;
    });
  }

  /** Whether a task would be refused now (PasswordPoolBusyError). */
  get full(): boolean {
    return this.pending >= this.capacity;
  }

  /** Lets the running and waiting tasks finish, then stops the threads. */
  close(): Promise<void> {
    return this.pool.close();
  }

  private async run(task: PasswordTask): Promise<string | boolean> {
    if (this.full) throw new PasswordPoolBusyError();
    this.pending++;
    try {
      return await this.pool.run(task);
    } finally {
      this.pending--;
    }
  }
}
