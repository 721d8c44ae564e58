// drg: builds the command tree. Command modules are imported lazily, inside the action that needs them,
// so `drg --version` and `drg get apps` load only what they use.
import { Command, CommanderError, Option } from 'commander';
import { CliError } from './output/errors.js';
import { argvWantsJson } from './output/format.js';
import { printMessage } from './output/render.js';
import { VERSION } from './version.js';

/** Options every command accepts, before or after the subcommand. */
export interface GlobalOptions {
  config?: string;
  context?: string;
  app?: string;
  application?: string;
  output?: string;
  verbose?: boolean;
}

function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

/** `jsonErrors`: failures are reported as a JSON document on stdout (`-o json`), so commander stays quiet. */
export function buildProgram(options: { jsonErrors?: boolean } = {}): Command {
  const program = new Command('drg')
    .description('Drogue IoT Cloud from the command line, and a local Drogue Cloud with `drg serve`')
    .version(VERSION, '-V, --version', 'print the client version')
    .option('--config <file>', 'config file (env DRGCFG, default ~/.config/drg_config.yaml)')
    .option('-c, --context <name>', 'context to use instead of the active one (env DRG_CONTEXT)')
    .option('-a, --app <name>', "application (env DRG_APP, default: the context's default app)")
    .addOption(new Option('--application <name>').hideHelp())
    .option('-o, --output <format>', 'output format: table, wide, json, yaml, name')
    .option('-v, --verbose', 'show details of errors')
    .showHelpAfterError(options.jsonErrors ? false : '(run with --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => (options.jsonErrors ? undefined : write(str)) });

  program
    .command('serve')
    .description('run a local Drogue Cloud: registry, API and more, in one process')
    .option('--port <port>', 'HTTP port', '8011')
    .option('--bind <address>', 'address to listen on', '127.0.0.1')
    .option('--data-dir <dir>', 'where the data lives (default: $XDG_DATA_HOME/drg/serve)')
    .option('--mqtt-port <port>', 'MQTT device endpoint port', '1883')
    .option('--mqtt-integration-port <port>', 'MQTT integration port', '18883')
    .option('--no-login', 'do not write a context for this instance into the drg config')
    .addHelpText(
      'after',
      '\nOn start, drg serve writes a context (named "local", or -c NAME) with an access token for the\nbuilt-in user "admin" into the drg config and makes it active, so other drg commands just work.',
    )
    .action(async (opts, cmd: Command) => {
      const g = globals(cmd);
      const { run } = await import('./commands/serve.js');
      await run({
        port: opts.port,
        bind: opts.bind,
        dataDir: opts.dataDir,
        mqttPort: opts.mqttPort,
        mqttIntegrationPort: opts.mqttIntegrationPort,
        login: opts.login,
        contextName: g.context,
        config: g.config,
        verbose: g.verbose,
      });
    });

  return program;
}

async function main(argv: string[]): Promise<void> {
  const json = argvWantsJson(argv.slice(2));
  const program = buildProgram({ jsonErrors: json });
  try {
    await program.parseAsync(argv);
  } catch (err) {
    const verbose = argv.includes('-v') || argv.includes('--verbose');
    reportError(err, { verbose, json });
  }
}

/**
 * One line on stderr (`error: ...`, then a hint), or with `-o json` exactly one failure document on stdout
 * (`{"status":"failure","message":..,"http_status"?:..}`). The stack only with -v.
 */
function reportError(err: unknown, { verbose, json }: { verbose: boolean; json: boolean }): void {
  if (err instanceof CommanderError) {
    // commander already printed help, the version, or its usage error (unless -o json).
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
      process.exitCode = err.exitCode;
      return;
    }
    if (json) printMessage('json', { status: 'failure', message: err.message.replace(/^error: /, '') });
    process.exitCode = 2;
    return;
  }
  const known = err instanceof CliError;
  const message = err instanceof Error ? err.message : String(err);
  if (json) {
    printMessage('json', { status: 'failure', message, httpStatus: known ? err.httpStatus : undefined });
  } else {
    process.stderr.write(`error: ${message}\n`);
    if (known && err.options.hint) process.stderr.write(`${err.options.hint}\n`);
    else if (!known && !verbose) process.stderr.write('(run with -v for details)\n');
  }
  if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exitCode = known ? err.exitCode : 1;
}

await main(process.argv);
