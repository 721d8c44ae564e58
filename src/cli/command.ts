// How a command is defined: data (its path, aliases, arguments, typed options, description and examples) plus
// a thin handler. Every command module exports its definition; src/commands/index.ts lists them all and
// src/cli/program.ts assembles the commander tree from that list, by path, so that order never matters.
import type { CommandContext } from './context.js';

interface OptionBase {
  /** commander's flags, e.g. `-l, --labels <selector>` or `--force`. */
  flags: string;
  description: string;
  hidden?: boolean;
}

export interface StringOption extends OptionBase {
  type: 'string';
  default?: string;
  choices?: readonly string[];
  required?: boolean;
}

/** `--flag`, or `--no-flag` (then true unless given). */
export interface BooleanOption extends OptionBase {
  type: 'boolean';
}

/** Repeatable: `-l a=b -l c=d`. */
export interface ListOption extends OptionBase {
  type: 'list';
}

export type OptionSpec = StringOption | BooleanOption | ListOption;
export type OptionSpecs = Record<string, OptionSpec>;

type OptionValue<O extends OptionSpec> = O extends BooleanOption
  ? boolean
  : O extends ListOption
    ? string[]
    : O extends { default: string } | { required: true }
      ? string
      : string | undefined;

export type OptionValues<O extends OptionSpecs> = { [K in keyof O]: OptionValue<O[K]> };

/** What an argument names, for shell completion. */
export type Completion = 'app' | 'device' | 'context' | 'member';

export interface ArgSpec {
  description: string;
  required?: boolean;
  variadic?: boolean;
  complete?: Completion;
}
export type ArgSpecs = Record<string, ArgSpec>;

type ArgValue<A extends ArgSpec> = A extends { variadic: true }
  ? string[]
  : A extends { required: true }
    ? string
    : string | undefined;

export type ArgValues<A extends ArgSpecs> = { [K in keyof A]: ArgValue<A[K]> };

export const option = {
  string<const E extends Partial<Omit<StringOption, 'type' | 'flags' | 'description'>>>(
    flags: string,
    description: string,
    extras?: E,
  ): StringOption & E {
    return { type: 'string', flags, description, ...(extras as E) };
  },
  boolean(flags: string, description: string, extras: { hidden?: boolean } = {}): BooleanOption {
    return { type: 'boolean', flags, description, ...extras };
  },
  list(flags: string, description: string, extras: { hidden?: boolean } = {}): ListOption {
    return { type: 'list', flags, description, ...extras };
  },
};

export const arg = {
  required(description: string, complete?: Completion): { description: string; required: true; complete?: Completion } {
    return { description, required: true, complete };
  },
  optional(description: string, complete?: Completion): { description: string; complete?: Completion } {
    return { description, complete };
  },
  variadic(description: string, required = false): { description: string; variadic: true; required: boolean } {
    return { description, variadic: true, required };
  },
};

export interface Example {
  /** The command line, starting with `drg`. */
  command: string;
  /** What it does, one line. */
  description: string;
}

export interface CommandInput<A extends ArgSpecs, O extends OptionSpecs> {
  args: ArgValues<A>;
  options: OptionValues<O>;
}

export interface CommandDefinition<A extends ArgSpecs = ArgSpecs, O extends OptionSpecs = OptionSpecs> {
  /** The full path of words, e.g. `get app`. */
  path: string;
  /** Other names of the last word (`apps`, `application`, ...). */
  aliases?: readonly string[];
  /** One line, shown in the parent's list of commands. */
  summary: string;
  /** More about the command, shown on its own help after the summary. */
  description?: string;
  args?: A;
  options?: O;
  /** At least one: every command's help shows how it is used. */
  examples: readonly [Example, ...Example[]];
  hidden?: boolean;
  /** Resolves with an exit code only when it is not 0 and nothing was thrown (e.g. some of several failed). */
  // biome-ignore lint/suspicious/noConfusingVoidType: an async handler without a return value resolves to void
  handler(input: CommandInput<A, O>, ctx: CommandContext): Promise<void | number>;
}

/** A word that groups commands (`get`, `config`, ...), with its own help. */
export interface GroupDefinition {
  path: string;
  aliases?: readonly string[];
  summary: string;
  description?: string;
}

export function defineCommand<
  const A extends ArgSpecs = Record<never, never>,
  const O extends OptionSpecs = Record<never, never>,
>(definition: CommandDefinition<A, O>): CommandDefinition<A, O> {
  return definition;
}

export function defineGroup(definition: GroupDefinition): GroupDefinition {
  return definition;
}

/** What the program is assembled from. */
export type AnyCommand = CommandDefinition<ArgSpecs, OptionSpecs>;
