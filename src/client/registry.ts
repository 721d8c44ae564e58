// The registry API (docs/drogue-api.md, "Registry"): applications and their devices.

import type { ApiSubject } from '../errors.js';
import { REGISTRY_BASE } from '../model/api-paths.js';
import type { Application, Device, ListOptions, Preconditions } from '../model/resource.js';
import { type ApiClient, pathSegment } from './http.js';

export interface DeleteOptions {
  /** Delete only if the stored object still has this uid/resourceVersion (else 409). */
  preconditions?: Preconditions;
  /** Resolve to false instead of failing when the object does not exist. */
  ignoreMissing?: boolean;
}

export function appPath(app: string): string {
  return `${REGISTRY_BASE}/apps/${pathSegment(app)}`;
}

export function devicePath(app: string, device: string): string {
  return `${appPath(app)}/devices/${pathSegment(device)}`;
}

export const appSubject = (app: string): ApiSubject => ({ kind: 'application', app });
export const deviceSubject = (app: string, device: string): ApiSubject => ({ kind: 'device', app, name: device });

/** Listings are read in pages of this many: each answer stays small, however large the registry. */
const LIST_PAGE_SIZE = 500;

export class RegistryClient {
  constructor(readonly api: ApiClient) {}

  listApps(options: ListOptions = {}): Promise<Application[]> {
    return this.list<Application>(`${REGISTRY_BASE}/apps`, options);
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

  listDevices(app: string, options: ListOptions = {}): Promise<Device[]> {
    return this.list<Device>(`${appPath(app)}/devices`, options, appSubject(app));
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

  /**
   * The whole listing (or `limit` items from `offset`), read page by page. A server that ignores `limit` (and
   * sends more than a page) has sent everything at once.
   */
  private async list<T>(path: string, options: ListOptions, subject?: ApiSubject): Promise<T[]> {
    const items: T[] = [];
    let offset = options.offset ?? 0;
    for (;;) {
      const wanted =
        options.limit === undefined ? LIST_PAGE_SIZE : Math.min(LIST_PAGE_SIZE, options.limit - items.length);
      const { body } = await this.api.get<T[]>(path, {
        query: { labels: options.labels, limit: wanted, offset: offset || undefined },
        subject,
        action: 'read',
      });
      const page = Array.isArray(body) ? body : [];
      items.push(...page);
      offset += page.length;
      const done = options.limit !== undefined && items.length >= options.limit;
      if (page.length !== wanted || done) return items;
    }
  }

  private async remove(path: string, subject: ApiSubject, options: DeleteOptions): Promise<boolean> {
    const { status } = await this.api.delete(path, {
      body: options.preconditions ? { preconditions: options.preconditions } : undefined,
      subject,
      action: 'delete',
      accept: options.ignoreMissing ? [404] : undefined,
    });
    return status !== 404;
  }
}
