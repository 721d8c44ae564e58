// What the device endpoints (HTTP, MQTT) and the command API share, as a component of drg serve: the device
// directory and authenticator on the registry, the command router, and who is connected.
import { hostname } from 'node:os';
import { CommandRouter } from '../commands/router.js';
import { DataPlaneCounters } from '../metrics.js';
import type { RegistryComponent } from '../registry/component.js';
import type { Component } from '../runtime.js';
import type { StoreComponent } from '../store/component.js';
import { DeviceAuthenticator } from './auth.js';
import { DeviceConnections } from './connections.js';
import { DeviceDirectory } from './directory.js';

/** `--max-payload`'s default: 256 KiB. */
export const DEFAULT_MAX_PAYLOAD = 256 * 1024;

export interface DevicesOptions {
  /** The largest message payload a device may send (bytes). */
  maxPayload?: number;
}

interface Started {
  authenticator: DeviceAuthenticator;
  unsubscribe: () => void;
}

export class DevicesComponent implements Component {
  readonly name = 'devices';
  readonly commands = new CommandRouter();
  readonly connections = new DeviceConnections();
  /** What the endpoints and integrations count, for /metrics. */
  readonly counters = new DataPlaneCounters();
  /** The `instance` of every CloudEvent this server makes. */
  readonly instance = `drg-serve@${hostname()}`;
  readonly maxPayload: number;
  private started?: Started;

  constructor(
    private readonly store: StoreComponent,
    private readonly registry: RegistryComponent,
    options: DevicesOptions = {},
  ) {
    this.maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
  }

  get authenticator(): DeviceAuthenticator {
    if (!this.started) throw new Error('the devices component has not started');
    return this.started.authenticator;
  }

  start(): void {
    const directory = new DeviceDirectory(this.store.db);
    const { events } = this.registry.registry;
    // Last seen is kept for the devices that exist.
    const unsubscribe = events.subscribe('device-last-seen', ({ kind, operation, application, device }) => {
      if (operation === 'deleted') this.connections.forget(application, kind === 'device' ? device : undefined);
    });
    this.started = { authenticator: new DeviceAuthenticator(directory, events), unsubscribe };
  }

  async stop(): Promise<void> {
    this.started?.unsubscribe();
    await this.started?.authenticator.close();
    this.started = undefined;
  }
}
