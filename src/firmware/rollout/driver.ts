// When rollouts are evaluated: at once when something happened (a device settled, the application changed), one
// evaluation per application at a time, and on a tick while a rollout runs (for devices silent past their timeout).

import { isFinished } from '../../model/rollout.js';
import type { FleetRegistry } from '../fleet-registry.js';
import { evaluateRollout } from './controller.js';

export interface RolloutDriverOptions {
  registry: FleetRegistry;
  nudge?(app: string, device: string): void;
  problem(app: string, message: string): void;
  /** Between two evaluations of a running rollout (ms). */
  tickMs?: number;
  /** Keep evaluating applications without a running rollout on the tick too (a remote agent learns of new ones so). */
  watchIdle?: boolean;
  now?: () => number;
}

/** The shortest time between two evaluations of one application's rollout. */
const MIN_GAP_MS = 200;

interface AppState {
  running: boolean;
  again: boolean;
  /** When the last evaluation started. */
  lastAt: number;
  /** The next evaluation on the tick (a rollout under way). */
  tick?: NodeJS.Timeout;
  /** The next evaluation, once MIN_GAP_MS after the last. */
  gap?: NodeJS.Timeout;
}

export class RolloutDriver {
  private readonly apps = new Map<string, AppState>();
  private closed = false;
  private readonly tickMs: number;
  private readonly now: () => number;

  constructor(private readonly options: RolloutDriverOptions) {
    this.tickMs = options.tickMs ?? 2_000;
    this.now = options.now ?? Date.now;
  }

  /** Evaluates the application's rollout soon (once, however often it is poked meanwhile). */
  poke(app: string): void {
    if (this.closed) return;
    let state = this.apps.get(app);
    if (!state) {
      state = { running: false, again: false, lastAt: 0 };
      this.apps.set(app, state);
    }
    if (state.running) {
      state.again = true;
      return;
    }
    if (state.gap) return;
    if (state.tick) clearTimeout(state.tick);
    state.tick = undefined;
    // Evaluations of one application at most every MIN_GAP_MS: a thousand devices settling at once make a few.
    const wait = state.lastAt + MIN_GAP_MS - this.now();
    if (wait > 0) {
      state.gap = setTimeout(() => this.start(app, state), wait);
      state.gap.unref();
      return;
    }
    this.start(app, state);
  }

  private start(app: string, state: AppState): void {
    state.gap = undefined;
    state.running = true;
    state.lastAt = this.now();
    void this.evaluate(app, state);
  }

  forget(app: string): void {
    const state = this.apps.get(app);
    if (state) stopTimers(state);
    this.apps.delete(app);
  }

  close(): void {
    this.closed = true;
    for (const state of this.apps.values()) stopTimers(state);
    this.apps.clear();
  }

  private async evaluate(app: string, state: AppState): Promise<void> {
    let active = this.options.watchIdle ?? false;
    try {
      const status = await evaluateRollout(this.options.registry, app, { now: this.now(), nudge: this.options.nudge });
      active ||= status !== undefined && !isFinished(status.phase);
    } catch (err) {
      active = true;
      this.options.problem(app, `cannot advance the rollout: ${err instanceof Error ? err.message : String(err)}`);
    }
    state.running = false;
    if (this.closed || this.apps.get(app) !== state) return;
    if (state.again) {
      state.again = false;
      this.poke(app);
    } else if (active) {
      state.tick = setTimeout(() => {
        state.tick = undefined;
        this.poke(app);
      }, this.tickMs);
      state.tick.unref();
    } else {
      this.apps.delete(app);
    }
  }
}

function stopTimers(state: AppState): void {
  if (state.tick) clearTimeout(state.tick);
  if (state.gap) clearTimeout(state.gap);
}
