// `drg serve`: a local Drogue Cloud in this process, until SIGINT/SIGTERM. This module parses the flags; the
// server is its own bundle (dist/server.cjs, from server-lite/main.ts), loaded only when it runs.
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { defineCommand, type OptionValues, option } from '../../cli/command.js';
import type { CommandContext } from '../../cli/context.js';
import type { Env } from '../../cli/io.js';
import { DrgError, UsageError } from '../../errors.js';
import { parseByteSize, parseDuration } from '../../model/units.js';
import type { LogFormat, ServeOptions } from '../../server-lite/main.js';

type ServerEntry = typeof import('../../server-lite/main.js');

const SERVE_OPTIONS = {
  port: option.string('--port <port>', 'HTTP port', { default: '8011' }),
  bind: option.string('--bind <address>', 'address to listen on', { default: '127.0.0.1' }),
  dataDir: option.string('--data-dir <dir>', 'where the data lives (default: $XDG_DATA_HOME/drg/serve)'),
  mqttPort: option.string('--mqtt-port <port>', 'MQTT device endpoint port', { default: '1883' }),
  mqttsPort: option.string('--mqtts-port <port>', 'MQTT device endpoint port over TLS (client certificates)', {
    default: '8883',
  }),
  maxPayload: option.string('--max-payload <size>', 'the largest message payload a device may send (HTTP, MQTT)', {
    default: '256KiB',
  }),
  maxFirmwareSize: option.string('--max-firmware-size <size>', 'the largest firmware image the store takes', {
    default: '64MiB',
  }),
  mqttIntegrationPort: option.string('--mqtt-integration-port <port>', 'MQTT integration port', { default: '18883' }),
  httpsPort: option.string('--https-port <port>', 'HTTPS device endpoint port (TLS, client certificates)', {
    default: '8443',
  }),
  tlsCert: option.string(
    '--tls-cert <file>',
    "the TLS endpoints' certificate (PEM; its chain may follow) instead of the local CA's; with --tls-key",
  ),
  tlsKey: option.string('--tls-key <file>', "the private key of --tls-cert's certificate (PEM)"),
  firmwareAgent: option.boolean(
    '--no-firmware-agent',
    'answer no firmware updates (DFU) and advance no rollouts here: for drg firmware agent elsewhere',
  ),
  login: option.boolean('--no-login', 'do not write a context for this instance into the drg config'),
  logFormat: option.string(
    '--log-format <format>',
    'text (the default on a terminal): a summary when ready, then log lines for people; json (the default otherwise)',
    { choices: ['text', 'json'] },
  ),
  tokenTtl: option.string(
    '--token-ttl <seconds>',
    'lifetime of the OIDC access tokens the built-in issuer signs (default: 300)',
  ),
  adminPassword: option.string(
    '--admin-password <password>',
    'set the password of the built-in user "admin" (visible in the process list: prefer --admin-password-file)',
  ),
  adminPasswordFile: option.string(
    '--admin-password-file <file>',
    "set admin's password to the one line of this file (- for stdin); else $DRG_ADMIN_PASSWORD, if set",
  ),
  user: option.list(
    '--user <name:password>',
    'create a user, or set their password (repeatable; visible in the process list: prefer --user-file)',
  ),
  userFile: option.string(
    '--user-file <file>',
    'create users, or set their passwords, from NAME:PASSWORD lines of this file (- for stdin; keep it mode 0600)',
  ),
  usersFile: option.string(
    '--users-file <file>',
    'create users from an htpasswd file with bcrypt hashes (htpasswd -nbB NAME PASSWORD)',
  ),
  issuerUrl: option.string(
    '--issuer-url <url>',
    'use this OpenID Provider instead of the built-in one (tokens checked with its keys)',
  ),
  eventRetention: option.string('--event-retention <duration>', 'how long the event log keeps events', {
    default: '24h',
  }),
  eventRetentionSize: option.string(
    '--event-retention-size <size>',
    'how many bytes of events the event log keeps at most',
    { default: '1GiB' },
  ),
} as const;

type ServeFlags = OptionValues<typeof SERVE_OPTIONS>;

/** The default context; when another running server holds it, `local-PORT`. */
const DEFAULT_CONTEXT = 'local';

export const serve = defineCommand({
  path: 'serve',
  summary: 'run a local Drogue Cloud: registry, device endpoints, integrations, commands and an OpenID Provider',
  options: SERVE_OPTIONS,
  description: `On start, drg serve writes a context (named "local", or -c NAME) with an access token for the built-in
user "admin" into the drg config and makes it active, so other drg commands just work; a restart reuses the
token. When "local" belongs to another drg serve that is running, it writes "local-PORT" instead (a context
named with -c that belongs to another running server is an error). When it stops, the context that was active
before is active again.

On a terminal it prints where everything is once it is ready, then log lines as text; otherwise (and with
--log-format json) JSON lines, all on stderr. Stop it with Ctrl+C (SIGINT) or SIGTERM.

Users log in (drg login URL) at the built-in OpenID Provider, URL/oidc. On the first start, admin's password
is generated and printed once. Passwords given as arguments (--admin-password, --user) are visible to other
users of the machine (ps): give admin's with --admin-password-file FILE (- for stdin) or DRG_ADMIN_PASSWORD,
and users' with --user-file FILE (NAME:PASSWORD lines, - for stdin) or --users-file (bcrypt hashes). The API
accepts the issuer's access tokens (JWTs) as Bearer tokens or ?token=, and access tokens (drg create token).
With --issuer-url, users log in at that provider instead; its access tokens must have the audience "drogue"
and name the user in preferred_username (else sub).

Devices send over HTTP (POST /v1/CHANNEL on --port, Basic device@app:password) and MQTT 3.1.1 and 5 (--mqtt-port,
user name device@app); applications follow the events through the WebSocket integration (drg stream) and the
MQTT integration (--mqtt-integration-port; subscribe to app/APP), and send commands (drg cmd). A port given
as 0 is picked free; discovery (/.well-known/drogue-endpoints, drg whoami endpoints) tells which. Payloads are
at most --max-payload bytes, firmware images (drg firmware push) at most --max-firmware-size. GET /metrics has
the figures in Prometheus' text format.

The firmware agent answers the devices' firmware update reports (the dfu channel) from the images of the store
(drg firmware push) or of OCI registries, records each device's status.firmware and advances rollouts (drg
firmware rollout); --no-firmware-agent leaves that to a drg firmware agent elsewhere.

Devices reach the TLS endpoints (MQTT over TLS on --mqtts-port, HTTPS on --https-port) with a server
certificate that drg serve signs with a local CA of its own: on the first start it creates the CA in the data
directory (tls/ca.pem, its key beside it, mode 0600) and reuses it later, renewing the server certificate when it
nears its end or the --bind address changes. Clients trust the server with that file (mosquitto_pub --cafile
DATA/tls/ca.pem, curl --cacert DATA/tls/ca.pem); drg whoami endpoints names it. --tls-cert and --tls-key use a
certificate of yours instead. Devices may authenticate there with an X.509 client certificate (drg create
device-cert) instead of a password.

Every event a device sends is written to the event log (events.sqlite in the data directory) before the device
is acknowledged. The log keeps events for --event-retention (24h; 90s, 10m, 7d, ...) and up to
--event-retention-size bytes (1GiB; 512MiB, 10GB, ...), removing the oldest first: consumer groups that were
away get what they missed from it, and drg stream --since / --from-start replays it.`,
  examples: [
    {
      command: 'drg serve',
      description: 'A local Drogue Cloud on http://127.0.0.1:8011, data in ~/.local/share/drg/serve',
    },
    {
      command: 'drg serve --port 0 --data-dir /tmp/drg --no-login',
      description: 'On a free port, elsewhere, without a context',
    },
    {
      command: 'drg serve --admin-password-file admin.txt --user-file users.txt',
      description: "With admin's password and more users from files (mode 0600)",
    },
    { command: 'drg serve --users-file users.htpasswd', description: 'With users from an htpasswd file (bcrypt)' },
    {
      command: 'drg serve --tls-cert server.pem --tls-key server-key.pem',
      description: 'The TLS endpoints with your certificate instead of the local CA',
    },
  ],
  async handler({ options }, ctx) {
    const port = parsePort(options.port, '--port');
    const mqttPort = parsePort(options.mqttPort, '--mqtt-port');
    const mqttsPort = parsePort(options.mqttsPort, '--mqtts-port');
    const maxPayload = parseSize(options.maxPayload, '--max-payload', '256KiB, 1MiB or 4096');
    const maxFirmwareSize = parseSize(options.maxFirmwareSize, '--max-firmware-size', '64MiB, 256MiB or 1GiB');
    const mqttIntegrationPort = parsePort(options.mqttIntegrationPort, '--mqtt-integration-port');
    const httpsPort = parsePort(options.httpsPort, '--https-port');
    const tls = tlsFiles(options, ctx.io.cwd);
    const eventRetention = parseEventRetention(options);
    const dataDir = resolve(ctx.io.cwd, options.dataDir ?? defaultDataDir(ctx.env));
    const server = await import('../../server-lite/main.js');
    const identity = await identityOptions(options, server, ctx);
    for (const warning of argvSecretWarnings(options)) ctx.out.warn(warning);
    const login = options.login
      ? {
          name: ctx.selection.context ?? DEFAULT_CONTEXT,
          explicit: ctx.selection.context !== undefined,
          configPath: ctx.selection.configPath,
        }
      : undefined;
    const format = (options.logFormat ?? (ctx.io.stderr.isTTY ? 'text' : 'json')) as LogFormat;
    try {
      await server.serve({
        port,
        bind: options.bind,
        dataDir,
        mqttPort,
        mqttsPort,
        maxPayload,
        maxFirmwareSize,
        ...(options.firmwareAgent ? {} : { firmwareAgent: false as const }),
        mqttIntegrationPort,
        httpsPort,
        ...tls,
        eventRetention,
        ...identity,
        login,
        log: { format, colors: ctx.out.colors(), verbose: ctx.verbose },
      });
    } catch (err) {
      if (!(err instanceof server.ServeError)) throw err;
      throw new DrgError(`${err.message}${(err.reason && HINTS[err.reason]) || ''}`);
    }
  },
});

/** What to do about a start failure that the flags can fix, by its reason. */
const HINTS: Record<string, string> = {
  'address-in-use': '; pick another with --port',
  'data-dir-locked': '; stop it, or give another --data-dir',
};

function parseEventRetention(opts: ServeFlags): { ageMs: number; bytes: number } {
  const ageMs = parseDuration(opts.eventRetention);
  if (ageMs === undefined) {
    throw new UsageError(
      `--event-retention must be a duration such as 24h, 90m or 7d, not ${JSON.stringify(opts.eventRetention)}`,
    );
  }
  const bytes = parseByteSize(opts.eventRetentionSize);
  if (bytes === undefined) {
    throw new UsageError(
      `--event-retention-size must be a size such as 1GiB, 512MiB or 10GB, not ${JSON.stringify(opts.eventRetentionSize)}`,
    );
  }
  return { ageMs, bytes };
}

/** --tls-cert and --tls-key, both or neither, resolved; read (and checked as a pair) by the server on start. */
function tlsFiles(opts: ServeFlags, cwd: string): Pick<ServeOptions, 'tlsCert' | 'tlsKey'> {
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) {
    throw new UsageError('--tls-cert and --tls-key go together: give both, or neither for the local CA');
  }
  if (opts.tlsCert === undefined || opts.tlsKey === undefined) return {};
  return { tlsCert: resolve(cwd, opts.tlsCert), tlsKey: resolve(cwd, opts.tlsKey) };
}

function parseSize(value: string, flag: string, examples: string): number {
  const bytes = parseByteSize(value);
  if (bytes === undefined) {
    throw new UsageError(`${flag} must be a size such as ${examples}, not ${JSON.stringify(value)}`);
  }
  return bytes;
}

function parsePort(value: string, flag: string): number {
  const port = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new UsageError(`${flag} must be an integer from 0 to 65535, not ${JSON.stringify(value)}`);
  }
  return port;
}

type IdentityOptions = Pick<ServeOptions, 'issuerUrl' | 'accessTokenTtl' | 'adminPassword' | 'users' | 'hashedUsers'>;

/** The identity flags, checked (and their files read) before anything starts. */
async function identityOptions(opts: ServeFlags, server: ServerEntry, ctx: CommandContext): Promise<IdentityOptions> {
  const localOnly = [
    ['--token-ttl', opts.tokenTtl],
    ['--admin-password', opts.adminPassword],
    ['--admin-password-file', opts.adminPasswordFile],
    ['--user', opts.user?.length ? opts.user : undefined],
    ['--user-file', opts.userFile],
    ['--users-file', opts.usersFile],
  ] as const;
  if (opts.issuerUrl !== undefined) {
    const issuerUrl = parseIssuerUrl(opts.issuerUrl);
    const conflicting = localOnly.filter(([, value]) => value !== undefined).map(([flag]) => flag);
    if (conflicting.length > 0) {
      throw new UsageError(
        `--issuer-url replaces the built-in OIDC issuer, which ${conflicting.join(', ')} configure: users log in at ${issuerUrl}`,
      );
    }
    return { issuerUrl };
  }
  if (opts.adminPassword !== undefined && opts.adminPasswordFile !== undefined) {
    throw new UsageError('use only one of --admin-password and --admin-password-file');
  }
  if (opts.adminPasswordFile === '-' && opts.userFile === '-') {
    throw new UsageError('only one of --admin-password-file and --user-file can read stdin (-)');
  }
  try {
    const adminPassword =
      opts.adminPasswordFile !== undefined
        ? passwordLine(await readSecretFile(opts.adminPasswordFile, "admin's password file", ctx))
        : (opts.adminPassword ?? (ctx.env.DRG_ADMIN_PASSWORD || undefined));
    if (adminPassword !== undefined) server.validatePassword(adminPassword, server.ADMIN_USER);
    const fromFile =
      opts.userFile === undefined
        ? []
        : userLines(await readSecretFile(opts.userFile, 'the user file', ctx), opts.userFile, server);
    const fromFlags = opts.user?.map(server.parseUserSpec) ?? [];
    return {
      accessTokenTtl: opts.tokenTtl === undefined ? undefined : parseTokenTtl(opts.tokenTtl),
      adminPassword,
      users: fromFile.length + fromFlags.length > 0 ? [...fromFile, ...fromFlags] : undefined,
      hashedUsers: opts.usersFile === undefined ? undefined : readUsers(opts.usersFile, ctx.io.cwd, server),
    };
  } catch (err) {
    if (err instanceof server.UserError) throw new UsageError(err.message);
    throw err;
  }
}

/** One line on stderr for each kind of password given as an argument, which `ps` shows to every user. */
function argvSecretWarnings(opts: ServeFlags): string[] {
  const visible = 'visible to other users of this machine (ps)';
  const warnings: string[] = [];
  if (opts.adminPassword !== undefined) {
    warnings.push(`--admin-password is ${visible}: use --admin-password-file FILE or DRG_ADMIN_PASSWORD`);
  }
  if (opts.user?.length) warnings.push(`--user passwords are ${visible}: use --user-file FILE`);
  return warnings;
}

/** A file's text, or stdin's for `-`; a file other users can read gets a warning. */
async function readSecretFile(path: string, what: string, ctx: CommandContext): Promise<string> {
  if (path === '-') return ctx.io.readStdin();
  const file = resolve(ctx.io.cwd, path);
  try {
    const stat = statSync(file);
    if (stat.isFile() && (stat.mode & 0o077) !== 0)
      ctx.out.warn(`${path} can be read by other users: chmod 600 ${path}`);
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${path}: ${whyUnreadable(err)}`);
  }
}

/** A password file's one line (its line break removed). */
function passwordLine(text: string): string {
  const password = text.replace(/\r?\n$/, '');
  if (/[\r\n]/.test(password)) throw new UsageError("admin's password file must hold the password on one line");
  return password;
}

/**
 * The users of a user file: `NAME:PASSWORD` lines (the password may contain ':'), with blank lines and
 * `#` comments ignored. Errors name the line, never the password.
 */
function userLines(text: string, path: string, server: ServerEntry): Array<{ name: string; password: string }> {
  const source = path === '-' ? 'stdin' : path;
  return text.split(/\r?\n/).flatMap((line, index) => {
    if (line.trim() === '' || line.startsWith('#')) return [];
    const where = `${source}:${index + 1}`;
    if (!line.includes(':')) throw new server.UserError(`${where}: expected NAME:PASSWORD`);
    try {
      return [server.parseUserSpec(line)];
    } catch (err) {
      if (err instanceof server.UserError) throw new server.UserError(`${where}: ${err.message}`);
      throw err;
    }
  });
}

function parseTokenTtl(value: string): number {
  const seconds = /^\d{1,9}$/.test(value) ? Number(value) : 0;
  if (seconds <= 0) {
    throw new UsageError(`--token-ttl must be a positive whole number of seconds, not ${JSON.stringify(value)}`);
  }
  return seconds;
}

/** The URL as given; one holding a user name or password is refused without repeating it. */
function parseIssuerUrl(value: string): string {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  const problem = '--issuer-url must be the http(s) URL of an OpenID Provider';
  if (url && (url.username || url.password)) throw new UsageError(`${problem}, without a user name or password`);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new UsageError(`${problem}, not ${JSON.stringify(value)}`);
  }
  return value;
}

function readUsers(path: string, cwd: string, server: ServerEntry): ReturnType<ServerEntry['readUsersFile']> {
  try {
    return server.readUsersFile(resolve(cwd, path), path);
  } catch (err) {
    if (err instanceof server.UserError) throw err;
    throw new UsageError(`cannot read the users file ${path}: ${whyUnreadable(err)}`);
  }
}

function whyUnreadable(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
}

function defaultDataDir(env: Env): string {
  return join(env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share'), 'drg', 'serve');
}
