// status.firmware written at a bounded rate (DFU.md, step 5): a transition (a new target, in sync, failed, swapping)
// at once; progress at most once per interval per device, the latest winning, so a 2,048-block update costs a
// handful of writes, not 2,048.
import type { FirmwareStatus } from '../model/firmware.js';
import { jsonEqual } from '../model/json.js';
import type { AgentRegistry } from './agent.js';

/** Devices whose progress waits for its interval, at most; beyond, progress is written at once. */
const MAX_WAITING = 100_000;

interface DeviceEntry {
  /** What the registry has (as far as this writer knows). */
  written?: FirmwareStatus;
  /** The newest status, written or not. */
  latest: FirmwareStatus;
  lastWriteAt: number;
  timer?: NodeJS.Timeout;
  /** The write under way, which the next one waits for. */
  writing: Promise<void>;
}

export interface StatusWriterOptions {
  intervalMs: number;
  failed(app: string, device: string, err: unknown): void;
  now?: () => number;
}

export class StatusWriter {
  private readonly devices = new Map<string, DeviceEntry>();
  private readonly now: () => number;
  private waiting = 0;

  constructor(
    private readonly registry: Pick<AgentRegistry, 'writeStatus'>,
    private readonly options: StatusWriterOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The status given for the device and not yet written, if any: newer than what the registry has. */
  pending(app: string, device: string): FirmwareStatus | undefined {
    const entry = this.devices.get(key(app, device));
    return entry && entry.latest !== entry.written ? entry.latest : undefined;
  }

  /** Records `status`; written now when `urgent` or the interval has passed, else when it has. */
  write(app: string, device: string, status: FirmwareStatus, urgent: boolean): Promise<void> {
    const id = key(app, device);
    let entry = this.devices.get(id);
    if (!entry) {
      entry = { latest: status, lastWriteAt: 0, writing: Promise.resolve() };
      this.devices.set(id, entry);
    }
    entry.latest = status;
    // Progress while a write is already due: that write takes the newest (most reports of an update end here).
    if (!urgent && entry.timer) return entry.writing;
    if (entry.written && jsonEqual(entry.written, status)) return entry.writing;
    const due = entry.lastWriteAt + this.options.intervalMs;
    if (urgent || this.now() >= due || this.waiting >= MAX_WAITING) return this.flushDevice(app, device, entry);
    if (!entry.timer) {
      this.waiting++;
      entry.timer = setTimeout(() => void this.flushDevice(app, device, entry), due - this.now());
      entry.timer.unref();
    }
    return entry.writing;
  }

  /** Writes every waiting status now. */
  async flush(): Promise<void> {
    await Promise.allSettled(
      [...this.devices].map(([id, entry]) => {
        const [app, device] = split(id);
        return entry.timer ? this.flushDevice(app, device, entry) : entry.writing;
      }),
    );
  }

  private flushDevice(app: string, device: string, entry: DeviceEntry): Promise<void> {
    if (entry.timer) {
      clearTimeout(entry.timer);
      entry.timer = undefined;
      this.waiting--;
    }
    entry.lastWriteAt = this.now();
    entry.writing = entry.writing.then(async () => {
      const status = entry.latest;
      if (entry.written && jsonEqual(entry.written, status)) return;
      try {
        await this.registry.writeStatus(app, device, status);
        entry.written = status;
      } catch (err) {
        this.options.failed(app, device, err);
      }
      this.forgetIdle(app, device, entry);
    });
    return entry.writing;
  }

  /** A device whose status is written and has nothing waiting is forgotten after its interval: the map stays bounded. */
  private forgetIdle(app: string, device: string, entry: DeviceEntry): void {
    const timer = setTimeout(() => {
      if (!entry.timer && entry.written === entry.latest && this.devices.get(key(app, device)) === entry) {
        this.devices.delete(key(app, device));
      }
    }, this.options.intervalMs * 2);
    timer.unref();
  }
}

function key(app: string, device: string): string {
  return `${app}\u0000${device}`;
}

function split(id: string): [string, string] {
  const at = id.indexOf('\u0000');
  return [id.slice(0, at), id.slice(at + 1)];
}
