// The streams and environment a command runs with: the process's own, or captured ones in tests.
import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface OutputStream {
  write(text: string): void;
  readonly isTTY: boolean;
  /** The terminal's width, when it is one. */
  readonly columns?: number;
}

export type Env = Readonly<Record<string, string | undefined>>;

export interface IO {
  stdout: OutputStream;
  stderr: OutputStream;
  /** All of stdin as text (read on first call). */
  readStdin(): Promise<string>;
  /** All of stdin as bytes (a command payload may be binary). */
  readStdinBytes(): Promise<Buffer>;
  env: Env;
  /** The working directory, for relative file names. */
  cwd: string;
}

/**
 * The process's streams, written synchronously, as Node writes to files and pipes anyway (and without creating
 * process.stdout, a few ms of every start). A reader that goes away (`drg get devices -o json | head -1`) ends the
 * process quietly with 141, as a Unix tool killed by SIGPIPE does, instead of an unhandled EPIPE.
 */
export function processIo(): IO {
  let stdin: Promise<Buffer> | undefined;
  const readStdinBytes = () => {
    stdin ??= readAll(process.stdin);
    return stdin;
  };
  return {
    stdout: descriptor(1, () => process.stdout),
    stderr: descriptor(2, () => process.stderr),
    readStdin: () => readStdinBytes().then((bytes) => bytes.toString('utf8')),
    readStdinBytes,
    env: process.env,
    cwd: process.cwd(),
  };
}

function descriptor(fd: number, stream: () => NodeJS.WriteStream): OutputStream {
  return {
    write: (text) => writeAll(fd, text),
    get isTTY() {
      return isTerminal(fd);
    },
    get columns() {
      return isTerminal(fd) ? stream().columns : undefined;
    },
  };
}

/** node:tty loads node:net: only when someone asks (colours, the editor, help's width), not for every output. */
function isTerminal(fd: number): boolean {
  const { isatty } = createRequire(import.meta.url)('node:tty') as typeof import('node:tty');
  return isatty(fd);
}

function writeAll(fd: number, text: string): void {
  let pending = Buffer.from(text);
  while (pending.length > 0) {
    try {
      pending = pending.subarray(writeSync(fd, pending));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') process.exit(141);
      // A descriptor someone made non-blocking, and full for now.
      if (code !== 'EAGAIN') throw err;
    }
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}
