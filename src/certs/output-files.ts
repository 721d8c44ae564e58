// Key and certificate files that must appear only if the registry update they belong to succeeded: written to
// hidden temporary files next to their targets first, then moved into place (or removed) afterwards.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { link, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { DrgError, UsageError } from '../errors.js';

export interface OutputFile {
  path: string;
  content: string;
  /** 0o600 for private keys. */
  mode: number;
  /** What the file holds, for messages, e.g. "the application's private key". */
  what: string;
  /** The flag that chooses this file, for hints. */
  flag: string;
}

/**
 * Before anything is generated or sent: distinct paths, and none that exists unless `force`. Relative paths are
 * relative to `cwd`; messages name them as given.
 */
export function checkOutputs(files: Pick<OutputFile, 'path' | 'what' | 'flag'>[], force: boolean, cwd: string): void {
  const seen = new Set<string>();
  for (const file of files) {
    const full = resolve(cwd, file.path);
    if (seen.has(full)) throw new UsageError(`${file.path} is given for two outputs: choose distinct files`);
    seen.add(full);
    if (!force && existsSync(full)) {
      throw new UsageError(
        `${file.path} already exists: not overwriting it`,
        `choose another file with ${file.flag}, or pass --force to replace it`,
      );
    }
  }
}

export interface StagedFiles {
  /** Moves the files into place; without `force`, a target that appeared meanwhile is an error. */
  commit(): Promise<void>;
  /** Removes the temporary files. */
  discard(): Promise<void>;
}

export async function stageOutputs(files: OutputFile[], force: boolean, cwd: string): Promise<StagedFiles> {
  // `temp` as the user named the directory (for messages), `tempPath` resolved.
  const staged: { file: OutputFile; target: string; temp: string; tempPath: string }[] = [];
  const discard = async () => {
    await Promise.all(staged.map(({ tempPath }) => unlink(tempPath).catch(() => undefined)));
  };
  try {
    for (const file of files) {
      const target = resolve(cwd, file.path);
      const temp = join(dirname(file.path), `.${basename(file.path)}.${randomBytes(6).toString('hex')}.tmp`);
      const tempPath = resolve(cwd, temp);
      await writeFile(tempPath, file.content, { mode: file.mode, flag: 'wx' });
      staged.push({ file, target, temp, tempPath });
    }
  } catch (err) {
    await discard();
    const failed = files[staged.length];
    throw new DrgError(`cannot write ${failed.path}: ${reason(err)}`);
  }
  return {
    discard,
    commit: async () => {
      for (const [i, { file, target, tempPath }] of staged.entries()) {
        try {
          if (force) {
            await rename(tempPath, target);
          } else {
            await link(tempPath, target);
            await unlink(tempPath);
          }
        } catch (err) {
          const kept = staged.slice(i).map((s) => `${s.file.what} is in ${s.temp}`);
          throw new DrgError(`cannot write ${file.path}: ${reason(err)}; ${kept.join(', ')}`);
        }
      }
    },
  };
}

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such directory';
  if (code === 'EEXIST') return 'it already exists';
  if (code === 'EACCES') return 'permission denied';
  return code ?? (err as Error).message;
}
