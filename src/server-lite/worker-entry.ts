// Where a worker thread's module is: in the bundle (whose import.meta.url is the bundle file in dist/), the built
// `<built>.cjs` beside it; from source under tsx, `<source>.ts` beside the calling module, through tsx's require
// hook, as Node 20 gives worker threads no module loader hooks.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function workerEntry(
  callerUrl: string,
  built: string,
  source: string,
): { filename: string; execArgv?: string[] } {
  if (!callerUrl.endsWith('.ts')) return { filename: fileURLToPath(new URL(`${built}.cjs`, callerUrl)) };
  return {
    filename: fileURLToPath(new URL(`${source}.ts`, callerUrl)),
    execArgv: ['--require', createRequire(callerUrl).resolve('tsx/cjs')],
  };
}

/** A worker thread running that module (from source, a script that requires it: a .ts entry would not load). */
export function startWorker(callerUrl: string, built: string, source: string, options: WorkerOptions): Worker {
  const { filename, execArgv } = workerEntry(callerUrl, built, source);
  if (!execArgv) return new Worker(filename, options);
  return new Worker(`require(${JSON.stringify(filename)})`, { ...options, eval: true, execArgv });
}
