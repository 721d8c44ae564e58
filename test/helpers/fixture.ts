// One thing (a server) for all the tests of a file: a `before` hook starts it, an `after` hook stops it.
import { after, before } from 'node:test';

export type DuringTests<T> = T & {
  /** Starts it unless it is already starting; resolves once it runs. */
  ready(): Promise<void>;
};

/**
 * Node 20 runs a file's top-level `before` hooks concurrently: one that uses the thing awaits `ready()` first.
 * Until it has started, reading any of its properties throws.
 */
export function duringTests<T extends object>(
  what: string,
  start: () => Promise<T>,
  stop: (started: T) => Promise<unknown>,
): DuringTests<T> {
  let starting: Promise<T> | undefined;
  let started: T | undefined;
  const ready = async () => {
    starting ??= start();
    started = await starting;
  };
  before(ready);
  after(async () => {
    if (started) await stop(started);
  });
  return new Proxy({ ready } as DuringTests<T>, {
    get(target, key) {
      if (key === 'ready') return target.ready;
      if (!started) throw new Error(`${what} has not started yet: use it inside tests, and in hooks after ready()`);
      return Reflect.get(started, key);
    },
  });
}
