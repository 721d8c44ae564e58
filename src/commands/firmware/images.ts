// What the firmware store's commands share: the image file a push reads, the image arguments checked before any
// request, and how images are printed.
import type { CommandContext } from '../../cli/context.js';
import { UsageError } from '../../errors.js';
import type { ImageInfo } from '../../model/firmware.js';
import { imageNameProblem, imageVersionProblem } from '../../model/firmware-images.js';
import { formatByteSize } from '../../model/units.js';
import { isDocumentFormat } from '../../output/format.js';
import { formatAge } from '../../output/render.js';

export const STORE_HELP = `The images live in the firmware store of drg serve, per application (--app, else $DRG_APP, else the
default app of the context), by name and version; an image is never changed once pushed. Devices get one through
spec.firmware {"file": {"name": NAME, "version": VERSION}} (drg firmware rollout sets it).`;

/** A push's file: its size, and its SHA-256 read in a first pass (the server needs it before the bytes). */
export interface ImageFile {
  path: string;
  size: number;
  checksum: string;
}

/** Reads the file once for its size and checksum; usage errors when it is missing, not a file, or empty. */
export async function readImageFile(path: string, shown: string): Promise<ImageFile> {
  const [{ createReadStream }, { stat }, { createHash }, { pipeline }] = await Promise.all([
    import('node:fs'),
    import('node:fs/promises'),
    import('node:crypto'),
    import('node:stream/promises'),
  ]);
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new UsageError(`${shown} is not a file`);
    if (info.size === 0) throw new UsageError(`${shown} is empty: a firmware image has bytes`);
    const hash = createHash('sha256');
    await pipeline(createReadStream(path), hash);
    return { path, size: info.size, checksum: `sha256:${hash.digest('hex')}` };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new UsageError(`cannot read ${shown}: ${reason}`);
  }
}

/**
 * Runs `upload` with a progress bar of `total` bytes on stderr (drawn on a terminal only): finished when it
 * succeeds, cleared before its error is printed.
 */
export async function withProgressBar<T>(
  ctx: CommandContext,
  label: string,
  total: number,
  upload: (onProgress: (bytes: number) => void) => Promise<T>,
): Promise<T> {
  const { progressBar } = await import('../../output/progress.js');
  const progress = { stderr: ctx.io.stderr, env: ctx.env, format: ctx.format, now: () => ctx.clock.now() };
  const bar = progressBar(progress, label, total);
  try {
    const result = await upload((bytes) => bar.update(bytes));
    bar.finish();
    return result;
  } catch (err) {
    bar.clear();
    throw err;
  }
}

export function checkImageName(name: string, hint?: string): string {
  const problem = imageNameProblem(name);
  if (problem) throw new UsageError(problem, hint);
  return name;
}

export function checkImageVersion(version: string): string {
  const problem = imageVersionProblem(version);
  if (problem) throw new UsageError(problem);
  return version;
}

/** json|yaml: the ImageInfo (or the list) as it is; name: `firmware/NAME:VERSION`; else a table. */
export async function printImages(ctx: CommandContext, images: ImageInfo | ImageInfo[], empty: string): Promise<void> {
  if (isDocumentFormat(ctx.format)) return ctx.out.data(images);
  const list = Array.isArray(images) ? images : [images];
  if (ctx.format === 'name') return ctx.out.names(list.map((i) => `firmware/${i.name}:${i.version}`));
  const wide = ctx.format === 'wide';
  const now = ctx.clock.now();
  const rows = list.map((i) => [
    i.name,
    i.version,
    formatByteSize(i.size),
    wide ? i.checksum : i.checksum.slice(0, 'sha256:'.length + 12),
    formatAge(i.created, now),
  ]);
  ctx.out.table([['NAME', 'VERSION', 'SIZE', 'CHECKSUM', 'AGE'], ...rows], empty);
}
