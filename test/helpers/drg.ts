// drg run in this process, with captured streams, against a real drg serve (also in this process) on an
// ephemeral port: the same command code and the same server as the binary, without a process per call.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IO } from '../../src/cli/io.js';
import { run } from '../../src/cli/run.js';
import { ADMIN_USER } from '../../src/server-lite/identity/users.js';
import type { RunningServer, ServerOptions } from '../../src/server-lite/server.js';
import { type DuringTests, duringTests } from './fixture.js';
import type { RunResult } from './serve.js';
import { drgEnv, tempDir } from './serve.js';
import { startTestServer } from './server.js';

export interface RunOptions {
  /** What drg reads on stdin. */
  input?: string | Buffer;
  env?: Record<string, string>;
  cwd?: string;
  /** Whether stdout and stderr are terminals (default: not, as in a pipe). */
  tty?: boolean;
}

/** Runs drg in this process with the config file at `configPath`; resolves when the command is done. */
export function runDrg(configPath: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return startDrg(configPath, args, opts).done;
}

export interface RunningDrg {
  /** Resolves with the first match of `pattern` in stderr (where drg talks to the user). */
  waitForStderr(pattern: RegExp): Promise<RegExpExecArray>;
  done: Promise<RunResult>;
}

/** Starts drg in this process; its stderr can be watched while it runs (a login waiting for the browser). */
export function startDrg(configPath: string, args: string[], opts: RunOptions = {}): RunningDrg {
  let stdout = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      const match = w.pattern.exec(stderr);
      if (match) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(match);
      }
    }
  };
  const tty = !!opts.tty;
  const io: IO = {
    stdout: {
      write: (text) => {
        stdout += text;
      },
      isTTY: tty,
      columns: 100,
    },
    stderr: {
      write: (text) => {
        stderr += text;
        check();
      },
      isTTY: tty,
      columns: 100,
    },
    readStdin: async () => String(opts.input ?? ''),
    readStdinBytes: async () => Buffer.from(opts.input ?? ''),
    env: drgEnv(configPath, opts.env),
    cwd: opts.cwd ?? process.cwd(),
  };
  const done = run(args, io).then((code) => ({ code, stdout, stderr }));
  return {
    waitForStderr: (pattern) =>
      new Promise((resolve, reject) => {
        waiters.push({ pattern, resolve });
        check();
        done.then((r) => reject(new Error(`drg ended (${r.code}) before printing ${pattern}:\n${r.stderr}`)));
      }),
    done,
  };
}

export interface LocalServer {
  server: RunningServer;
  url: string;
  dataDir: string;
  /** A drg config whose active context `local` is logged in as admin (as `drg serve` writes it). */
  configPath: string;
  /** admin's access token in that context. */
  token: string;
  /** admin's password, generated at the first start. */
  adminPassword: string;
  /** What the server logged (JSON lines). */
  logs(): string;
  /** drg with this config. */
  run(args: string[], opts?: RunOptions): Promise<RunResult>;
}

/** Writes a config whose only context `name` points at `url` with admin's `token`, and makes it active. */
function writeLocalConfig(configPath: string, url: string, token: string, name = 'local'): void {
  writeFileSync(
    configPath,
    `active_context: ${name}\ncontexts:\n  - name: ${name}\n    drogue_cloud_url: ${url}\n    registry_url: ${url}\n    token:\n      id: ${ADMIN_USER}\n      token: ${token}\n`,
    { mode: 0o600 },
  );
}

export async function startLocalServer(options: Partial<ServerOptions> = {}): Promise<LocalServer> {
  const dir = tempDir('drg-local-');
  const local = await startTestServer(join(dir, 'data'), options, 'drg serve (context local)');
  const configPath = join(dir, 'config.yaml');
  writeLocalConfig(configPath, local.url, local.token);
  return {
    server: local.server,
    url: local.url,
    dataDir: local.dataDir,
    configPath,
    token: local.token,
    adminPassword: local.server.generatedAdminPassword ?? '',
    logs: local.logs,
    run: (args, opts) => runDrg(configPath, args, opts),
  };
}

export type SharedLocalServer = DuringTests<LocalServer>;

/** One in-process drg serve for all the tests of a file (see fixture.ts). */
export function localServerDuringTests(
  start: () => Promise<LocalServer> = () => startLocalServer(),
): SharedLocalServer {
  return duringTests('the server', start, (local) => local.server.close());
}
