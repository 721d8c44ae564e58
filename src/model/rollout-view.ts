// A rollout as `drg firmware status` shows it: its stages and the state of each device, computed from the registry
// the same way the controller computes them, and kept after it finishes.
import { firmwareStatusOf } from './firmware.js';
import type { Application, Device } from './resource.js';
import {
  countStates,
  type DeviceState,
  type RolloutCounts,
  type RolloutSpec,
  type RolloutStatus,
  rolloutSpecOf,
  rolloutStatusOf,
  statesOf,
} from './rollout.js';

export interface DeviceView {
  name: string;
  /** 1-based; 1 is the canary group. */
  stage: number;
  state: 'pending' | 'updating' | 'in-sync' | 'failed';
  percent?: number;
  reason?: string;
  current?: string;
}

export interface StageView {
  stage: number;
  started?: string;
  devices: number;
  counts: RolloutCounts;
}

export interface RolloutView {
  app: string;
  spec: RolloutSpec;
  /** Undefined until a driver (the agent) first looked at it. */
  status?: RolloutStatus;
  counts: RolloutCounts;
  stages: StageView[];
  devices: DeviceView[];
}

export function rolloutView(app: Application, devices: readonly Device[], now: number): RolloutView | undefined {
  const spec = rolloutSpecOf(app);
  if (!spec) return undefined;
  const status = rolloutStatusOf(app, spec.id);
  const started = status?.stagesStarted.length ?? 0;
  const byName = new Map(devices.map((d) => [d.metadata.name, d]));
  const states = statesOf(spec, byName, started, now);
  const stages: StageView[] = [];
  const list: DeviceView[] = [];
  spec.stages.forEach((names, index) => {
    const stageStates: DeviceState[] = [];
    for (const name of names) {
      const state = states.get(name);
      if (!state) continue;
      stageStates.push(state);
      const current = firmwareStatusOf(byName.get(name))?.current;
      list.push({
        name,
        stage: index + 1,
        state: state.state,
        ...(state.state === 'updating' ? { percent: state.percent } : {}),
        ...(state.state === 'failed' ? { reason: state.reason } : {}),
        ...(current ? { current } : {}),
      });
    }
    const at = status?.stagesStarted[index];
    stages.push({
      stage: index + 1,
      ...(at ? { started: at } : {}),
      devices: stageStates.length,
      counts: countStates(stageStates),
    });
  });
  const counts = countStates(states.values());
  return { app: app.metadata.name, spec, ...(status ? { status } : {}), counts, stages, devices: list };
}

/** The share of the devices in sync, in percent (updating devices count by their progress). */
export function overallPercent(view: Pick<RolloutView, 'devices'>): number {
  if (view.devices.length === 0) return 100;
  const done = view.devices.reduce(
    (sum, d) => sum + (d.state === 'in-sync' ? 100 : d.state === 'updating' ? (d.percent ?? 0) : 0),
    0,
  );
  return Math.floor(done / view.devices.length);
}

export function countsText(c: RolloutCounts): string {
  return `${c.inSync} in sync, ${c.updating} updating, ${c.pending} pending, ${c.failed} failed`;
}
