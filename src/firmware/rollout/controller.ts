// Driving a rollout: starts the canary stage, starts the next stage as soon as the current one reaches its success
// threshold, pauses when failures exceed the limit, finishes when every device is settled. Each evaluation reads
// the state from the registry and writes what follows from it, so it is idempotent: several agents may drive the
// same rollout (optimistic locking sorts their writes out), and one restarted mid-rollout carries on.
import { jsonEqual } from '../../model/json.js';
import type { Application, Device } from '../../model/resource.js';
import {
  countStates,
  type DeviceState,
  failedDevices,
  failedIn,
  isFinished,
  PREVIOUS_ANNOTATION,
  ROLLOUT_ANNOTATION,
  type RolloutPhase,
  type RolloutSpec,
  type RolloutStatus,
  retriedDevice,
  rolloutSpecOf,
  rolloutStatusOf,
  STARTED_ANNOTATION,
  statesOf,
  withCancelled,
  withPaused,
  withRetried,
} from '../../model/rollout.js';
import { rfc3339Seconds } from '../../model/time.js';
import { type FleetRegistry, modifyApp, modifyDevice } from '../fleet-registry.js';

export interface EvaluateOptions {
  now: number;
  /** A device of a stage that just started: tell it to report now (it may be waiting a long poll). */
  nudge?(app: string, device: string): void;
}

/** One evaluation of the application's rollout; resolves with its status (undefined without a rollout). */
export async function evaluateRollout(
  registry: FleetRegistry,
  appName: string,
  options: EvaluateOptions,
): Promise<RolloutStatus | undefined> {
  const app = await registry.getApp(appName);
  const spec = app && rolloutSpecOf(app);
  if (!app || !spec) return undefined;
  const previous = rolloutStatusOf(app, spec.id);
  if (isFinished(previous?.phase)) return previous;
  const { now } = options;
  if (spec.cancelled) return cancelDevices(registry, app, spec, previous, now);
  const devices = byName(await registry.listDevices(appName));
  const stagesStarted = [...(previous?.stagesStarted ?? [])];
  let states = statesOf(spec, devices, stagesStarted.length, now);
  const failures = failedDevices(states).filter((name) => !spec.acceptedFailures?.includes(name));
  let phase: RolloutPhase = 'Running';
  let reason: string | undefined;
  if (failures.length > spec.maxFailures) {
    phase = 'Paused';
    reason = `${failures.length} device${failures.length === 1 ? '' : 's'} failed (at most ${spec.maxFailures} allowed): ${failures.slice(0, 5).join(', ')}${failures.length > 5 ? ', ...' : ''}`;
  } else if (spec.paused) {
    phase = 'Paused';
    reason = 'paused by an operator';
  } else {
    if (stagesStarted.length === 0 || stageSucceeded(spec, states, stagesStarted.length - 1)) {
      if (stagesStarted.length < spec.stages.length) stagesStarted.push(rfc3339Seconds(now));
    }
    states = statesOf(spec, devices, stagesStarted.length, now);
    const all = [...states.values()];
    if (stagesStarted.length === spec.stages.length && all.every((s) => s.state === 'in-sync')) phase = 'Completed';
    else if (
      stagesStarted.length === spec.stages.length &&
      all.every((s) => s.state === 'in-sync' || s.state === 'failed')
    ) {
      phase = 'Failed';
      reason = `${failures.length} device${failures.length === 1 ? '' : 's'} failed: run drg firmware retry`;
    }
  }
  const status: RolloutStatus = {
    id: spec.id,
    phase,
    stagesStarted,
    counts: countStates(states.values()),
    ...(reason ? { reason } : {}),
    updatedAt: rfc3339Seconds(now),
    ...(isFinished(phase) ? { finishedAt: rfc3339Seconds(now) } : {}),
  };
  const written = await writeStatus(registry, appName, spec.id, status, previous);
  if (!written) return rolloutStatusOf((await registry.getApp(appName)) ?? app, spec.id);
  if (phase === 'Running') await startDevices(registry, appName, spec, stagesStarted, devices, options);
  return status;
}

/** Puts the devices not yet updated back to the firmware they had, and marks the rollout cancelled. */
async function cancelDevices(
  registry: FleetRegistry,
  app: Application,
  spec: RolloutSpec,
  previous: RolloutStatus | undefined,
  now: number,
): Promise<RolloutStatus | undefined> {
  const name = app.metadata.name;
  const devices = byName(await registry.listDevices(name));
  const stagesStarted = previous?.stagesStarted ?? [];
  const states = statesOf(spec, devices, stagesStarted.length, now);
  for (const [device, state] of states) {
    if (state.state === 'in-sync' || devices.get(device)?.metadata.annotations?.[ROLLOUT_ANNOTATION] !== spec.id)
      continue;
    await modifyDevice(registry, name, device, (d) => revertDevice(d, spec.id));
  }
  // The devices not in sync are back where they were: pending, as if the rollout had not reached them.
  const after = [...states.values()].map(
    (state): DeviceState => (state.state === 'in-sync' ? state : { state: 'pending' }),
  );
  const status: RolloutStatus = {
    id: spec.id,
    phase: 'Cancelled',
    stagesStarted,
    counts: countStates(after),
    reason: 'cancelled by an operator',
    updatedAt: rfc3339Seconds(now),
    finishedAt: rfc3339Seconds(now),
  };
  await writeStatus(registry, name, spec.id, status, previous);
  return status;
}

function revertDevice(device: Device, id: string): Device | undefined {
  const annotations = { ...device.metadata.annotations };
  if (annotations[ROLLOUT_ANNOTATION] !== id) return undefined;
  const before = parsePrevious(annotations[PREVIOUS_ANNOTATION]);
  const spec = { ...device.spec };
  if (before === null) delete spec.firmware;
  else spec.firmware = before;
  delete annotations[ROLLOUT_ANNOTATION];
  delete annotations[STARTED_ANNOTATION];
  delete annotations[PREVIOUS_ANNOTATION];
  return { ...device, metadata: { ...device.metadata, annotations }, spec };
}

function parsePrevious(text: string | undefined): unknown {
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** Gives every device of the started stages the rollout's firmware, once; nudges those it just gave it to. */
async function startDevices(
  registry: FleetRegistry,
  app: string,
  spec: RolloutSpec,
  stagesStarted: readonly string[],
  devices: Map<string, Device>,
  options: EvaluateOptions,
): Promise<void> {
  for (let stage = 0; stage < stagesStarted.length; stage++) {
    const started = stagesStarted[stage] as string;
    for (const name of spec.stages[stage] ?? []) {
      const device = devices.get(name);
      if (!device || device.metadata.annotations?.[ROLLOUT_ANNOTATION] === spec.id) continue;
      const written = await modifyDevice(registry, app, name, (d) => assignDevice(d, spec, started));
      if (written) options.nudge?.(app, name);
    }
  }
}

function assignDevice(device: Device, spec: RolloutSpec, started: string): Device | undefined {
  const annotations = device.metadata.annotations ?? {};
  if (annotations[ROLLOUT_ANNOTATION] === spec.id) return undefined;
  return {
    ...device,
    metadata: {
      ...device.metadata,
      annotations: {
        ...annotations,
        [ROLLOUT_ANNOTATION]: spec.id,
        [STARTED_ANNOTATION]: started,
        [PREVIOUS_ANNOTATION]: JSON.stringify(device.spec?.firmware ?? null),
      },
    },
    spec: { ...device.spec, firmware: spec.firmware },
  };
}

/** Writes status.rollout unless only its time changed; false when the rollout was replaced meanwhile. */
async function writeStatus(
  registry: FleetRegistry,
  app: string,
  id: string,
  status: RolloutStatus,
  previous: RolloutStatus | undefined,
): Promise<boolean> {
  if (previous && jsonEqual({ ...previous, updatedAt: '' }, { ...status, updatedAt: '' })) return true;
  let replaced = false;
  await modifyApp(registry, app, (current) => {
    if (rolloutSpecOf(current)?.id !== id) {
      replaced = true;
      return undefined;
    }
    const before = rolloutStatusOf(current, id);
    // Another driver may have started a stage meanwhile: never go back.
    if (before && before.stagesStarted.length > status.stagesStarted.length) {
      replaced = true;
      return undefined;
    }
    return { ...current, status: { ...current.status, rollout: status } };
  });
  return !replaced;
}

function byName(devices: readonly Device[]): Map<string, Device> {
  return new Map(devices.map((d) => [d.metadata.name, d]));
}

/** In sync at the threshold; devices gone, and failures an operator resumed past, do not count. */
function stageSucceeded(spec: RolloutSpec, states: Map<string, DeviceState>, stage: number): boolean {
  const accepted = (n: string) => spec.acceptedFailures?.includes(n) && states.get(n)?.state === 'failed';
  const names = (spec.stages[stage] ?? []).filter((n) => states.has(n) && !accepted(n));
  const inSync = names.filter((n) => states.get(n)?.state === 'in-sync').length;
  return inSync >= Math.ceil(spec.successThreshold * names.length - 1e-9);
}

/** The application's rollout and the devices failed in it now; undefined without a rollout. */
async function failedNow(registry: FleetRegistry, app: string, now: number) {
  const current = await registry.getApp(app);
  if (!current || !rolloutSpecOf(current)) return undefined;
  return failedIn(current, await registry.listDevices(app), now);
}

/** Pause (true) or resume (false); resuming accepts the failures so far, so the rollout goes on past them. */
export async function setPaused(registry: FleetRegistry, app: string, paused: boolean, now: number) {
  const found = await failedNow(registry, app, now);
  if (!found) return undefined;
  const { spec, failed } = found;
  return modifyApp(registry, app, (a) => withPaused(a, spec.id, paused, failed));
}

/** Marks the rollout cancelled; the evaluation that follows puts the devices not yet updated back. */
export async function markCancelled(registry: FleetRegistry, app: string): Promise<boolean> {
  const written = await modifyApp(registry, app, withCancelled);
  return written !== undefined;
}

/**
 * Gives the failed devices another go: their Failed condition is cleared and their timeout starts again; a rollout
 * that failed or paused on them runs again. Resolves with the devices retried.
 */
export async function retryFailed(registry: FleetRegistry, app: string, now: number): Promise<string[]> {
  const found = await failedNow(registry, app, now);
  if (!found) return [];
  const { spec, failed } = found;
  for (const name of failed) await modifyDevice(registry, app, name, (d) => retriedDevice(d, now));
  await modifyApp(registry, app, (a) => withRetried(a, spec.id, failed));
  return failed;
}
