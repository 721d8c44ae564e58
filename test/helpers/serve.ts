// Starts a real `drg serve` (the built binary) on ephemeral ports in a temp dir, for e2e tests.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { accessTokenOf, readContext } from './config.js';
import { type DuringTests, duringTests } from './fixture.js';

export const DRG_BIN = resolve(import.meta.dirname, '../../bin/drg.cjs');

export interface ServeHandle {
  url: string;
  dataDir: string;
  /** The drg config file `drg serve` wrote the `local` context into. */
  configPath: string;
  process: ChildProcess;
  /** admin's password when this start generated it (the one line drg serve shows it on). */
  adminPassword?: string;
  /** Everything the server wrote to stderr so far (its logs, and the admin password line if shown). */
  logs: () => string;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop: () => Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill9: () => Promise<void>;
}

export interface ServeOptions {
  dataDir?: string;
  /** HTTP port; default 0 (ephemeral). */
  port?: number;
  configPath?: string;
  args?: string[];
  env?: Record<string, string>;
  /** What drg serve reads on stdin (else none). */
  input?: string;
}

/** The line `drg serve` shows a generated admin password on, once, in JSON mode (on a terminal the summary has it). */
export const ADMIN_PASSWORD_LINE = /^admin password \(shown once[^)]*\): (\S+)$/;

const created: string[] = [];
// What a test file created goes with it (a test that needs a directory to outlive it makes its own).
process.once('exit', () => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

/** A new directory, removed when the test file's process ends. */
export function tempDir(prefix = 'drg-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** A path for a new drg config file, in a new temp dir. */
export function newConfigPath(): string {
  return join(tempDir(), 'drg_config.yaml');
}

/** The access token of the `local` context (user admin) that `drg serve` wrote into the config at `configPath`. */
export function localToken(configPath: string): string {
  return accessTokenOf(readContext(configPath, 'local'));
}

/**
 * The environment drg runs with, in this process or a child: this process's without drg's own variables (a
 * developer's DRG_APP or DRG_ACCESS_TOKEN) and without an extra CA (start-up cost), with the given config file,
 * no colour.
 */
export function drgEnv(configPath: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DRGCFG: configPath, NO_COLOR: '1' };
  for (const name of ['NODE_EXTRA_CA_CERTS', 'DRG_APP', 'DRG_CONTEXT', 'DRG_ACCESS_TOKEN', 'DRG_REFRESH_TOKEN']) {
    delete env[name];
  }
  return { ...env, ...extra };
}

/** drg's arguments for `drg serve` on ephemeral ports (unless `port` is given), with this data dir and config. */
export function serveArgs(opts: { dataDir: string; configPath: string; port?: number }): string[] {
  return [
    'serve',
    '--port',
    String(opts.port ?? 0),
    '--mqtt-port',
    '0',
    '--mqtts-port',
    '0',
    '--mqtt-integration-port',
    '0',
    '--https-port',
    '0',
    '--data-dir',
    opts.dataDir,
    '--config',
    opts.configPath,
  ];
}

export async function startServe(opts: ServeOptions = {}): Promise<ServeHandle> {
  const base = tempDir('drg-serve-');
  const dataDir = opts.dataDir ?? join(base, 'data');
  const configPath = opts.configPath ?? join(base, 'config.yaml');
  const args = [DRG_BIN, ...serveArgs({ dataDir, configPath, port: opts.port }), ...(opts.args ?? [])];
  const child = spawn(process.execPath, args, {
    env: drgEnv(configPath, opts.env),
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  child.stdin?.end(opts.input);
  let stderr = '';
  let adminPassword: string | undefined;
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const url = await new Promise<string>((res, rej) => {
    const lines = createInterface({ input: child.stderr! });
    lines.on('line', (line) => {
      stderr += `${line}\n`;
      adminPassword ??= ADMIN_PASSWORD_LINE.exec(line)?.[1];
      try {
        const entry = JSON.parse(line);
        if (entry.msg === 'drg serve ready' && typeof entry.url === 'string') res(entry.url);
      } catch {
        // not a log line
      }
    });
    exited.then((code) => rej(new Error(`drg serve exited with ${code} before it was ready:\n${stderr}`)));
  });
  return {
    url,
    dataDir,
    configPath,
    process: child,
    adminPassword,
    logs: () => stderr,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
    kill9: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export type SharedServe = DuringTests<
  ServeHandle & { /** The `local` context's access token (user admin). */ token: string }
>;

/** One built `drg serve` for all the tests of a file (see fixture.ts). */
export function serveDuringTests(start: () => Promise<ServeHandle> = () => startServe()): SharedServe {
  return duringTests(
    'drg serve',
    async () => {
      const handle = await start();
      return { ...handle, token: localToken(handle.configPath) };
    },
    (handle) => handle.stop(),
  );
}

/** A config whose only context `name` points at `url`, with an access token of user `u`; `extra` is appended. */
export function configFor(url: string, extra = '', name = 'ctx'): string {
  const path = join(tempDir(), 'config.yaml');
  writeFileSync(
    path,
    `active_context: ${name}\ncontexts:\n  - name: ${name}\n    drogue_cloud_url: ${url}\n    token: {id: u, token: t}\n${extra}`,
  );
  return path;
}

/** A loopback port that was free a moment ago: nothing listens there (until someone is told to). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

/** A config whose only context points at a closed port: any request would fail with "cannot reach". */
export async function unreachableConfig(extra = ''): Promise<string> {
  return configFor(`http://127.0.0.1:${await freePort()}`, extra, 'dead');
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Asserts that drg exited with 0 (showing its output when not); returns the result. */
export function ok(r: RunResult): RunResult {
  assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

/** Asserts that drg failed with `stderr` matching; returns the result. */
export function fails(r: RunResult, stderr: RegExp): RunResult {
  assert.notEqual(r.code, 0, r.stdout);
  assert.match(r.stderr, stderr);
  return r;
}

/** Runs the built drg binary (or `bin`) with the given config file; `input` goes to stdin; `cwd` defaults to this process's. */
export function drg(
  configPath: string,
  args: string[],
  opts: { input?: string; env?: Record<string, string>; cwd?: string; bin?: string } = {},
): Promise<RunResult> {
  const child = spawn(process.execPath, [opts.bin ?? DRG_BIN, ...args], {
    cwd: opts.cwd,
    env: drgEnv(configPath, opts.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // A drg that exits before reading its input (a usage error, say) closes the pipe: that EPIPE is no failure.
  child.stdin.on('error', () => {});
  child.stdin.end(opts.input ?? '');
  return outputOf(child).done;
}

/** What a child with piped stdout and stderr writes: so far (stderr), and all of it with its exit code (done). */
export function outputOf(child: ChildProcess): { done: Promise<RunResult>; stderr(): string } {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const done = new Promise<RunResult>((res) => child.on('close', (code) => res({ code, stdout, stderr })));
  return { done, stderr: () => stderr };
}
