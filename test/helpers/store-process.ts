// Real processes on one data directory (store-child.ts): `open` opens and migrates it on "go", `lock` takes its lock.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const STORE_CHILD = join(import.meta.dirname, 'store-child.ts');

/** Starts the child; it writes "ready" once loaded, then waits for "go" on stdin. */
export function storeProcess(mode: 'open' | 'lock', dataDir: string): ChildProcess {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return spawn(process.execPath, ['--import', 'tsx', STORE_CHILD, mode, dataDir], { env, stdio: 'pipe' });
}

export function nextLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
}
