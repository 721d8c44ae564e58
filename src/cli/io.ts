// The streams and environment a command runs with: the process's own, or captured ones in tests.

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
  /** Whether stdin is a terminal (a person could type). */
  readonly stdinIsTTY: boolean;
  env: Env;
  /** The working directory, for relative file names. */
  cwd: string;
}

/**
 * The process's streams. A reader that goes away (`drg get devices -o json | head -1`) ends the process
 * quietly with 141, as a Unix tool killed by SIGPIPE does, instead of an unhandled EPIPE.
 */
export function processIo(): IO {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(141);
      throw err;
    });
  }
  let stdin: Promise<string> | undefined;
  return {
    stdout: nodeStream(process.stdout),
    stderr: nodeStream(process.stderr),
    readStdin: () => {
      stdin ??= readAll(process.stdin);
      return stdin;
    },
    get stdinIsTTY() {
      return !!process.stdin.isTTY;
    },
    env: process.env,
    cwd: process.cwd(),
  };
}

function nodeStream(stream: NodeJS.WriteStream): OutputStream {
  return {
    write: (text) => {
      stream.write(text);
    },
    get isTTY() {
      return !!stream.isTTY;
    },
    get columns() {
      return stream.columns;
    },
  };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}
