// Options every command accepts, before or after its words (`drg -o json get apps`, `drg get apps -o json`).
import { option } from './command.js';

export const GLOBAL_OPTIONS = {
  config: option.string('-C, --config <file>', 'config file (env DRGCFG, default ~/.config/drg_config.yaml)'),
  context: option.string('-c, --context <name>', 'context to use instead of the active one (env DRG_CONTEXT)'),
  app: option.string('-a, --app <name>', "application (env DRG_APP, default: the context's default app)"),
  application: option.string('--application <name>', 'same as --app', { hidden: true }),
  output: option.string(
    '-o, --output <format>',
    'output format: table, wide, json, yaml, name (see `drg help output`)',
  ),
  verbose: option.boolean('-v, --verbose', 'show details of errors (HTTP calls, stack traces)'),
} as const;

export interface GlobalValues {
  config?: string;
  context?: string;
  app?: string;
  application?: string;
  output?: string;
  verbose?: boolean;
}

/** Whether `-v/--verbose` is among the arguments (read before parsing, for errors that happen while parsing). */
export function argvVerbose(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  const args = end < 0 ? argv : argv.slice(0, end);
  return args.includes('-v') || args.includes('--verbose');
}
