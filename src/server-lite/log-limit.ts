// Repeated log entries, rate-limited: the first of a kind is logged at once, the repeats within the next window
// are only counted, and logged as one summary line when the window ends. A flood of failing requests writes two
// lines a minute per kind instead of one per request.
import type { Logger } from 'pino';

type Level = 'warn' | 'error';

interface Window {
  level: Level;
  msg: string;
  repeats: number;
  timer: NodeJS.Timeout;
}

/** How long the repeats of a kind are counted before their summary. */
const WINDOW_MS = 60_000;
/** So that keys taken from requests cannot grow the map without bound: beyond this, kinds share one window. */
const MAX_KINDS = 100;
const OTHER_KINDS = '(other)';

export class RateLimitedLog {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly logger: Pick<Logger, Level>) {}

  warn(kind: string, obj: object, msg: string): void {
    this.log('warn', kind, obj, msg);
  }

  error(kind: string, obj: object, msg: string): void {
    this.log('error', kind, obj, msg);
  }

  /** Logs the summaries of the open windows. */
  close(): void {
    for (const kind of [...this.windows.keys()]) this.summarise(kind);
  }

  private log(level: Level, kind: string, obj: object, msg: string): void {
    const key = this.windows.has(kind) || this.windows.size < MAX_KINDS ? kind : OTHER_KINDS;
    const open = this.windows.get(key);
    if (open) {
      open.repeats++;
      return;
    }
    this.logger[level](obj, msg);
    const timer = setTimeout(() => this.summarise(key), WINDOW_MS).unref();
    this.windows.set(key, { level, msg, repeats: 0, timer });
  }

  private summarise(kind: string): void {
    const window = this.windows.get(kind)!;
    this.windows.delete(kind);
    clearTimeout(window.timer);
    if (window.repeats === 0) return;
    const { level, msg, repeats } = window;
    const text =
      kind === OTHER_KINDS
        ? `${repeats} more of other kinds in the last minute`
        : `${repeats} more like this in the last minute: ${msg}`;
    this.logger[level]({ repeats }, text);
  }
}
