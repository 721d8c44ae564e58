// Starts a real `drg serve` (the built binary) on ephemeral ports in a temp dir, for e2e tests.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before } from 'node:test';
import { parse } from 'yaml';

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
}

/** The line `drg serve` shows a generated admin password on, once; the one stderr line that is not a log. */
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
  const cfg = parse(readFileSync(configPath, 'utf8'));
  const token = cfg.contexts.find((c: { name: string }) => c.name === 'local')?.token?.token;
  if (typeof token !== 'string') throw new Error(`no "local" context with an access token in ${configPath}`);
  return token;
}

/** Environment for child drg processes: no inherited config, no extra CA (start-up cost), no colour. */
export function childEnv(configPath: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DRGCFG: configPath, NO_COLOR: '1' };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.DRG_APP;
  delete env.DRG_CONTEXT;
  return { ...env, ...extra };
}

export async function startServe(opts: ServeOptions = {}): Promise<ServeHandle> {
  const base = tempDir('drg-serve-');
  const dataDir = opts.dataDir ?? join(base, 'data');
  const configPath = opts.configPath ?? join(base, 'config.yaml');
  const args = [
    DRG_BIN,
    'serve',
    '--port',
    String(opts.port ?? 0),
    '--mqtt-port',
    '0',
    '--mqtt-integration-port',
    '0',
    '--data-dir',
    dataDir,
    '--config',
    configPath,
    ...(opts.args ?? []),
  ];
  const child = spawn(process.execPath, args, {
    env: childEnv(configPath, opts.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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

export interface SharedServe extends ServeHandle {
  /** The `local` context's access token (user admin), from the config `drg serve` wrote. */
  readonly token: string;
  /** Starts drg serve unless it is already starting; resolves once it runs. */
  ready(): Promise<void>;
}

/**
 * One `drg serve` for all the tests of a file: a `before` hook starts it (with `start`), an `after` hook stops it.
 * Node 20 runs a file's top-level `before` hooks concurrently: one that uses the server awaits `ready()` first.
 * Until it has started, its properties throw.
 */
export function serveDuringTests(start: () => Promise<ServeHandle> = () => startServe()): SharedServe {
  let starting: Promise<ServeHandle> | undefined;
  let started: ServeHandle | undefined;
  let token: string | undefined;
  const ready = async () => {
    starting ??= start();
    started = await starting;
  };
  before(ready);
  after(async () => {
    await started?.stop();
  });
  const current = (): ServeHandle => {
    if (!started) throw new Error('drg serve has not started yet: use it inside tests, and in hooks after ready()');
    return started;
  };
  return {
    ready,
    get url() {
      return current().url;
    },
    get dataDir() {
      return current().dataDir;
    },
    get configPath() {
      return current().configPath;
    },
    get process() {
      return current().process;
    },
    get adminPassword() {
      return current().adminPassword;
    },
    get token() {
      token ??= localToken(current().configPath);
      return token;
    },
    logs: () => current().logs(),
    stop: () => current().stop(),
    kill9: () => current().kill9(),
  };
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

/** Runs the built drg binary with the given config file; `input` goes to stdin; `cwd` defaults to this process's. */
export function drg(
  configPath: string,
  args: string[],
  opts: { input?: string; env?: Record<string, string>; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [DRG_BIN, ...args], {
      cwd: opts.cwd,
      env: childEnv(configPath, opts.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => res({ code, stdout, stderr }));
    // A drg that exits before reading its input (a usage error, say) closes the pipe: that EPIPE is no failure.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}
