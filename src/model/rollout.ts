// A rollout (DFU.md, "Rollouts"): the operator's intent in the application's spec.rollout, its progress in
// status.rollout, and each targeted device's part in annotations, all in the registry, so that it survives restarts,
// and whoever drives it (the agent in drg serve, `drg firmware agent`, the CLI's cancel) reads the same state.
import { condition, type FirmwareSpec, firmwareStatusOf, UPDATE_FAILED, UPDATE_PROGRESS } from './firmware.js';
import { isJsonObject } from './json.js';
import type { Application, Device, Resource } from './resource.js';
import { rfc3339Seconds } from './time.js';

/** On a device: the rollout that set its spec.firmware. */
export const ROLLOUT_ANNOTATION = 'rollout.drg.drogue.io/id';
/** On a device: when its stage started (or it was retried): its timeout counts from then. */
export const STARTED_ANNOTATION = 'rollout.drg.drogue.io/started';
/** On a device: its spec.firmware before the rollout (JSON; `null` for none), which cancel puts back. */
export const PREVIOUS_ANNOTATION = 'rollout.drg.drogue.io/previous-firmware';

export interface RolloutSpec {
  id: string;
  version: string;
  /** What each device of a started stage gets as spec.firmware. */
  firmware: FirmwareSpec;
  /** The selector the devices were chosen with (for the record; the stages are what counts). */
  selector?: string;
  /** Device names, the canary group first. */
  stages: string[][];
  /** The fraction (0..1] of a stage's devices in sync for the next stage to start. */
  successThreshold: number;
  /** Failed devices tolerated (beyond them, the rollout pauses). */
  maxFailures: number;
  timeoutSeconds: number;
  createdAt: string;
  /** Set by `drg firmware pause`, cleared by resume. */
  paused?: boolean;
  /** Set by `drg firmware cancel`. */
  cancelled?: boolean;
  /** Failed devices an operator resumed past: they no longer count against maxFailures. */
  acceptedFailures?: string[];
}

export type RolloutPhase = 'Running' | 'Paused' | 'Completed' | 'Failed' | 'Cancelled';

export interface RolloutCounts {
  pending: number;
  updating: number;
  inSync: number;
  failed: number;
}

export interface RolloutStatus {
  id: string;
  phase: RolloutPhase;
  /** When each started stage started (its length is the number of started stages). */
  stagesStarted: string[];
  counts: RolloutCounts;
  /** Why it is paused or failed. */
  reason?: string;
  updatedAt: string;
  finishedAt?: string;
}

export type DeviceState =
  | { state: 'pending' }
  | { state: 'updating'; percent: number }
  | { state: 'in-sync' }
  | { state: 'failed'; reason: string };

export function rolloutSpecOf(app: Pick<Resource, 'spec'>): RolloutSpec | undefined {
  const value = app.spec?.rollout;
  if (!isJsonObject(value) || typeof value.id !== 'string' || !Array.isArray(value.stages)) return undefined;
  return value as unknown as RolloutSpec;
}

export function rolloutStatusOf(app: Pick<Resource, 'status'>, id: string): RolloutStatus | undefined {
  const value = app.status?.rollout;
  if (!isJsonObject(value) || value.id !== id) return undefined;
  return value as unknown as RolloutStatus;
}

/** The application has a rollout that has not finished. */
export function hasRunningRollout(app: Pick<Resource, 'spec' | 'status'>): boolean {
  const spec = rolloutSpecOf(app);
  return spec !== undefined && !spec.cancelled && !isFinished(rolloutStatusOf(app, spec.id)?.phase);
}

export function isFinished(phase: RolloutPhase | undefined): boolean {
  return phase === 'Completed' || phase === 'Failed' || phase === 'Cancelled';
}

/** A device's state in the rollout, from its status.firmware, its annotations and the time. */
export function deviceState(
  rollout: RolloutSpec,
  device: Resource | undefined,
  started: boolean,
  now: number,
): DeviceState {
  if (!device) return { state: 'failed', reason: 'the device is gone' };
  const status = firmwareStatusOf(device);
  if (status?.current === rollout.version) return { state: 'in-sync' };
  if (!started || device.metadata.annotations?.[ROLLOUT_ANNOTATION] !== rollout.id) return { state: 'pending' };
  const failed = condition(status, UPDATE_FAILED);
  if (status?.target === rollout.version && failed?.status === 'True') {
    return { state: 'failed', reason: failed.message ?? failed.reason ?? 'the update failed' };
  }
  const since = Date.parse(device.metadata.annotations?.[STARTED_ANNOTATION] ?? '');
  if (Number.isFinite(since) && now - since > rollout.timeoutSeconds * 1000) {
    return { state: 'failed', reason: `not in sync ${formatSeconds(rollout.timeoutSeconds)} after its stage started` };
  }
  const progress = condition(status, UPDATE_PROGRESS);
  if (status?.target === rollout.version && progress) {
    return { state: 'updating', percent: Math.min(100, Number.parseInt(progress.message ?? '0', 10) || 0) };
  }
  return { state: 'pending' };
}

export function countStates(states: Iterable<DeviceState>): RolloutCounts {
  const counts = { pending: 0, updating: 0, inSync: 0, failed: 0 };
  for (const { state } of states) {
    if (state === 'in-sync') counts.inSync++;
    else if (state === 'failed') counts.failed++;
    else if (state === 'updating') counts.updating++;
    else counts.pending++;
  }
  return counts;
}

/** Each planned device that still exists → its state. */
export function statesOf(
  spec: RolloutSpec,
  devices: Map<string, Device>,
  stagesStarted: number,
  now: number,
): Map<string, DeviceState> {
  const states = new Map<string, DeviceState>();
  spec.stages.forEach((names, stage) => {
    for (const name of names) {
      const device = devices.get(name);
      if (device) states.set(name, deviceState(spec, device, stage < stagesStarted, now));
    }
  });
  return states;
}

export function failedDevices(states: Map<string, DeviceState>): string[] {
  return [...states].filter(([, s]) => s.state === 'failed').map(([name]) => name);
}

/** The application's rollout and the devices failed in it now (of `devices`, its devices); undefined without one. */
export function failedIn(app: Application, devices: readonly Device[], now: number) {
  const spec = rolloutSpecOf(app);
  if (!spec) return undefined;
  const started = rolloutStatusOf(app, spec.id)?.stagesStarted.length ?? 0;
  const states = statesOf(spec, new Map(devices.map((d) => [d.metadata.name, d])), started, now);
  return { spec, failed: failedDevices(states) };
}

// An operator's changes (`drg firmware pause|resume|cancel|retry`, the console's buttons), each applied to what was
// just read and written with its resourceVersion; undefined: nothing to write.

/** Paused (true) or resumed (false); resuming accepts the devices `failed` now, so the rollout goes on past them. */
export function withPaused(app: Application, id: string, paused: boolean, failed: readonly string[]) {
  const rollout = rolloutSpecOf(app);
  if (rollout?.id !== id) return undefined;
  const next: RolloutSpec = { ...rollout, paused };
  if (!paused) next.acceptedFailures = [...new Set([...(rollout.acceptedFailures ?? []), ...failed])];
  else delete next.acceptedFailures;
  if (!paused) delete next.paused;
  return { ...app, spec: { ...app.spec, rollout: next } };
}

/** Marked cancelled (the driver's next evaluation puts the devices not yet updated back). */
export function withCancelled(app: Application): Application | undefined {
  const rollout = rolloutSpecOf(app);
  if (!rollout || rollout.cancelled || isFinished(rolloutStatusOf(app, rollout.id)?.phase)) return undefined;
  return { ...app, spec: { ...app.spec, rollout: { ...rollout, cancelled: true } } };
}

/** A failed device given another go: its Failed condition cleared, its timeout started again. */
export function retriedDevice(device: Device, now: number): Device {
  const firmware = firmwareStatusOf(device);
  const conditions = (firmware?.conditions ?? []).filter((c) => c.type !== UPDATE_FAILED);
  return {
    ...device,
    metadata: {
      ...device.metadata,
      annotations: { ...device.metadata.annotations, [STARTED_ANNOTATION]: rfc3339Seconds(now) },
    },
    status: { ...device.status, firmware: { ...firmware, conditions } },
  };
}

/** After retriedDevice for each of `failed`: a rollout that failed or paused on them runs again. */
export function withRetried(app: Application, id: string, failed: readonly string[]): Application | undefined {
  const rollout = rolloutSpecOf(app);
  const before = rollout && rolloutStatusOf(app, rollout.id);
  if (rollout?.id !== id || !before || before.phase === 'Completed' || before.phase === 'Cancelled') {
    return undefined;
  }
  const accepted = rollout.acceptedFailures?.filter((n) => !failed.includes(n));
  const next: RolloutSpec = { ...rollout, ...(accepted ? { acceptedFailures: accepted } : {}) };
  const { finishedAt: _done, reason: _why, ...running } = before;
  return {
    ...app,
    spec: { ...app.spec, rollout: next },
    status: { ...app.status, rollout: { ...running, phase: 'Running' } },
  };
}

export function formatSeconds(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
