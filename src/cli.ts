// drg: builds the command tree. Command modules are imported lazily, inside the action that needs them,
// so `drg --version` and `drg get apps` load only what they use.
import { Command, CommanderError, Option } from 'commander';
import { addAdminCommands } from './cli-admin.js';
import { addMutateCommands } from './cli-mutate.js';
import { colorsFor } from './output/colors.js';
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
    .option('-C, --config <file>', 'config file (env DRGCFG, default ~/.config/drg_config.yaml)')
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
    .option('--token-ttl <seconds>', 'lifetime of the OIDC access tokens the built-in issuer signs (default: 300)')
    .option('--admin-password <password>', 'set the password of the built-in user "admin"')
    .option('--user <name:password>', 'create a user, or set their password (repeatable)', collect)
    .option(
      '--users-file <file>',
      'create users from an htpasswd file with bcrypt hashes (htpasswd -nbB NAME PASSWORD)',
    )
    .option('--issuer-url <url>', 'use this OpenID Provider instead of the built-in one (tokens checked with its keys)')
    .addHelpText(
      'after',
      `
On start, drg serve writes a context (named "local", or -c NAME) with an access token for the
built-in user "admin" into the drg config and makes it active, so other drg commands just work.

Users log in (drg login URL) at the built-in OpenID Provider, URL/oidc. On the first start, admin's
password is generated and printed once; --admin-password sets it. The API accepts the issuer's
access tokens (JWTs) as Bearer tokens or ?token=, and access tokens (drg create token).
With --issuer-url, users log in at that provider instead; its access tokens must have the audience
"drogue" and name the user in preferred_username (else sub).`,
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
        tokenTtl: opts.tokenTtl,
        adminPassword: opts.adminPassword,
        user: opts.user,
        usersFile: opts.usersFile,
        issuerUrl: opts.issuerUrl,
        contextName: g.context,
        config: g.config,
        verbose: g.verbose,
      });
    });

  addSessionCommands(program);
  addContextCommands(program);
  addResourceCommands(program);
  addMutateCommands(program);
  // Last: adds member and token subcommands to the get/create/edit/delete verbs defined above.
  addAdminCommands(program);

  return program;
}

/** Repeatable option values (`-l a=b -l c=d`). */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

const APP_NAMES = ['app', 'apps', 'application', 'applications'];
const DEVICE_NAMES = ['device', 'devices'];

function addSessionCommands(program: Command): void {
  program
    .command('version')
    .description("print the client's version, and the server's when a context is configured")
    .action(async (_opts, cmd: Command) => {
      const { version } = await import('./commands/version.js');
      await version(globals(cmd));
    });

  program
    .command('login')
    .description('log in to a Drogue Cloud and store the context (named "default", or -c NAME)')
    .argument('<url>', 'the cluster API URL')
    .option('--no-browser', 'only print the login URL, do not open a browser')
    .option('--device', 'log in on another device (device authorization grant), for machines without a browser')
    .option('-t, --token <refresh-token>', 'log in with an OIDC refresh token')
    .option('--access-token <user:token>', 'log in with an API access token (see `drg create token`)')
    .option('-k, --keep-current', 'do not make the new context the active one')
    .addHelpText(
      'after',
      "\nBy default drg opens a browser at the login page of the cluster's issuer and waits for it on a local port.\nThe refresh token goes to the OS keyring when there is one, else into the config file (mode 0600).",
    )
    .action(async (url: string, opts, cmd: Command) => {
      const { login } = await import('./commands/login.js');
      await login(globals(cmd), url, opts);
    });

  program
    .command('logout')
    .description('end the session of the context (or -c NAME) at the issuer and remove its credentials')
    .action(async (_opts, cmd: Command) => {
      const { logout } = await import('./commands/logout.js');
      await logout(globals(cmd));
    });

  const whoami = program
    .command('whoami')
    .description('print the user and the cluster of the context')
    .option('-t, --token', 'print only the access token of the context (refreshed if it expires soon)')
    .option('-e, --endpoints [name]', 'same as `whoami endpoints [name]`')
    .action(async (opts, cmd: Command) => {
      const commands = await import('./commands/whoami.js');
      if (opts.endpoints !== undefined) {
        await commands.whoamiEndpoints(globals(cmd), opts.endpoints === true ? undefined : opts.endpoints);
      } else {
        await commands.whoami(globals(cmd), opts);
      }
    });
  whoami
    .command('endpoints')
    .alias('endpoint')
    .description("list the cluster's endpoints, or print one")
    .argument('[name]', 'an endpoint, e.g. registry or mqtt')
    .action(async (name: string | undefined, _opts, cmd: Command) => {
      const { whoamiEndpoints } = await import('./commands/whoami.js');
      await whoamiEndpoints(globals(cmd), name);
    });
}

function addContextCommands(program: Command): void {
  const config = program.command('config').alias('context').description('manage the contexts in the drg config file');
  config
    .command('list')
    .description('list the contexts (* marks the active one)')
    .action(async (_opts, cmd: Command) => {
      const { listContexts } = await import('./commands/context.js');
      await listContexts(globals(cmd));
    });
  config
    .command('show')
    .description('print the config (token secrets redacted)')
    .option('--active', 'only the active context (or the one chosen with -c)')
    .action(async (opts, cmd: Command) => {
      const { showConfig } = await import('./commands/context.js');
      await showConfig(globals(cmd), opts);
    });
  config
    .command('default-context')
    .description('make a context the active one')
    .argument('<name>')
    .action(async (name: string, _opts, cmd: Command) => {
      const { setDefaultContext } = await import('./commands/context.js');
      await setDefaultContext(globals(cmd), name);
    });
  config
    .command('delete')
    .alias('remove')
    .description('delete a context')
    .argument('<name>')
    .action(async (name: string, _opts, cmd: Command) => {
      const { deleteContext } = await import('./commands/context.js');
      await deleteContext(globals(cmd), name);
    });
  config
    .command('default-app')
    .description('set the default application of the context (the active one, or -c NAME)')
    .argument('<app>')
    .action(async (app: string, _opts, cmd: Command) => {
      const { setDefaultApp } = await import('./commands/context.js');
      await setDefaultApp(globals(cmd), app);
    });
  config
    .command('rename')
    .description('rename a context')
    .argument('<name>')
    .argument('<new-name>')
    .action(async (from: string, to: string, _opts, cmd: Command) => {
      const { renameContext } = await import('./commands/context.js');
      await renameContext(globals(cmd), from, to);
    });
  config
    .command('create', { hidden: true })
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new CliError('contexts are created by `drg login URL` (or `drg serve`)');
    });
}

/** `-s/--spec JSON` (drg 0.11 also spelled it `--data`). */
function specOptions(cmd: Command): Command {
  return cmd
    .option('-s, --spec <json>', 'the spec, as a JSON object')
    .addOption(new Option('--data <json>').hideHelp())
    .option(
      '-f, --filename <file>',
      'the whole resource from a JSON or YAML file (- for stdin); the name comes from it',
    );
}

function addResourceCommands(program: Command): void {
  const create = program.command('create').alias('add').description('create an application or a device');
  specOptions(create.command('app').aliases(APP_NAMES.slice(1)).description('create an application'))
    .argument('[name]')
    .option('-l, --labels <key=value,...>', 'labels to set', collect)
    .action(async (name: string | undefined, opts, cmd: Command) => {
      const { createApp } = await import('./commands/create.js');
      await createApp(globals(cmd), name, { ...opts, spec: opts.spec ?? opts.data });
    });
  specOptions(create.command('device').aliases(DEVICE_NAMES.slice(1)).description('create a device in the application'))
    .argument('[name]')
    .option('-l, --labels <key=value,...>', 'labels to set', collect)
    .action(async (name: string | undefined, opts, cmd: Command) => {
      const { createDevice } = await import('./commands/create.js');
      await createDevice(globals(cmd), name, { ...opts, spec: opts.spec ?? opts.data });
    });
  addCertCommands(create);

  const get = program.command('get').description('show applications or devices');
  get
    .command('app')
    .aliases(APP_NAMES.slice(1))
    .description('list the applications you can read, or show one')
    .argument('[name]')
    .option('-l, --labels <selector>', 'only those matching the label selector (e.g. env=prod,!legacy)', collect)
    .action(async (name: string | undefined, opts, cmd: Command) => {
      const { getApps } = await import('./commands/get.js');
      await getApps(globals(cmd), name, opts);
    });
  get
    .command('device')
    .aliases(DEVICE_NAMES.slice(1))
    .description("list the application's devices, or show one")
    .argument('[name]')
    .option('-l, --labels <selector>', 'only those matching the label selector (e.g. env=prod,!legacy)', collect)
    .action(async (name: string | undefined, opts, cmd: Command) => {
      const { getDevices } = await import('./commands/get.js');
      await getDevices(globals(cmd), name, opts);
    });

  const del = program.command('delete').description('delete an application or a device');
  del
    .command('app')
    .aliases(APP_NAMES.slice(1))
    .description('delete an application and its devices')
    .argument('<name>')
    .option('--ignore-missing', 'succeed if it does not exist')
    .action(async (name: string, opts, cmd: Command) => {
      const { deleteApp } = await import('./commands/delete.js');
      await deleteApp(globals(cmd), name, opts);
    });
  del
    .command('device')
    .aliases(DEVICE_NAMES.slice(1))
    .description('delete a device')
    .argument('<name>')
    .option('--ignore-missing', 'succeed if it does not exist')
    .action(async (name: string, opts, cmd: Command) => {
      const { deleteDevice } = await import('./commands/delete.js');
      await deleteDevice(globals(cmd), name, opts);
    });
}

/** Key options of `create app-cert|device-cert` (drg 0.11's flags, plus --force). */
function keyOptions(cmd: Command, defaultDays: number): Command {
  return cmd
    .option(
      '--algo <algorithm>',
      "key algorithm: ECDSA (P-256), EdDSA (Ed25519) or RSA (2048 bits); default: the context's default_algo, else ECDSA",
    )
    .option('--days <days>', `validity in days (default ${defaultDays})`)
    .option('--key-input <file>', 'use this private key (PEM, or DER PKCS#8) instead of generating one')
    .option('--force', 'overwrite output files that exist');
}

function addCertCommands(create: Command): void {
  keyOptions(
    create
      .command('app-cert')
      .description("create a CA key pair and self-signed certificate, and add it to the application's trust anchors"),
    3650,
  )
    .option('--key-output <file>', 'where to write the private key (mode 0600; default <app>-ca-key.pem)')
    .addHelpText(
      'after',
      `
The certificate's subject is "O=Drogue IoT, OU=Cloud, CN=<app>". It is added after any existing anchors, with
the application's resourceVersion: if someone changes the application meanwhile, nothing is changed (409).
The key file is written only when the application was updated, and existing files are not overwritten
unless --force. Keep the key: \`drg create device-cert\` signs device certificates with it.`,
    )
    .action(async (opts, cmd: Command) => {
      const { createAppCert } = await import('./commands/certs.js');
      await createAppCert(globals(cmd), opts);
    });
  keyOptions(
    create
      .command('device-cert')
      .description("create a key pair and certificate for a device, signed by the application's CA key")
      .argument('<device>'),
    365,
  )
    .requiredOption('--ca-key <file>', "the application CA's private key (from `drg create app-cert`)")
    .option(
      '--cert-output <file>',
      "where to write the device's certificate (default <device>-cert.pem; also --cert_output)",
    )
    .addOption(new Option('--cert_output <file>').hideHelp())
    .option('--key-output <file>', "where to write the device's private key (mode 0600; default <device>-key.pem)")
    .addHelpText(
      'after',
      `
The certificate's subject is "O=Drogue IoT, OU=<app>, CN=<device>"; its issuer is the application's trust anchor
that matches --ca-key. Its validity ends at the latest when the CA's does. The device must exist: it gets the
alias "CN=<device>, O=Drogue IoT, OU=<app>" (as with drg 0.11), the name Drogue Cloud knows a client
certificate by. The files are written only when that update succeeded, and existing files are not overwritten
unless --force.`,
    )
    .action(async (device: string, opts, cmd: Command) => {
      const { createDeviceCert } = await import('./commands/certs.js');
      await createDeviceCert(globals(cmd), device, { ...opts, certOutput: opts.certOutput ?? opts.cert_output });
    });
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
    const c = colorsFor(process.stderr);
    process.stderr.write(`${c.red('error:')} ${message}\n`);
    if (known && err.options.hint) process.stderr.write(`${c.dim(err.options.hint)}\n`);
    else if (!known && !verbose) process.stderr.write(`${c.dim('(run with -v for details)')}\n`);
  }
  if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exitCode = known ? err.exitCode : 1;
}

void main(process.argv);
