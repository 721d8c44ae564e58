// A progress bar on stderr, for people only: drawn when stderr is a terminal and the output is not for programs
// (-o json|yaml|name), redrawn in place at most every REDRAW_MS; coloured unless NO_COLOR (./colors.ts). Elsewhere
// it draws nothing, so that logs and pipes get no carriage returns.
import type { OutputStream } from '../cli/io.js';
import { formatByteSize } from '../model/units.js';
import { colorsFor } from './colors.js';
import { escapeInline } from './escape.js';
import { isMachineFormat, type OutputFormat } from './format.js';

const REDRAW_MS = 100;
const BAR_WIDTH = 30;
/** Beside the label: the bar's brackets, the percentage and the bytes (`100% 1023.9 MiB/1023.9 MiB`), spaced. */
const FIGURES_WIDTH = BAR_WIDTH + 32;
/** Back to the line's start, and clear it. */
const CLEAR_LINE = '\r\u001b[K';

export interface ProgressBar {
  /** `done` of the total so far. */
  update(done: number): void;
  /** The bar at the total, and a line break. */
  finish(): void;
  /** Removes the bar (before an error is printed). */
  clear(): void;
}

export interface ProgressOptions {
  stderr: OutputStream;
  env: Readonly<Record<string, string | undefined>>;
  format: OutputFormat;
  /** Milliseconds, for the redraw rate. */
  now: () => number;
}

const NO_BAR: ProgressBar = { update() {}, finish() {}, clear() {} };

/** A bar for `total` bytes, named `label`; one that draws nothing where it would not be for people. */
export function progressBar(options: ProgressOptions, label: string, total: number): ProgressBar {
  const { stderr, env, format, now } = options;
  if (!stderr.isTTY || isMachineFormat(format)) return NO_BAR;
  const colors = colorsFor(stderr, env, format);
  const room = Math.max((stderr.columns ?? 80) - FIGURES_WIDTH, 8);
  const escaped = escapeInline(label);
  const name = escaped.length > room ? `${escaped.slice(0, room - 1)}…` : escaped;
  let drawnAt = Number.NEGATIVE_INFINITY;
  let shown = false;
  const draw = (done: number) => {
    const fraction = total > 0 ? Math.min(done / total, 1) : 1;
    const filled = Math.round(fraction * BAR_WIDTH);
    const rest = BAR_WIDTH - filled;
    const bar = `${'#'.repeat(filled)}${rest > 0 ? colors.dim('-'.repeat(rest)) : ''}`;
    const figures = `${Math.floor(fraction * 100)}% ${formatByteSize(done)}/${formatByteSize(total)}`;
    stderr.write(`${CLEAR_LINE}${name} [${bar}] ${figures}`);
    shown = true;
    drawnAt = now();
  };
  return {
    update(done) {
      if (now() - drawnAt >= REDRAW_MS) draw(done);
    },
    finish() {
      draw(total);
      stderr.write('\n');
      shown = false;
    },
    clear() {
      if (shown) stderr.write(CLEAR_LINE);
      shown = false;
    },
  };
}
