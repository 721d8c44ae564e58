// The contract between the registry service (store + semantics) and the HTTP layer.
import type { ListOptions, Preconditions } from '../../model/resource.js';

/** Who is calling: an authenticated user id, or undefined for anonymous. */
export interface Caller {
  user?: string;
}

/** Emitted after every committed registry write (for later controllers, the bus, the DFU agent). */
export interface RegistryChange {
  kind: 'application' | 'device';
  application: string;
  device?: string;
  /** 'deleted' means gone from the store; a soft delete is an 'updated'. */
  op: 'created' | 'updated' | 'deleted';
}

/**
 * Every method throws ApiError on failure. Reads return JSON text ready to send
 * (list results as a JSON array ordered by name) so hot paths avoid re-serialising.
 */
export interface RegistryService {
  createApp(caller: Caller, body: unknown): { name: string };
  listApps(caller: Caller, opts: ListOptions): string;
  getApp(caller: Caller, app: string): string;
  updateApp(caller: Caller, app: string, body: unknown): void;
  deleteApp(caller: Caller, app: string, preconditions?: Preconditions): void;

  createDevice(caller: Caller, app: string, body: unknown): { name: string };
  listDevices(caller: Caller, app: string, opts: ListOptions): string;
  getDevice(caller: Caller, app: string, device: string): string;
  updateDevice(caller: Caller, app: string, device: string, body: unknown): void;
  deleteDevice(caller: Caller, app: string, device: string, preconditions?: Preconditions): void;
}
