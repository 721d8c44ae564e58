// The firmware agent inside drg serve: one consumer of `dfu` events per application (the group drg-firmware-agent,
// which a `drg firmware agent` on the MQTT integration may join to share the load), answers through the command
// router, status.firmware and rollouts through the registry in-process. Started after everything it uses.
import { DFU_CHANNEL, DFU_COMMAND } from '../../dfu/codec.js';
import { type AgentImages, type DeviceFirmware, FirmwareAgent, ImageUnavailableError } from '../../firmware/agent.js';
import { modifyDevice } from '../../firmware/fleet-registry.js';
import { ImageCache, type LoadedImage } from '../../firmware/image-cache.js';
import { RolloutDriver } from '../../firmware/rollout/driver.js';
import { DEVICE_EVENT_TYPE, eventPayload } from '../../model/cloudevents.js';
import {
  type FirmwareSpec,
  type FirmwareSpecCheck,
  type FirmwareStatus,
  firmwareSpecOf,
  firmwareStatusOf,
  type ImageInfo,
} from '../../model/firmware.js';
import type { Device } from '../../model/resource.js';
import { hasRunningRollout } from '../../model/rollout.js';
import { sendCommand } from '../commands/dispatch.js';
import type { DevicesComponent } from '../devices/component.js';
import { firmwareErrorEvent } from '../events/cloudevent.js';
import type { EventsComponent } from '../events/component.js';
import type { Consumer, LoggedEvent } from '../events/log.js';
import type { RateLimitedLog } from '../log-limit.js';
import type { RegistryComponent } from '../registry/component.js';
import type { RegistryEvent } from '../registry/events.js';
import type { Component } from '../runtime.js';
import { ServerFleetRegistry } from './registry.js';

/** The consumer group of the agents of an application. */
export const AGENT_GROUP = 'drg-firmware-agent';
/** A report older than this is not answered: its device has given up waiting and reports again. */
const STALE_REPORT_MS = 60_000;
const MAX_IN_FLIGHT = 1024;
/** Bytes of file images kept in memory. */
const IMAGE_CACHE_BYTES = 256 * 1024 * 1024;
/** How long the store's answer about an image is used (a pushed or deleted image is seen this late at most). */
const IMAGE_INFO_TTL_MS = 1_000;
/** A device's problems become an event at most this often. */
const ERROR_EVENT_INTERVAL_MS = 10_000;
/** Devices (and images) whose views, error-event times and store answers are remembered, at most. */
const MAX_REMEMBERED = 100_000;

/** The local store as the agent reads it (src/server-lite/firmware/store.ts). */
export interface LocalImages {
  info(app: string, name: string, version?: string): ImageInfo | undefined;
  read(app: string, name: string, version: string): Promise<Buffer>;
}

/** Images from OCI registries (src/firmware/oci/). */
export interface RegistryImages {
  get(image: string, policy?: 'IfNotPresent' | 'Always'): Promise<{ info: ImageInfo; data: Buffer }>;
}

export interface FirmwareAgentOptions {
  registry: RegistryComponent;
  events: EventsComponent;
  devices: DevicesComponent;
  local: () => LocalImages | undefined;
  oci: () => RegistryImages;
  log: RateLimitedLog;
  /** Answer times and status interval (for tests). */
  syncPoll?: number;
  waitPoll?: number;
  statusIntervalMs?: number;
  rolloutTickMs?: number;
}

export class FirmwareAgentComponent implements Component {
  readonly name = 'firmware-agent';
  private agent?: FirmwareAgent;
  private driver?: RolloutDriver;
  private readonly consumers = new Map<string, Consumer>();
  /** app/device → its firmware spec and status (null: no such device). */
  private readonly devicesSeen = new Map<string, { firmware?: FirmwareSpecCheck; status?: FirmwareStatus } | null>();
  /** Device change events seen: tells whether a status write was the only change while it was made. */
  private deviceChanges = 0;
  /** app → its firmware spec and whether a rollout is under way (null: no such application). */
  private readonly appsSeen = new Map<string, { firmware?: FirmwareSpecCheck; rolloutRunning: boolean } | null>();
  /** app/device → when its last error event was appended. */
  private readonly lastErrorEvent = new Map<string, number>();
  private readonly fleet: ServerFleetRegistry;
  private readonly images: ServerImages;
  private unsubscribe?: () => void;

  constructor(private readonly options: FirmwareAgentOptions) {
    this.fleet = new ServerFleetRegistry(() => options.registry.registry);
    this.images = new ServerImages(options.local, options.oci);
  }

  /** What the agent answered, for /metrics. */
  get counts(): FirmwareAgent['counts'] | undefined {
    return this.agent?.counts;
  }

  start(): void {
    const { options, fleet } = this;
    this.driver = new RolloutDriver({
      registry: fleet,
      nudge: (app, device) => void this.agent?.nudge(app, device),
      problem: (app, message) => options.log.warn('firmware-rollout', { app }, message),
      tickMs: options.rolloutTickMs,
    });
    const driver = this.driver;
    this.agent = new FirmwareAgent({
      registry: {
        device: async (app, device) => this.view(app, device),
        writeStatus: async (app, device, status) => {
          const before = this.deviceChanges;
          const written = await modifyDevice(fleet, app, device, (d) => withFirmwareStatus(d, status));
          // When its own was the only device change meanwhile, what it wrote is what the registry has.
          if (written && this.deviceChanges === before + 1)
            this.devicesSeen.set(`${app}/${device}`, deviceSeen(written));
        },
      },
      images: this.images,
      commands: {
        send: async (app, device, payload, contentType) => {
          sendCommand(options.devices, { app, device, command: DFU_COMMAND, payload, contentType });
        },
      },
      problem: ({ app, device, kind, message }) => {
        // Repeats are counted by kind: one device's garbage does not hide another's failed swap.
        options.log.warn(`firmware-agent-${kind}`, { app, device }, message);
        void this.errorEvent(app, device, message);
      },
      transition: (app) => driver.poke(app),
      syncPoll: options.syncPoll,
      waitPoll: options.waitPoll,
      statusIntervalMs: options.statusIntervalMs,
    });
    this.unsubscribe = options.registry.registry.events.subscribe('firmware-agent', (event) => this.changed(event));
  }

  open(): void {
    for (const app of this.options.registry.registry.applications.names()) {
      this.consume(app);
      this.driver?.poke(app);
    }
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    for (const consumer of this.consumers.values()) consumer.close();
    this.consumers.clear();
    this.driver?.close();
    await this.agent?.close();
  }

  stop(): void {
    this.agent = undefined;
    this.driver = undefined;
  }

  private changed(event: RegistryEvent): void {
    const { application: app } = event;
    if (event.kind === 'device' && event.device !== undefined) {
      this.deviceChanges++;
      this.devicesSeen.delete(`${app}/${event.device}`);
      return;
    }
    this.appsSeen.delete(app);
    if (event.operation === 'deleted') {
      this.consumers.get(app)?.close();
      this.consumers.delete(app);
      this.driver?.forget(app);
      return;
    }
    if (event.operation === 'created') this.consume(app);
    this.driver?.poke(app);
  }

  private consume(app: string): void {
    if (this.consumers.has(app)) return;
    const consumer = this.options.events.bus.consume({
      app,
      group: AGENT_GROUP,
      filter: (e) => e.subject === DFU_CHANNEL && e.type === DEVICE_EVENT_TYPE,
      maxInFlight: MAX_IN_FLIGHT,
      deliver: (event) => this.report(consumer, event),
      dropped: (reason) => {
        this.options.log.warn('firmware-agent', { app }, `the agent's consumer was dropped: ${reason}; rejoining`);
        this.consumers.delete(app);
        setTimeout(() => this.agent && this.consume(app), 1_000).unref();
      },
    });
    this.consumers.set(app, consumer);
  }

  private report(consumer: Consumer, logged: LoggedEvent): void {
    const { event } = logged;
    const device = event.device;
    if (!this.agent || typeof device !== 'string' || Date.now() - logged.time > STALE_REPORT_MS) {
      consumer.ack(logged.position);
      return;
    }
    void this.agent
      .handle({ app: logged.app, device, payload: eventPayload(event), contentType: event.datacontenttype })
      .finally(() => consumer.ack(logged.position));
  }

  /**
   * The device's desired firmware and status: its own part cached until the registry changes the device, its
   * application's (spec.firmware, a rollout under way) until it changes the application.
   */
  private async view(app: string, device: string): Promise<DeviceFirmware | undefined> {
    const key = `${app}/${device}`;
    let own = this.devicesSeen.get(key);
    if (own === undefined) {
      const d = await this.fleet.getDevice(app, device);
      own = d ? deviceSeen(d) : null;
      if (this.devicesSeen.size >= MAX_REMEMBERED) this.devicesSeen.clear();
      this.devicesSeen.set(key, own);
    }
    if (!own) return undefined;
    let shared = this.appsSeen.get(app);
    if (shared === undefined) {
      const a = await this.fleet.getApp(app);
      shared = a ? { firmware: firmwareSpecOf(a), rolloutRunning: hasRunningRollout(a) } : null;
      this.appsSeen.set(app, shared);
    }
    return {
      desired: own.firmware ?? shared?.firmware,
      status: own.status,
      rolloutRunning: shared?.rolloutRunning ?? false,
    };
  }

  /** The problem as an event in the application's stream (drg stream --channel dfu), at most one per device per interval. */
  private async errorEvent(app: string, device: string, message: string): Promise<void> {
    const key = `${app}/${device}`;
    const now = Date.now();
    if ((this.lastErrorEvent.get(key) ?? 0) + ERROR_EVENT_INTERVAL_MS > now) return;
    if (this.lastErrorEvent.size >= MAX_REMEMBERED) this.lastErrorEvent.clear();
    this.lastErrorEvent.set(key, now);
    const [a, d] = await Promise.all([this.fleet.getApp(app), this.fleet.getDevice(app, device)]);
    if (!a?.metadata.uid || !d?.metadata.uid) return;
    const self = { name: device, uid: d.metadata.uid };
    const origin = { app: { name: app, uid: a.metadata.uid }, device: self, sender: self };
    await this.options.events.bus
      .append([firmwareErrorEvent(origin, message, this.options.devices.instance)])
      .catch(() => undefined);
  }
}

function deviceSeen(device: Device): { firmware?: FirmwareSpecCheck; status?: FirmwareStatus } {
  return { firmware: firmwareSpecOf(device), status: firmwareStatusOf(device) };
}

function withFirmwareStatus(device: Device, status: FirmwareStatus): Device {
  return { ...device, status: { ...device.status, firmware: status } };
}

/** Images by spec: the local store's (kept in memory, bounded) and OCI registries' (cached by their client). */
class ServerImages implements AgentImages {
  private readonly cache = new ImageCache(IMAGE_CACHE_BYTES);

  constructor(
    private readonly local: () => LocalImages | undefined,
    private readonly oci: () => RegistryImages,
  ) {}

  /** app/name/version → the store's answer and when it was asked: one query per image a second, not per report. */
  private readonly infos = new Map<string, { at: number; info: ImageInfo | undefined }>();

  async get(app: string, spec: FirmwareSpec): Promise<LoadedImage> {
    if ('container' in spec) return this.oci().get(spec.container.image, spec.container.imagePullPolicy);
    const store = this.local();
    const info = store && this.info(store, app, spec.file.name, spec.file.version);
    if (!store || !info) {
      const what = spec.file.version ? `${spec.file.name} ${spec.file.version}` : spec.file.name;
      throw new ImageUnavailableError(`no firmware ${what} in the store of application ${app}`);
    }
    const key = `${app}/${info.name}/${info.version}/${info.checksum}`;
    return this.cache.get(key, async () => ({ info, data: await store.read(app, info.name, info.version) }));
  }

  private info(store: LocalImages, app: string, name: string, version: string | undefined): ImageInfo | undefined {
    const key = `${app}/${name}/${version ?? ''}`;
    const now = Date.now();
    const known = this.infos.get(key);
    if (known && now - known.at < IMAGE_INFO_TTL_MS) return known.info;
    const info = store.info(app, name, version);
    if (this.infos.size >= MAX_REMEMBERED) this.infos.clear();
    this.infos.set(key, { at: now, info });
    return info;
  }
}
