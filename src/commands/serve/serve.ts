// `drg serve`: a local Drogue Cloud in this process, until SIGINT/SIGTERM. This module parses the flags; the
// server is its own bundle (dist/server.cjs, from server-lite/main.ts), loaded only when it runs.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { defineCommand, type OptionValues, option } from '../../cli/command.js';
import type { Env } from '../../cli/io.js';
import { DrgError, UsageError } from '../../errors.js';
import type { ServeOptions } from '../../server-lite/main.js';

type ServerEntry = typeof import('../../server-lite/main.js');

const SERVE_OPTIONS = {
  port: option.string('--port <port>', 'HTTP port', { default: '8011' }),
  bind: option.string('--bind <address>', 'address to listen on', { default: '127.0.0.1' }),
  dataDir: option.string('--data-dir <dir>', 'where the data lives (default: $XDG_DATA_HOME/drg/serve)'),
  mqttPort: option.string('--mqtt-port <port>', 'MQTT device endpoint port', { default: '1883' }),
  mqttIntegrationPort: option.string('--mqtt-integration-port <port>', 'MQTT integration port', { default: '18883' }),
  login: option.boolean('--no-login', 'do not write a context for this instance into the drg config'),
  tokenTtl: option.string(
    '--token-ttl <seconds>',
    'lifetime of the OIDC access tokens the built-in issuer signs (default: 300)',
  ),
  adminPassword: option.string('--admin-password <password>', 'set the password of the built-in user "admin"'),
  user: option.list('--user <name:password>', 'create a user, or set their password (repeatable)'),
  usersFile: option.string(
    '--users-file <file>',
    'create users from an htpasswd file with bcrypt hashes (htpasswd -nbB NAME PASSWORD)',
  ),
  issuerUrl: option.string(
    '--issuer-url <url>',
    'use this OpenID Provider instead of the built-in one (tokens checked with its keys)',
  ),
} as const;

type ServeFlags = OptionValues<typeof SERVE_OPTIONS>;

export const serve = defineCommand({
  path: 'serve',
  summary: 'run a local Drogue Cloud: registry, API and OpenID Provider, in one process',
  options: SERVE_OPTIONS,
  description: `On start, drg serve writes a context (named "local", or -c NAME) with an access token for the
built-in user "admin" into the drg config and makes it active, so other drg commands just work.

Users log in (drg login URL) at the built-in OpenID Provider, URL/oidc. On the first start, admin's
password is generated and printed once; --admin-password sets it. The API accepts the issuer's
access tokens (JWTs) as Bearer tokens or ?token=, and access tokens (drg create token).
With --issuer-url, users log in at that provider instead; its access tokens must have the audience
"drogue" and name the user in preferred_username (else sub).`,
  examples: [
    {
      command: 'drg serve',
      description: 'A local Drogue Cloud on http://127.0.0.1:8011, data in ~/.local/share/drg/serve',
    },
    {
      command: 'drg serve --port 0 --data-dir /tmp/drg --no-login',
      description: 'On a free port, elsewhere, without a context',
    },
    { command: 'drg serve --users-file users.htpasswd', description: 'With users from an htpasswd file (bcrypt)' },
  ],
  async handler({ options }, ctx) {
    const port = parsePort(options.port, '--port');
    const mqttPort = parsePort(options.mqttPort, '--mqtt-port');
    const mqttIntegrationPort = parsePort(options.mqttIntegrationPort, '--mqtt-integration-port');
    const dataDir = resolve(ctx.io.cwd, options.dataDir ?? defaultDataDir(ctx.env));
    const server = await import('../../server-lite/main.js');
    const identity = identityOptions(options, server);
    const login = options.login
      ? { context: ctx.selection.context ?? 'local', configPath: ctx.selection.configPath }
      : undefined;
    try {
      await server.serve({
        port,
        bind: options.bind,
        dataDir,
        mqttPort,
        mqttIntegrationPort,
        ...identity,
        login,
        verbose: ctx.verbose,
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

function parsePort(value: string, flag: string): number {
  const port = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new UsageError(`${flag} must be an integer from 0 to 65535, not ${JSON.stringify(value)}`);
  }
  return port;
}

type IdentityOptions = Pick<ServeOptions, 'issuerUrl' | 'accessTokenTtl' | 'adminPassword' | 'users' | 'hashedUsers'>;

/** The identity flags, checked before anything starts. */
function identityOptions(opts: ServeFlags, server: ServerEntry): IdentityOptions {
  const localOnly = [
    ['--token-ttl', opts.tokenTtl],
    ['--admin-password', opts.adminPassword],
    ['--user', opts.user?.length ? opts.user : undefined],
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
  try {
    return {
      accessTokenTtl: opts.tokenTtl === undefined ? undefined : parseTokenTtl(opts.tokenTtl),
      adminPassword: opts.adminPassword,
      users: opts.user?.map(server.parseUserSpec),
      hashedUsers: opts.usersFile === undefined ? undefined : readUsers(opts.usersFile, server),
    };
  } catch (err) {
    if (err instanceof server.UserError) throw new UsageError(err.message);
    throw err;
  }
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

function readUsers(path: string, server: ServerEntry): ReturnType<ServerEntry['readUsersFile']> {
  try {
    return server.readUsersFile(path);
  } catch (err) {
    if (err instanceof server.UserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new UsageError(`cannot read the users file ${path}: ${why}`);
  }
}

function defaultDataDir(env: Env): string {
  return join(env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share'), 'drg', 'serve');
}
