// `drg serve`: runs the local Drogue Cloud until SIGINT/SIGTERM, and logs the drg config in to it. This module
// parses the flags; the server is its own bundle (dist/server.cjs, from server-lite/main.ts), loaded only here.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { configPath } from '../config/config.js';
import { DrgError, UsageError } from '../errors.js';
import type { ServeOptions } from '../server-lite/main.js';

type ServerEntry = typeof import('../server-lite/main.js');

export interface ServeCommandOptions {
  port: string;
  bind: string;
  dataDir?: string;
  mqttPort: string;
  mqttIntegrationPort: string;
  login: boolean;
  tokenTtl?: string;
  adminPassword?: string;
  user?: string[];
  usersFile?: string;
  issuerUrl?: string;
  contextName?: string;
  config?: string;
  verbose?: boolean;
}

export async function run(opts: ServeCommandOptions): Promise<void> {
  const port = parsePort(opts.port, '--port');
  const mqttPort = parsePort(opts.mqttPort, '--mqtt-port');
  const mqttIntegrationPort = parsePort(opts.mqttIntegrationPort, '--mqtt-integration-port');
  const dataDir = resolve(opts.dataDir ?? defaultDataDir());
  const server = await import('../server-lite/main.js');
  const identity = identityOptions(opts, server);
  const login = opts.login
    ? { context: opts.contextName ?? 'local', configPath: configPath(opts.config, process.env) }
    : undefined;
  try {
    await server.serve({
      port,
      bind: opts.bind,
      dataDir,
      mqttPort,
      mqttIntegrationPort,
      ...identity,
      login,
      verbose: opts.verbose,
    });
  } catch (err) {
    if (!(err instanceof server.ServeError)) throw err;
    throw new DrgError(`${err.message}${(err.reason && HINTS[err.reason]) || ''}`);
  }
}

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
function identityOptions(opts: ServeCommandOptions, server: ServerEntry): IdentityOptions {
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

function defaultDataDir(): string {
  return join(process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'drg', 'serve');
}
