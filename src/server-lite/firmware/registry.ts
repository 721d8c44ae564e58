// The registry as the firmware agent and the rollouts see it inside drg serve: read and written in-process, as each
// application's owner (the agent acts for the fleet's operator), with optimistic locking as over the API.
import { type FleetRegistry, StaleWriteError } from '../../firmware/fleet-registry.js';
import type { Application, Device } from '../../model/resource.js';
import type { Caller } from '../registry/access.js';
import { RegistryError } from '../registry/errors.js';
import type { Registry } from '../registry/registry.js';

export class ServerFleetRegistry implements FleetRegistry {
  constructor(private readonly registry: () => Registry) {}

  async getApp(app: string): Promise<Application | undefined> {
    return this.read(app, (caller) => this.registry().applications.get(caller, app));
  }

  async getDevice(app: string, device: string): Promise<Device | undefined> {
    return this.read(app, (caller) => this.registry().devices.get(caller, app, device));
  }

  async listDevices(app: string): Promise<Device[]> {
    return (await this.read(app, (caller) => [...this.registry().devices.list(caller, app, {})].join(''))) ?? [];
  }

  async putApp(app: Application): Promise<void> {
    this.write(app.metadata.name, (caller) => this.registry().applications.update(caller, app.metadata.name, app));
  }

  async putDevice(app: string, device: Device): Promise<void> {
    this.write(app, (caller) => this.registry().devices.update(caller, app, device.metadata.name, device));
  }

  private caller(app: string): Caller | undefined {
    const owner = this.registry().applications.ownerOf(app);
    return owner === undefined ? undefined : { user: owner };
  }

  private read<T>(app: string, get: (caller: Caller) => string): T | undefined {
    const caller = this.caller(app);
    if (!caller) return undefined;
    try {
      return JSON.parse(get(caller)) as T;
    } catch (err) {
      if (err instanceof RegistryError && err.kind === 'NotFound') return undefined;
      throw err;
    }
  }

  private write(app: string, put: (caller: Caller) => void): void {
    const caller = this.caller(app);
    if (!caller) throw new StaleWriteError(`application ${app} is gone`);
    try {
      put(caller);
    } catch (err) {
      if (err instanceof RegistryError && (err.kind === 'OptimisticLockFailed' || err.kind === 'Conflict')) {
        throw new StaleWriteError(err.message);
      }
      throw err;
    }
  }
}
