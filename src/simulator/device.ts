// The device side of DFU (DFU.md), as embedded-update's FirmwareUpdater does it: what a simulated device reports
// and how it takes each command. Pure state, no I/O: the fleet sends the reports and keeps the time.
import { createHash, type Hash } from 'node:crypto';
import type { DeviceStatus, DfuCommand } from '../dfu/codec.js';

/** What the device does after a command. */
export type Reaction =
  /** Report its status now (a block was written or refused, a swap done or failed, or a Wait{poll: 0}). */
  | { kind: 'report' }
  /** Report again in `seconds` (Wait, Sync); the fleet's default when the command names none. */
  | { kind: 'wait'; seconds?: number };

/** What happened, for the fleet's figures. */
export type Outcome =
  | 'waited'
  | 'synced'
  | 'written'
  | 'refused'
  | 'updated'
  | 'reverted'
  | 'mismatched'
  /** A Swap to the version it runs, with nothing downloaded: a late duplicate of the one that updated it. */
  | 'duplicate';

interface Download {
  version: string;
  offset: number;
  /** SHA-256 of the bytes so far: blocks come in order, so the image itself is never kept. */
  hash: Hash;
}

export interface FirmwareOptions {
  version: string;
  mtu: number;
  /** Every update fails at Swap: the bootloader reverts the new image, the device runs its old version again. */
  failsUpdates?: boolean;
}

export class DeviceFirmware {
  version: string;
  readonly mtu: number;
  readonly failsUpdates: boolean;
  private download: Download | undefined;

  constructor(options: FirmwareOptions) {
    this.version = options.version;
    this.mtu = options.mtu;
    this.failsUpdates = options.failsUpdates ?? false;
  }

  status(): DeviceStatus {
    const status: DeviceStatus = { version: this.version, mtu: this.mtu };
    if (this.download) status.update = { version: this.download.version, offset: this.download.offset };
    return status;
  }

  apply(command: DfuCommand): { reaction: Reaction; outcome: Outcome } {
    switch (command.op) {
      case 'wait':
        return { reaction: waitFor(command.poll), outcome: 'waited' };
      case 'sync':
        return { reaction: waitFor(command.poll), outcome: 'synced' };
      case 'write':
        return { reaction: { kind: 'report' }, outcome: this.write(command.version, command.offset, command.data) };
      case 'swap':
        return { reaction: { kind: 'report' }, outcome: this.swap(command.version, command.checksum) };
    }
  }

  private write(version: string, offset: number, data: Uint8Array): Outcome {
    if (offset === 0) {
      this.download = { version, offset: 0, hash: createHash('sha256') };
    } else if (this.download?.version !== version || this.download.offset !== offset) {
      return 'refused';
    }
    const download = this.download as Download;
    download.hash.update(data);
    download.offset += data.length;
    return 'written';
  }

  private swap(version: string, checksum: Uint8Array): Outcome {
    const download = this.download;
    if (!download && version === this.version) return 'duplicate';
    this.download = undefined;
    if (download?.version !== version || !download.hash.digest().equals(checksum)) return 'mismatched';
    if (this.failsUpdates) return 'reverted';
    this.version = version;
    return 'updated';
  }
}

/** A Wait{poll: 0} means "report now": what the agent sends to nudge a device when a rollout reaches it. */
function waitFor(poll: number | undefined): Reaction {
  return poll === 0 ? { kind: 'report' } : { kind: 'wait', seconds: poll };
}

/**
 * Whether device `index` fails its updates at `rate` (0..1): of devices 0..N-1, exactly floor(N * rate) do, spread
 * evenly. The epsilon absorbs floating point (0.29 * 100 is 28.999...), not a device.
 */
export function failsUpdates(index: number, rate: number): boolean {
  return failingCount(index + 1, rate) > failingCount(index, rate);
}

/** How many of `count` devices fail their updates at `rate`. */
export function failingCount(count: number, rate: number): number {
  return Math.floor(count * rate + 1e-9);
}
