// The server algorithm of DFU.md, one report at a time: what to answer a device, and what its status.firmware
// becomes. Pure: the agent gives it the device's report, its desired image and its recorded status.
import type { DeviceStatus, DfuCommand } from '../dfu/codec.js';
import {
  type Condition,
  type ConditionStatus,
  condition,
  type FirmwareStatus,
  IN_SYNC,
  UPDATE_FAILED,
  UPDATE_PROGRESS,
} from '../model/firmware.js';
import { rfc3339Seconds } from '../model/time.js';

/** Block size when the device names none (DFU.md). */
export const DEFAULT_MTU = 512;
/** The largest block sent whatever the device asks: a command stays well under the payload limits. */
export const MAX_BLOCK = 64 * 1024;

export interface DesiredImage {
  version: string;
  size: number;
  /** SHA-256, 32 raw bytes. */
  checksum: Uint8Array;
  data: Uint8Array;
}

export interface AnswerTimes {
  /** Seconds a device in sync waits before it reports again. */
  syncPoll: number;
  /** Seconds a device waits when there is nothing to do yet. */
  waitPoll: number;
}

export interface Answer {
  command: DfuCommand;
  /** status.firmware after this report. */
  status: FirmwareStatus;
  /** The status changed in a way that must be written at once (not only progress). */
  transition: boolean;
  /** Something about the report was wrong (answered safely all the same): for the error event. */
  problem?: AnswerProblem;
}

export interface AnswerProblem {
  kind: 'offset' | 'version' | 'swap-failed' | 'image';
  message: string;
}

/** Why the device gets no update now, though it does not run the desired version. */
export type Hold = { kind: 'no-firmware' } | { kind: 'unresolved'; reason: string };

/**
 * The answer to `report`: Wait without a desired image (`hold`), Sync when the device runs it, else Write the next
 * block or Swap. A device whose update to this version failed (its Failed condition) waits until it is retried.
 */
export function answer(
  report: DeviceStatus,
  desired: DesiredImage | Hold,
  recorded: FirmwareStatus | undefined,
  times: AnswerTimes,
  now: Date,
): Answer {
  const correlationId = report.correlationId;
  const at = rfc3339Seconds(now);
  if ('kind' in desired) {
    const status = withConditions({ current: report.version }, recorded, at, []);
    return {
      command: { op: 'wait', correlationId, poll: times.waitPoll },
      status,
      transition: changedState(recorded, status),
      problem: desired.kind === 'unresolved' ? { kind: 'image', message: desired.reason } : undefined,
    };
  }
  const target = desired.version;
  if (report.version === target) {
    const status = withConditions({ current: target, target }, recorded, at, [{ type: IN_SYNC, status: 'True' }]);
    return {
      command: { op: 'sync', version: target, correlationId, poll: times.syncPoll },
      status,
      transition: changedState(recorded, status),
    };
  }
  const failed = condition(recorded, UPDATE_FAILED);
  const progress = condition(recorded, UPDATE_PROGRESS);
  const wasSwapping = recorded?.target === target && progress?.reason === 'Swapping';
  const midUpdate = report.update?.version === target;
  if (recorded?.target === target && failed?.status === 'True') {
    return { command: { op: 'wait', correlationId, poll: times.waitPoll }, status: recorded, transition: false };
  }
  if (wasSwapping && !midUpdate) {
    // It was told to swap, and came back with another version: the update did not take (a failed check or boot).
    const message = `the device came back with version ${report.version} after the swap to ${target}`;
    const status = withConditions({ current: report.version, target }, recorded, at, [
      { type: IN_SYNC, status: 'False' },
      { type: UPDATE_FAILED, status: 'True', reason: 'SwapFailed', message },
    ]);
    return {
      command: { op: 'wait', correlationId, poll: times.waitPoll },
      status,
      transition: true,
      problem: { kind: 'swap-failed', message },
    };
  }
  let offset = midUpdate ? (report.update?.offset ?? 0) : 0;
  let problem: AnswerProblem | undefined;
  if (report.update && !midUpdate) {
    const message = `the device reported an update to ${report.update.version}, not to ${target}: restarting at 0`;
    problem = { kind: 'version', message };
  }
  if (offset > desired.size) {
    const message = `the device reported offset ${offset} beyond the end of ${target} (${desired.size} bytes): restarting at 0`;
    problem = { kind: 'offset', message };
    offset = 0;
  }
  const percent = desired.size === 0 ? 100 : Math.floor((offset * 100) / desired.size);
  if (offset === desired.size) {
    const status = withConditions({ current: report.version, target }, recorded, at, [
      { type: IN_SYNC, status: 'False' },
      { type: UPDATE_PROGRESS, status: 'Unknown', reason: 'Swapping', message: '100' },
    ]);
    return {
      command: { op: 'swap', version: target, correlationId, checksum: desired.checksum },
      status,
      transition: !wasSwapping,
      problem,
    };
  }
  const length = Math.min(blockSize(report.mtu), desired.size - offset);
  const status = withConditions({ current: report.version, target }, recorded, at, [
    { type: IN_SYNC, status: 'False' },
    { type: UPDATE_PROGRESS, status: 'Unknown', reason: 'Downloading', message: String(percent) },
  ]);
  return {
    command: {
      op: 'write',
      version: target,
      correlationId,
      offset,
      data: desired.data.subarray(offset, offset + length),
    },
    status,
    transition: changedState(recorded, status),
    problem,
  };
}

function blockSize(mtu: number | undefined): number {
  if (mtu === undefined || mtu <= 0) return DEFAULT_MTU;
  return Math.min(mtu, MAX_BLOCK);
}

/**
 * `base` with exactly `conditions` (others dropped), each keeping its lastTransitionTime from `recorded` while its
 * status stays the same.
 */
function withConditions(
  base: FirmwareStatus,
  recorded: FirmwareStatus | undefined,
  at: string,
  conditions: Condition[],
): FirmwareStatus {
  const next = conditions.map((c) => {
    const before = condition(recorded, c.type);
    return { ...c, lastTransitionTime: before?.status === c.status ? (before.lastTransitionTime ?? at) : at };
  });
  return next.length > 0 ? { ...base, conditions: next } : base;
}

/** Whether anything but the progress message changed: such a change is written at once. */
function changedState(before: FirmwareStatus | undefined, after: FirmwareStatus): boolean {
  if (before?.current !== after.current || before?.target !== after.target) return true;
  const shape = (s: FirmwareStatus | undefined) =>
    (s?.conditions ?? []).map((c) => `${c.type}=${c.status as ConditionStatus}/${c.reason ?? ''}`).join(',');
  return shape(before) !== shape(after);
}
