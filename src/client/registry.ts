// The registry API (API.md "Registry"): applications and their devices.
import { REGISTRY_BASE } from '../model/api-paths.js';
import type { Application, Device, ListOptions, Preconditions } from '../model/resource.js';
import type { ApiClient } from './http.js';

export interface DeleteOptions {
  /** Delete only if the stored object still has this uid/resourceVersion (else 409). */
  preconditions?: Preconditions;
  /** Resolve to false instead of failing when the object does not exist. */
  ignoreMissing?: boolean;
}

export function appPath(app: string): string {
  return `${REGISTRY_BASE}/apps/${encodeURIComponent(app)}`;
}

export function devicePath(app: string, device: string): string {
  return `${appPath(app)}/devices/${encodeURIComponent(device)}`;
}

export const appSubject = (app: string) => `application '${app}'`;
export const deviceSubject = (app: string, device: string) => `device '${device}' in application '${app}'`;

export class RegistryClient {
  constructor(readonly api: ApiClient) {}

  async listApps(options: ListOptions = {}): Promise<Application[]> {
    const { body } = await this.api.get<Application[]>(`${REGISTRY_BASE}/apps`, { query: { ...options } });
    return body ?? [];
  }

  async getApp(name: string): Promise<Application> {
    const { body } = await this.api.get<Application>(appPath(name), { subject: appSubject(name), action: 'read' });
    return body as Application;
  }

  async createApp(app: Application): Promise<void> {
    await this.api.post(`${REGISTRY_BASE}/apps`, {
      body: app,
      subject: appSubject(app.metadata.name),
      action: 'create',
    });
  }

  /** PUT; a non-empty uid/resourceVersion in the object makes a stale write fail with 409. */
  async updateApp(app: Application): Promise<void> {
    const name = app.metadata.name;
    await this.api.put(appPath(name), { body: app, subject: appSubject(name), action: 'update' });
  }

  /** Resolves true when deleted (or marked for deletion), false when missing and `ignoreMissing`. */
  deleteApp(name: string, options: DeleteOptions = {}): Promise<boolean> {
    return this.remove(appPath(name), appSubject(name), options);
  }

  async listDevices(app: string, options: ListOptions = {}): Promise<Device[]> {
    const { body } = await this.api.get<Device[]>(`${appPath(app)}/devices`, {
      query: { ...options },
      subject: appSubject(app),
      action: 'read',
    });
    return body ?? [];
  }

  async getDevice(app: string, name: string): Promise<Device> {
    const { body } = await this.api.get<Device>(devicePath(app, name), {
      subject: deviceSubject(app, name),
      action: 'read',
    });
    return body as Device;
  }

  /** 404 when the application does not exist (the message names the device and the application). */
  async createDevice(app: string, device: Device): Promise<void> {
    await this.api.post(`${appPath(app)}/devices`, {
      body: device,
      subject: deviceSubject(app, device.metadata.name),
      action: 'create',
    });
  }

  async updateDevice(app: string, device: Device): Promise<void> {
    const name = device.metadata.name;
    await this.api.put(devicePath(app, name), { body: device, subject: deviceSubject(app, name), action: 'update' });
  }

  deleteDevice(app: string, name: string, options: DeleteOptions = {}): Promise<boolean> {
    return this.remove(devicePath(app, name), deviceSubject(app, name), options);
  }

  private async remove(path: string, subject: string, options: DeleteOptions): Promise<boolean> {
    const { status } = await this.api.delete(path, {
      body: options.preconditions ? { preconditions: options.preconditions } : undefined,
      subject,
      action: 'delete',
      accept: options.ignoreMissing ? [404] : undefined,
    });
    return status !== 404;
  }
}
