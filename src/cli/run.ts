// Runs drg with a list of arguments and streams: parses, runs the command's handler, reports a failure.
// Resolves with the exit code; never throws. The entry point (../main.ts) calls it with the process's own.
import { CommanderError } from 'commander';
import { COMMANDS, GROUPS, ROOT } from '../commands/index.js';
import { argvDocumentFormat } from '../output/format.js';
import { type Clock, systemClock } from './context.js';
import { argvVerbose, GLOBAL_OPTIONS } from './globals.js';
import type { IO } from './io.js';
import { buildProgram, WholeProgramNeeded } from './program.js';
import { reportError } from './report.js';
import { buildTree, type CommandNode, findNode } from './tree.js';

let tree: CommandNode | undefined;

export function commandTree(): CommandNode {
  tree ??= buildTree(ROOT, GROUPS, COMMANDS);
  return tree;
}

export async function run(argv: readonly string[], io: IO, clock: Clock = systemClock): Promise<number> {
  const document = argvDocumentFormat(argv);
  let exitCode = 0;
  const program = (only?: CommandNode) =>
    buildProgram(commandTree(), {
      io,
      clock,
      quietErrors: document !== undefined,
      onExitCode: (code) => {
        exitCode = code;
      },
      only,
    });
  const { words, otherOptions } = scan(argv);
  const { node, rest } = findNode(commandTree(), words);
  // `drg` or `drg get` alone (global options aside): the help of that group, as a successful answer.
  if (!otherOptions && !node.command && rest.length === 0) {
    program().commandOf(node).outputHelp();
    return 0;
  }
  const help = argv.some((a) => a === '-h' || a === '--help');
  try {
    try {
      // A group's help lists its commands: the whole program; a command's needs only the way to it.
      await program(help && !node.command ? undefined : node).commander.parseAsync([...argv], { from: 'user' });
    } catch (err) {
      if (!(err instanceof WholeProgramNeeded)) throw err;
      await program().commander.parseAsync([...argv], { from: 'user' });
    }
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError && ['commander.helpDisplayed', 'commander.version'].includes(err.code)) {
      return err.exitCode;
    }
    return reportError(err, io, { document, verbose: argvVerbose(argv) });
  }
}

const GLOBAL_VALUE_FLAGS = new Set(
  Object.values(GLOBAL_OPTIONS)
    .filter((o) => o.type !== 'boolean')
    .flatMap((o) => o.flags.split(/[ ,]+/).filter((f) => f.startsWith('-'))),
);

/** The words of `argv` (neither options nor the values of global options), and whether it has other options. */
function scan(argv: readonly string[]): { words: string[]; otherOptions: boolean } {
  const words: string[] = [];
  let otherOptions = false;
  for (let i = 0; i < argv.length && argv[i] !== '--'; i++) {
    const arg = argv[i];
    if (GLOBAL_VALUE_FLAGS.has(arg)) i++;
    else if (!arg.startsWith('-')) words.push(arg);
    else if (arg !== '-v' && arg !== '--verbose' && !GLOBAL_VALUE_FLAGS.has(arg.split('=')[0])) otherOptions = true;
  }
  return { words, otherOptions };
}
