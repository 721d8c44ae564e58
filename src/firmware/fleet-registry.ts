// What the agent and the rollouts need of the registry, the same against drg serve's own store and a remote
// cluster's API: reads, and writes with optimistic locking (a stale resourceVersion is a StaleWriteError).
import type { Application, Device } from '../model/resource.js';

export interface FleetRegistry {
  getApp(app: string): Promise<Application | undefined>;
  getDevice(app: string, device: string): Promise<Device | undefined>;
  /** Every device of the application. */
  listDevices(app: string): Promise<Device[]>;
  /** PUT with the resource's resourceVersion: StaleWriteError when someone wrote it since. */
  putApp(app: Application): Promise<void>;
  putDevice(app: string, device: Device): Promise<void>;
}

/** A write lost the race against another (HTTP 409): read again and retry. */
export class StaleWriteError extends Error {}

/** Writes after a read are retried this many times when someone else wrote in between. */
const MAX_ATTEMPTS = 10;

/**
 * Reads, changes and writes one resource with its resourceVersion, again when someone wrote it in between.
 * `change` returns undefined to write nothing. Resolves with what was written (or undefined).
 */
export async function modify<T extends Application>(
  read: () => Promise<T | undefined>,
  write: (next: T) => Promise<void>,
  change: (current: T) => T | undefined,
): Promise<T | undefined> {
  for (let attempt = 1; ; attempt++) {
    const current = await read();
    if (!current) return undefined;
    const next = change(structuredClone(current));
    if (!next) return undefined;
    try {
      await write(next);
      return next;
    } catch (err) {
      if (!(err instanceof StaleWriteError) || attempt >= MAX_ATTEMPTS) throw err;
    }
  }
}

export function modifyDevice(
  registry: FleetRegistry,
  app: string,
  device: string,
  change: (current: Device) => Device | undefined,
): Promise<Device | undefined> {
  return modify(
    () => registry.getDevice(app, device),
    (next) => registry.putDevice(app, next),
    change,
  );
}

export function modifyApp(
  registry: FleetRegistry,
  app: string,
  change: (current: Application) => Application | undefined,
): Promise<Application | undefined> {
  return modify(
    () => registry.getApp(app),
    (next) => registry.putApp(next),
    change,
  );
}
