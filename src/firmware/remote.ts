// The registry of any cluster (drg serve or a remote Drogue Cloud) through its API, as the rollout commands and
// `drg firmware agent` see it: a 404 is "not there", a 409 a StaleWriteError to read again and retry.
import type { RegistryClient } from '../client/registry.js';
import { isApiStatus } from '../errors.js';
import type { Application, Device } from '../model/resource.js';
import { type FleetRegistry, StaleWriteError } from './fleet-registry.js';

export class ApiFleetRegistry implements FleetRegistry {
  constructor(private readonly registry: RegistryClient) {}

  getApp(app: string): Promise<Application | undefined> {
    return missingAsUndefined(this.registry.getApp(app));
  }

  getDevice(app: string, device: string): Promise<Device | undefined> {
    return missingAsUndefined(this.registry.getDevice(app, device));
  }

  listDevices(app: string): Promise<Device[]> {
    return this.registry.listDevices(app);
  }

  putApp(app: Application): Promise<void> {
    return staleAsError(this.registry.updateApp(app));
  }

  putDevice(app: string, device: Device): Promise<void> {
    return staleAsError(this.registry.updateDevice(app, device));
  }
}

async function missingAsUndefined<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (err) {
    if (isApiStatus(err, 404)) return undefined;
    throw err;
  }
}

async function staleAsError(write: Promise<void>): Promise<void> {
  try {
    await write;
  } catch (err) {
    if (isApiStatus(err, 409)) throw new StaleWriteError('changed by someone else meanwhile', { cause: err });
    throw err;
  }
}
