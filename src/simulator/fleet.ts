// A fleet of simulated devices (`drg simulate`, tests, benchmarks): each connects with its own credentials, sends
// telemetry and takes firmware updates over DFU (DFU.md) as embedded-update does. Given explicit endpoints and
// credentials, it needs no drg config.
import type { Agent } from 'node:http';
import { type DfuEncoding, decodeCommand, encodeStatus } from '../dfu/codec.js';
import { DeviceFirmware, failsUpdates, type Outcome, type Reaction } from './device.js';
import {
  type DeviceLink,
  type HttpEndpoint,
  httpAgent,
  httpLink,
  type LinkEvents,
  type MqttEndpoint,
  mqttLink,
} from './links.js';
import { inTurns } from './turns.js';

export interface FleetOptions {
  app: string;
  /** The devices, in order: the index of each decides whether it fails its updates (`failRate`). */
  devices: readonly { name: string; password: string }[];
  protocol: 'mqtt' | 'http';
  mqtt?: MqttEndpoint;
  http?: HttpEndpoint;
  /** The version every device runs at start. */
  firmwareVersion: string;
  /** The largest block a device asks for (default 512). */
  mtu?: number;
  /** The share of devices (0..1) whose updates all fail at Swap: exactly floor(N * failRate) of them. */
  failRate?: number;
  /** How the devices encode their reports (default packed, as embedded-update). */
  encoding?: DfuEncoding;
  /** Telemetry messages a second, per device (0: none). */
  telemetryRate?: number;
  timing?: Partial<FleetTiming>;
  /**
   * Devices connecting at once (default 8): a server checks passwords on a few threads with a short queue, and
   * refuses devices beyond it for a moment (drg serve: "too many devices are authenticating").
   */
  concurrency?: number;
}

export interface FleetTiming {
  /** (MQTT) A report that got no command within this long is made again. */
  answerTimeoutMs: number;
  /** (HTTP) `?ct=`, in seconds. */
  commandTimeoutS: number;
  /** After an HTTP 202 without a command, or a failure, the device reports again this much later (DFU.md: 10 s). */
  retryMs: number;
  /** A Wait or Sync without `poll`: report again after this long. */
  defaultPollMs: number;
}

const DEFAULT_TIMING: FleetTiming = {
  answerTimeoutMs: 10_000,
  commandTimeoutS: 30,
  retryMs: 10_000,
  defaultPollMs: 30_000,
};

export interface FleetStats {
  devices: number;
  /** MQTT: connected now; HTTP: whose last request was answered. */
  connected: number;
  sent: { telemetry: number; dfu: number };
  /** DFU commands received. */
  commands: number;
  bytesWritten: number;
  /** Swaps that booted the new version. */
  updates: number;
  failures: {
    /** Swaps the bootloader reverted (`failRate`). */
    reverted: number;
    /** Swaps whose checksum did not match what was written. */
    mismatched: number;
  };
  refusedBlocks: number;
  invalidCommands: number;
  errors: number;
  lastError?: string;
}

export interface Fleet {
  readonly devices: readonly SimulatedDevice[];
  stats(): FleetStats;
  /** How many devices run each version. */
  versions(): Record<string, number>;
  /**
   * Resolves once every device runs `version` and the cloud has taken its report of it (so a rollout that waits
   * for them learns it, whatever the fleet does next); rejects after `timeoutMs` (saying what they run; Infinity:
   * never).
   */
  waitForVersion(version: string, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const timing = { ...DEFAULT_TIMING, ...options.timing };
  const mtu = options.mtu ?? 512;
  const encoding = options.encoding ?? 'packed';
  const failRate = options.failRate ?? 0;
  const stats: FleetStats = {
    devices: options.devices.length,
    connected: 0,
    sent: { telemetry: 0, dfu: 0 },
    commands: 0,
    bytesWritten: 0,
    updates: 0,
    failures: { reverted: 0, mismatched: 0 },
    refusedBlocks: 0,
    invalidCommands: 0,
    errors: 0,
  };
  const versions = new Map<string, number>([[options.firmwareVersion, options.devices.length]]);
  const watchers = new Set<() => void>();
  const fleet: FleetState = {
    stats,
    timing,
    encoding,
    telemetryRate: options.telemetryRate ?? 0,
    versionChanged(from, to) {
      versions.set(from, (versions.get(from) ?? 1) - 1);
      if (versions.get(from) === 0) versions.delete(from);
      versions.set(to, (versions.get(to) ?? 0) + 1);
      for (const watcher of watchers) watcher();
    },
    reportTaken() {
      for (const watcher of watchers) watcher();
    },
  };

  const linkFor = await linkMaker(options, timing, mtu);
  const devices = options.devices.map(
    (device, index) =>
      new SimulatedDevice(
        device.name,
        new DeviceFirmware({ version: options.firmwareVersion, mtu, failsUpdates: failsUpdates(index, failRate) }),
        fleet,
        (events) => linkFor({ app: options.app, device: device.name, password: device.password }, events),
      ),
  );
  const concurrency = options.concurrency ?? 8;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await inTurns(devices, concurrency, (device) => device.stop());
    linkFor.close();
  };
  try {
    await inTurns(devices, concurrency, (device) => device.start());
  } catch (error) {
    await close();
    throw error;
  }

  return {
    devices,
    stats: () => structuredClone(stats),
    versions: () => Object.fromEntries(versions),
    waitForVersion(version, timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (versions.get(version) !== devices.length) return;
          if (!devices.every((device) => device.reportedVersion === version)) return;
          done();
          resolve();
        };
        const timer = Number.isFinite(timeoutMs)
          ? setTimeout(() => {
              done();
              const running = [...versions].map(([v, n]) => `${n} on ${v}`);
              reject(new Error(`not every device runs ${version} after ${timeoutMs} ms: ${running.join(', ')}`));
            }, timeoutMs)
          : undefined;
        const done = () => {
          clearTimeout(timer);
          watchers.delete(check);
        };
        watchers.add(check);
        check();
      });
    },
    close,
  };
}

/** What the devices of a fleet share. */
interface FleetState {
  readonly stats: FleetStats;
  readonly timing: FleetTiming;
  readonly encoding: DfuEncoding;
  readonly telemetryRate: number;
  versionChanged(from: string, to: string): void;
  /** The cloud took a device's report of the version it runs. */
  reportTaken(): void;
}

type LinkMaker = ((
  credentials: { app: string; device: string; password: string },
  events: LinkEvents,
) => DeviceLink) & {
  close(): void;
};

async function linkMaker(options: FleetOptions, timing: FleetTiming, mtu: number): Promise<LinkMaker> {
  if (options.protocol === 'mqtt') {
    const endpoint = options.mqtt;
    if (!endpoint) throw new Error('an MQTT fleet needs the MQTT endpoint');
    const mqtt = await import('mqtt');
    return Object.assign(
      (credentials: Parameters<LinkMaker>[0], events: LinkEvents) => mqttLink(mqtt, endpoint, credentials, events),
      { close() {} },
    );
  }
  const endpoint = options.http;
  if (!endpoint) throw new Error('an HTTP fleet needs the HTTP endpoint');
  const agent: Agent = httpAgent(endpoint);
  // A Write of `mtu` bytes, base64 in JSON at worst, and its fields.
  const linkOptions = {
    commandTimeoutS: timing.commandTimeoutS,
    retryMs: timing.retryMs,
    maxAnswerBytes: mtu * 2 + 4096,
  };
  return Object.assign(
    (credentials: Parameters<LinkMaker>[0], events: LinkEvents) =>
      httpLink(endpoint, agent, credentials, linkOptions, events),
    { close: () => agent.destroy() },
  );
}

export class SimulatedDevice {
  private readonly link: DeviceLink;
  private connected = false;
  private reportTimer: NodeJS.Timeout | undefined;
  private telemetryTimer: NodeJS.Timeout | undefined;
  private telemetrySent = 0;
  private stopped = false;
  private takenVersion: string | undefined;

  constructor(
    readonly name: string,
    readonly firmware: DeviceFirmware,
    private readonly fleet: FleetState,
    makeLink: (events: LinkEvents) => DeviceLink,
  ) {
    this.link = makeLink({
      command: (payload, contentType) => this.command(payload, contentType),
      noCommand: (retryMs) => this.reportIn(retryMs),
      subscribed: () => this.report(),
      reachable: (up) => this.setConnected(up),
      failed: (message, retryReportMs) => {
        fleet.stats.errors++;
        fleet.stats.lastError = message;
        if (this.link.answersReports) this.setConnected(false);
        // Spread, so that devices refused together do not come back together.
        if (retryReportMs !== undefined) this.reportIn(retryReportMs * (1 + Math.random() / 2));
      },
    });
  }

  get version(): string {
    return this.firmware.version;
  }

  /** The version it runs, once the cloud has taken a report of it. */
  get reportedVersion(): string | undefined {
    return this.takenVersion === this.firmware.version ? this.takenVersion : undefined;
  }

  async start(): Promise<void> {
    await this.link.open();
    if (this.link.answersReports) this.report();
    const rate = this.fleet.telemetryRate;
    if (rate > 0) {
      const periodMs = 1000 / rate;
      // Spread over the period, so that a fleet does not send in bursts.
      this.telemetryTimer = setTimeout(() => {
        this.sendTelemetry();
        this.telemetryTimer = setInterval(() => this.sendTelemetry(), periodMs);
      }, Math.random() * periodMs);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reportTimer);
    clearTimeout(this.telemetryTimer);
    clearInterval(this.telemetryTimer);
    await this.link.close();
    this.setConnected(false);
  }

  /** Sends its status now, and (MQTT) reports again when no command follows in time. */
  report(): void {
    clearTimeout(this.reportTimer);
    if (this.stopped) return;
    const status = this.firmware.status();
    const taken = () => {
      if (status.version !== this.firmware.version || this.takenVersion === status.version) return;
      this.takenVersion = status.version;
      this.fleet.reportTaken();
    };
    if (!this.link.report(encodeStatus(status, this.fleet.encoding), taken)) return;
    this.fleet.stats.sent.dfu++;
    if (!this.link.answersReports) this.reportIn(this.fleet.timing.answerTimeoutMs);
  }

  private reportIn(ms: number): void {
    clearTimeout(this.reportTimer);
    if (!this.stopped) this.reportTimer = setTimeout(() => this.report(), ms);
  }

  private command(payload: Buffer, contentType: string | undefined): void {
    if (this.stopped) return;
    const { stats } = this.fleet;
    let reaction: Reaction;
    try {
      const { command } = decodeCommand(payload, contentType);
      stats.commands++;
      const before = this.firmware.version;
      const applied = this.firmware.apply(command);
      reaction = applied.reaction;
      this.count(applied.outcome, command.op === 'write' ? command.data.length : 0);
      if (this.firmware.version !== before) this.fleet.versionChanged(before, this.firmware.version);
    } catch (error) {
      stats.invalidCommands++;
      stats.lastError = `device ${this.name}: ${(error as Error).message}`;
      // As a device would: ignore it, and report after the timeout (HTTP: after the retry delay).
      if (this.link.answersReports) this.reportIn(this.fleet.timing.retryMs);
      return;
    }
    if (reaction.kind === 'report') this.report();
    else this.reportIn(reaction.seconds === undefined ? this.fleet.timing.defaultPollMs : reaction.seconds * 1000);
  }

  private count(outcome: Outcome, bytes: number): void {
    const { stats } = this.fleet;
    if (outcome === 'written') stats.bytesWritten += bytes;
    else if (outcome === 'refused') stats.refusedBlocks++;
    else if (outcome === 'updated') stats.updates++;
    else if (outcome === 'reverted') stats.failures.reverted++;
    else if (outcome === 'mismatched') stats.failures.mismatched++;
  }

  private sendTelemetry(): void {
    const seq = ++this.telemetrySent;
    const reading = { seq, temperature: 20 + ((seq * 7) % 50) / 10 };
    const message = { payload: Buffer.from(JSON.stringify(reading)), contentType: 'application/json' };
    if (this.link.telemetry(message)) this.fleet.stats.sent.telemetry++;
  }

  private setConnected(connected: boolean): void {
    if (connected === this.connected) return;
    this.connected = connected;
    this.fleet.stats.connected += connected ? 1 : -1;
  }
}
