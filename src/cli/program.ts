// Assembles the commander program from the command tree: words, aliases, arguments, typed options, help with
// examples and the global options, and an action per command that builds its context and runs its handler.
import { Argument, Command, Option } from 'commander';
import { VERSION } from '../version.js';
import type { AnyCommand, Example, OptionSpec } from './command.js';
import { type Clock, createContext } from './context.js';
import { GLOBAL_OPTIONS, type GlobalValues } from './globals.js';
import type { IO } from './io.js';
import { allNodes, type CommandNode } from './tree.js';

export interface ProgramOptions {
  io: IO;
  clock: Clock;
  /** Failures are reported as a document on stdout (`-o json|yaml`), so commander stays quiet. */
  quietErrors: boolean;
  /** Receives the exit code a handler returns (for results that are not all failures or all successes). */
  onExitCode: (code: number) => void;
  /**
   * Builds in full only the commands on the way to this one (and the others as names, for "unknown command"):
   * what parsing one command line needs, a few ms less of every start than the whole tree.
   */
  only?: CommandNode;
}

/** A command that was built as a name only was reached: the command line needs the whole program. */
export class WholeProgramNeeded extends Error {}

export interface Program {
  commander: Command;
  /** The commander command of each node, by its path (`get app`). */
  commandOf(node: CommandNode): Command;
}

export function buildProgram(tree: CommandNode, options: ProgramOptions): Program {
  const { io } = options;
  const root = new Command('drg').description(tree.summary);
  // The root takes its options anywhere on the line: a command with a --version of its own (firmware rollout)
  // is run without the root's.
  const ownVersion = Object.values(options.only?.command?.options ?? {}).some((o) => /--version\b/.test(o.flags));
  if (!ownVersion) root.version(VERSION, '-V, --version', 'print the client version');
  root
    .helpOption('-h, --help', 'show help for the command')
    .helpCommand(false)
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError(options.quietErrors ? false : '(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => (options.quietErrors ? undefined : write(text)),
      getOutHelpWidth: () => Math.min(io.stdout.columns ?? 100, 120),
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    });
  for (const spec of Object.values(GLOBAL_OPTIONS)) root.addOption(toOption(spec));
  if (tree.description) root.addHelpText('after', `\n${tree.description}`);

  const commands = new Map<CommandNode, Command>([[tree, root]]);
  const full = (node: CommandNode) => !options.only || node.path.every((word, i) => options.only?.path[i] === word);
  for (const node of allNodes(tree)) {
    if (node === tree) continue;
    const parent = commands.get(findParent(tree, node));
    if (!parent) continue;
    const cmd = parent
      .command(node.word, { hidden: !!node.command?.hidden })
      .aliases([...node.aliases])
      .description(node.summary)
      .helpCommand(false);
    if (!full(node)) {
      cmd
        .allowUnknownOption()
        .allowExcessArguments()
        .action(() => {
          throw new WholeProgramNeeded();
        });
      continue;
    }
    commands.set(node, cmd);
    if (node.command) defineAction(cmd, node.command, options, tree);
    const help = helpText(node);
    if (help) cmd.addHelpText('after', help);
  }
  return { commander: root, commandOf: (node) => commands.get(node) as Command };
}

function findParent(tree: CommandNode, node: CommandNode): CommandNode {
  let parent = tree;
  for (const word of node.path.slice(0, -1)) parent = parent.children.find((c) => c.word === word) as CommandNode;
  return parent;
}

function defineAction(cmd: Command, def: AnyCommand, options: ProgramOptions, tree: CommandNode): void {
  const argSpecs = Object.entries(def.args ?? {});
  for (const [name, spec] of argSpecs) {
    const word = `${name}${spec.variadic ? '...' : ''}`;
    cmd.addArgument(new Argument(spec.required ? `<${word}>` : `[${word}]`, spec.description));
  }
  const optionSpecs = Object.entries(def.options ?? {}).map(([key, spec]) => {
    const opt = toOption(spec);
    cmd.addOption(opt);
    return { key, spec, opt };
  });

  cmd.action(async (...received: unknown[]) => {
    const self = received[received.length - 1] as Command;
    const values = self.opts();
    const args = Object.fromEntries(argSpecs.map(([name], i) => [name, self.processedArgs[i]]));
    const opts = Object.fromEntries(
      optionSpecs.map(({ key, spec, opt }) => {
        const value = values[opt.attributeName()];
        return [key, spec.type === 'list' ? (value ?? []) : spec.type === 'boolean' ? !!value : value];
      }),
    );
    const ctx = createContext({
      io: options.io,
      clock: options.clock,
      tree,
      globals: self.optsWithGlobals() as GlobalValues,
      // Listings' --no-headers (commands/options.ts HEADERS): commander's attribute `headers`, false when given.
      noHeaders: values.headers === false,
    });
    const code = await def.handler({ args, options: opts } as never, ctx);
    if (typeof code === 'number') options.onExitCode(code);
  });
}

function toOption(spec: OptionSpec): Option {
  const opt = new Option(spec.flags, spec.description);
  if (spec.hidden) opt.hideHelp();
  if (spec.type === 'list')
    opt.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
  if (spec.type === 'string') {
    if (spec.choices) opt.choices(spec.choices);
    if (spec.default !== undefined) opt.default(spec.default);
    if (spec.required) opt.makeOptionMandatory();
  }
  return opt;
}

/** The description, the examples, and where to read more. */
function helpText(node: CommandNode): string {
  const parts: string[] = [];
  if (node.description) parts.push(node.description);
  if (node.command) parts.push(examplesText(node.command.examples));
  else parts.push(`Run \`drg ${node.path.join(' ')} COMMAND --help\` for the options and examples of each command.`);
  return `\n${parts.join('\n\n')}`;
}

function examplesText(examples: readonly Example[]): string {
  return `Examples:\n${examples.map((e) => `  # ${e.description}\n  ${e.command}`).join('\n\n')}`;
}
