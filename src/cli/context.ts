// What a command's handler is given: its streams and environment, the output format and printer, the
// selection (config file, context, application), the session built from it on demand, and the clock. Tests
// run commands in-process with captured streams through the same context.
import { openSession, type Selection, type Session } from '../client/session.js';
import { configPath } from '../config/config.js';
import { UsageError } from '../errors.js';
import { type OutputFormat, parseOutputFormat } from '../output/format.js';
import { Printer } from '../output/printer.js';
import type { GlobalValues } from './globals.js';
import type { Env, IO } from './io.js';
import type { CommandNode } from './tree.js';

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface CommandContext {
  io: IO;
  env: Env;
  format: OutputFormat;
  out: Printer;
  verbose: boolean;
  clock: Clock;
  selection: Selection;
  /** The config, context and API clients; opened on first use, once. */
  session(): Promise<Session>;
  /** The command tree, for `drg help` and completion. */
  tree: CommandNode;
}

export interface ContextOptions {
  io: IO;
  clock: Clock;
  tree: CommandNode;
  globals: GlobalValues;
  /** `--no-headers` of listing commands. */
  noHeaders?: boolean;
}

export function createContext({ io, clock, tree, globals, noHeaders }: ContextOptions): CommandContext {
  const format = parseOutputFormat(globals.output);
  const selection = selectionOf(globals, io.env);
  let session: Promise<Session> | undefined;
  return {
    io,
    env: io.env,
    format,
    out: new Printer(io.stdout, io.stderr, format, { noHeaders, now: () => clock.now(), env: io.env }),
    verbose: !!globals.verbose,
    clock,
    selection,
    session: () => {
      session ??= openSession(selection);
      return session;
    },
    tree,
  };
}

/** `--config`/`$DRGCFG`, `-c`/`$DRG_CONTEXT`, `-a`/`--application`/`$DRG_APP`; empty variables count as unset. */
export function selectionOf(globals: GlobalValues, env: Env): Selection {
  const app = globals.app ?? globals.application;
  if (app === '') throw new UsageError('--app must not be empty', 'give an application name, or leave out --app');
  if (globals.context === '') throw new UsageError('--context must not be empty');
  return {
    configPath: configPath(globals.config, env),
    context: globals.context ?? (env.DRG_CONTEXT || undefined),
    app: app ?? (env.DRG_APP || undefined),
  };
}
