// Firmware rollouts as an operator runs them, with the built binary only: drg serve (test/helpers/serve.ts), drg
// simulate and other long-running commands as child processes that a test's end kills whatever happened, firmware
// images in temp files, and the state the CLI shows (`-o json`) polled until it says what the test waits for.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Endpoints } from '../../src/model/endpoints.js';
import { DRG_BIN, drg, drgEnv, ok, outputOf, type RunResult, type ServeHandle, startServe, tempDir } from './serve.js';

const running = new Set<ChildProcess>();
// A test that timed out or threw may leave children behind its cleanup: none outlives the test file.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface DrgChild {
  process: ChildProcess;
  /** Resolves once it exited, with what it wrote. */
  done: Promise<RunResult>;
  /** What it wrote to stderr so far. */
  stderr(): string;
}

/** The built drg with these arguments, running on; killed (SIGKILL) when the test `t` ends, unless it exited. */
export function spawnDrg(t: TestContext, configPath: string, args: string[]): DrgChild {
  const child = spawn(process.execPath, [DRG_BIN, ...args], {
    env: drgEnv(configPath),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const output = outputOf(child);
  void output.done.then(() => running.delete(child));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await output.done;
  });
  return { process: child, ...output };
}

/** A drg serve for this test, killed when it ends (a restarted one: call this again with the restart). */
export async function serveFor(t: TestContext, start: () => Promise<ServeHandle> = () => startServe()) {
  const serve = await start();
  t.after(() => serve.kill9());
  return serve;
}

/** A firmware image of `size` random bytes in a temp file named `name`. */
export function imageFile(name: string, size: number): { path: string; data: Buffer } {
  const data = randomBytes(size);
  const path = join(tempDir('drg-fw-'), name);
  writeFileSync(path, data);
  return { path, data };
}

/** drg's JSON output of `args` (which must succeed). */
export async function drgJson<T = unknown>(configPath: string, args: string[]): Promise<T> {
  return JSON.parse(ok(await drg(configPath, [...args, '-o', 'json'])).stdout) as T;
}

export interface DeviceDoc {
  metadata: { name: string; labels?: Record<string, string> };
  spec?: { firmware?: unknown };
  status?: {
    firmware?: { current?: string; target?: string; conditions?: { type: string; status: string }[] };
  };
}

export const devicesOf = (configPath: string, app: string) =>
  drgJson<DeviceDoc[]>(configPath, ['get', 'devices', '--app', app]);

/** What `drg firmware status -o json` shows. */
export interface RolloutDoc {
  rollout: { id: string; stages: string[][]; firmware: unknown };
  status?: { phase: string; stagesStarted: string[]; reason?: string };
  counts: { pending: number; updating: number; inSync: number; failed: number };
  devices: { name: string; stage: number; state: string; current?: string }[];
}

export const rolloutOf = (configPath: string, app: string) =>
  drgJson<RolloutDoc>(configPath, ['firmware', 'status', '--app', app]);

/**
 * Polls `probe` until it returns something (not undefined), and resolves with that; fails after `timeoutMs`,
 * saying what it waited for and what `probe` saw last (`seen`).
 */
export async function until<T>(
  what: string,
  probe: (seen: (state: unknown) => void) => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const value = await probe((state) => {
      last = state;
    });
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`${what}: not after ${timeoutMs} ms; last seen: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Until every device of `app` (`count` of them) has its current version recorded as `version`. */
export function allOn(configPath: string, app: string, count: number, version: string): Promise<DeviceDoc[]> {
  return until(`${count} devices of ${app} on ${version}`, async (seen) => {
    const devices = await devicesOf(configPath, app);
    const on = devices.filter((d) => d.status?.firmware?.current === version);
    seen(devices.map((d) => `${d.metadata.name}: ${d.status?.firmware?.current}`));
    return on.length === count ? devices : undefined;
  });
}

export async function endpointsOf(url: string): Promise<Endpoints> {
  return (await fetch(`${url}/.well-known/drogue-endpoints`)).json() as Promise<Endpoints>;
}

/** What `drg simulate -o json` prints when it ends. */
export interface SimulationSummary {
  status: string;
  devices: number;
  versions: Record<string, number>;
  updates: number;
  bytes_written: number;
  failures: { reverted: number; mismatched: number };
  errors: number;
}

/** The summary of a `drg simulate -o json` that exited 0. */
export async function summaryOf(simulation: DrgChild): Promise<SimulationSummary> {
  return JSON.parse(ok(await simulation.done).stdout) as SimulationSummary;
}
