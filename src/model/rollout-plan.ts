// Planning a rollout: which devices, in which stages (the canary group, then batches), with which limits. Pure, so
// `--dry-run` shows exactly what would be created.
import { type FirmwareSpec, firmwareStatusOf } from './firmware.js';
import type { Device } from './resource.js';
import type { RolloutSpec } from './rollout.js';

/** `N` devices or `N%` of them. */
export type Amount = { count: number } | { percent: number };

export interface PlanOptions {
  id: string;
  version: string;
  firmware: FirmwareSpec;
  selector?: string;
  canary: Amount;
  batchSize: Amount;
  /** Percent, 1..100. */
  successThreshold: number;
  maxFailures: Amount;
  timeoutSeconds: number;
  createdAt: string;
}

export const DEFAULT_PLAN = {
  canary: { percent: 10 } as Amount,
  batchSize: { percent: 25 } as Amount,
  successThreshold: 100,
  maxFailures: { count: 0 } as Amount,
  timeoutSeconds: 600,
};

/** `5` or `10%`; undefined when it is neither. */
export function parseAmount(text: string): Amount | undefined {
  const match = /^(\d+)(%?)$/.exec(text.trim());
  if (!match) return undefined;
  const value = Number(match[1]);
  if (match[2]) return value >= 0 && value <= 100 ? { percent: value } : undefined;
  return { count: value };
}

/** A percentage of `total` rounded up (a stage of 25% of 5 devices has 2), or down for a limit (`round`). */
export function amountOf(amount: Amount, total: number, round: (n: number) => number = Math.ceil): number {
  if ('count' in amount) return Math.min(amount.count, total);
  return Math.min(total, round((amount.percent * total) / 100 - (round === Math.ceil ? 1e-9 : -1e-9)));
}

export interface Plan {
  spec: RolloutSpec;
  /** Devices already running the version (in the first stage: they keep it). */
  alreadyInSync: string[];
  /** current version → devices, of the devices to update. */
  fromVersions: Map<string, number>;
}

/**
 * The stages over `devices` (the selected ones): the canary group (the first devices by name that need the
 * update, with those already running the version), then batches.
 */
export function planRollout(devices: readonly Device[], options: PlanOptions): Plan {
  const names = (list: readonly Device[]) => list.map((d) => d.metadata.name).sort(byName);
  const inSync = devices.filter((d) => firmwareStatusOf(d)?.current === options.version);
  const toUpdate = devices.filter((d) => firmwareStatusOf(d)?.current !== options.version);
  const fromVersions = new Map<string, number>();
  for (const d of toUpdate) {
    const from = firmwareStatusOf(d)?.current ?? 'unknown';
    fromVersions.set(from, (fromVersions.get(from) ?? 0) + 1);
  }
  const ordered = names(toUpdate);
  const canary = Math.max(amountOf(options.canary, ordered.length), ordered.length > 0 ? 1 : 0);
  const batch = Math.max(1, amountOf(options.batchSize, ordered.length));
  const stages: string[][] = [[...names(inSync), ...ordered.slice(0, canary)]];
  for (let at = canary; at < ordered.length; at += batch) stages.push(ordered.slice(at, at + batch));
  return {
    spec: {
      id: options.id,
      version: options.version,
      firmware: options.firmware,
      ...(options.selector ? { selector: options.selector } : {}),
      stages: stages.filter((s) => s.length > 0),
      successThreshold: options.successThreshold / 100,
      maxFailures: amountOf(options.maxFailures, devices.length, Math.floor),
      timeoutSeconds: options.timeoutSeconds,
      createdAt: options.createdAt,
    },
    alreadyInSync: names(inSync),
    fromVersions,
  };
}

/** r-20261201-141503: when it was made, readable and sortable. */
export function rolloutId(now: number): string {
  const t = new Date(now).toISOString();
  return `r-${t.slice(0, 10).replaceAll('-', '')}-${t.slice(11, 19).replaceAll(':', '')}`;
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
