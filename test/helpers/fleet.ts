// A FleetRegistry in memory with the registry's optimistic locking, for tests of the agent and the rollouts'
// logic (the real ones run against drg serve in test/e2e and test/cli).
import { randomUUID } from 'node:crypto';
import { type FleetRegistry, StaleWriteError } from '../../src/firmware/fleet-registry.js';
import type { Application, Device } from '../../src/model/resource.js';

export class MemoryFleet implements FleetRegistry {
  readonly apps = new Map<string, Application>();
  readonly devices = new Map<string, Map<string, Device>>();
  writes = 0;

  addApp(name: string, spec: Record<string, unknown> = {}): void {
    this.apps.set(name, { metadata: { name, resourceVersion: randomUUID() }, spec, status: {} });
    this.devices.set(name, new Map());
  }

  addDevice(app: string, name: string, spec: Record<string, unknown> = {}, status: Record<string, unknown> = {}): void {
    this.devices.get(app)?.set(name, {
      metadata: { name, application: app, resourceVersion: randomUUID() },
      spec,
      status,
    });
  }

  device(app: string, name: string): Device {
    const d = this.devices.get(app)?.get(name);
    if (!d) throw new Error(`no device ${name}`);
    return d;
  }

  async getApp(app: string) {
    const a = this.apps.get(app);
    return a && structuredClone(a);
  }

  async getDevice(app: string, device: string) {
    const d = this.devices.get(app)?.get(device);
    return d && structuredClone(d);
  }

  async listDevices(app: string) {
    return [...(this.devices.get(app)?.values() ?? [])].map((d) => structuredClone(d));
  }

  async putApp(app: Application) {
    const current = this.apps.get(app.metadata.name);
    if (!current || current.metadata.resourceVersion !== app.metadata.resourceVersion)
      throw new StaleWriteError('stale');
    this.writes++;
    this.apps.set(app.metadata.name, {
      ...structuredClone(app),
      metadata: { ...app.metadata, resourceVersion: randomUUID() },
    });
  }

  async putDevice(app: string, device: Device) {
    const current = this.devices.get(app)?.get(device.metadata.name);
    if (!current || current.metadata.resourceVersion !== device.metadata.resourceVersion) {
      throw new StaleWriteError('stale');
    }
    this.writes++;
    this.devices.get(app)?.set(device.metadata.name, {
      ...structuredClone(device),
      metadata: { ...device.metadata, resourceVersion: randomUUID() },
    });
  }
}
