// `drg serve`: runs the local Drogue Cloud until SIGINT/SIGTERM, and logs the drg config in to it.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import {
  type Config,
  type Context,
  configPath,
  isAccessTokenCredentials,
  updateConfig,
  upsertContext,
} from '../config/config.js';
import { DrgError as CliError, ConfigError, UsageError } from '../errors.js';
import { parseUserSpec, readUsersFile, UserError } from '../server-lite/identity/oidc/passwords.js';
import { ADMIN_USER } from '../server-lite/identity/users.js';
import { type RunningServer, type ServerOptions, ServerStartError, startServer } from '../server-lite/server.js';

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
  const identity = identityOptions(opts);
  const logger = createLogger(opts.verbose);

  let server: RunningServer;
  try {
    server = await startServer({ port, bind: opts.bind, dataDir, logger, mqttPort, mqttIntegrationPort, ...identity });
  } catch (err) {
    if (!(err instanceof ServerStartError)) throw err;
    throw new CliError(err.reason === 'address-in-use' ? `${err.message}; pick another with --port` : err.message);
  }
  if (server.generatedAdminPassword !== undefined) {
    // A plain line for the person starting the server, never a log entry: it is not shown again.
    process.stderr.write(
      `admin password (shown once; set one with --admin-password): ${server.generatedAdminPassword}\n`,
    );
  }

  const stopped = untilSignal();
  let context: string | undefined;
  if (opts.login) {
    context = opts.contextName ?? 'local';
    const path = configPath(opts.config, process.env);
    try {
      await logIn(server, context, path);
    } catch (err) {
      await server.close();
      const message = (err as Error).message;
      throw new CliError(err instanceof ConfigError ? message : `cannot write the drg config ${path}: ${message}`);
    }
  }
  logger.info({ url: server.url, issuerUrl: server.issuerUrl, dataDir, context }, 'drg serve ready');

  const signal = await stopped;
  logger.info({ signal }, 'stopping');
  await server.close();
  logger.info('stopped');
}

function parsePort(value: string, flag: string): number {
  const port = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new UsageError(`${flag} must be an integer from 0 to 65535, not ${JSON.stringify(value)}`);
  }
  return port;
}

type IdentityOptions = Pick<ServerOptions, 'issuerUrl' | 'accessTokenTtl' | 'adminPassword' | 'users' | 'hashedUsers'>;

/** The identity flags, checked before anything starts. */
function identityOptions(opts: ServeCommandOptions): IdentityOptions {
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
      users: opts.user?.map(parseUserSpec),
      hashedUsers: opts.usersFile === undefined ? undefined : readUsers(opts.usersFile),
    };
  } catch (err) {
    if (err instanceof UserError) throw new UsageError(err.message);
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

function readUsers(path: string): ReturnType<typeof readUsersFile> {
  try {
    return readUsersFile(path);
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new UsageError(`cannot read the users file ${path}: ${why}`);
  }
}

function defaultDataDir(): string {
  return join(process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'drg', 'serve');
}

/** JSON lines on stderr (stdout stays empty); request lines only with --verbose. */
function createLogger(verbose?: boolean): Logger {
  return pino(
    { level: verbose ? 'debug' : 'info', base: undefined, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: 2, sync: true }),
  );
}

/**
 * Writes (or refreshes) the context for this instance and makes it active. The context's access token is
 * reused while it still verifies against this data dir, so restarts don't pile up tokens.
 */
async function logIn(server: RunningServer, name: string, path: string): Promise<void> {
  await updateConfig(path, (cfg: Config) => {
    const existing = cfg.contexts.find((c) => c.name === name);
    const token =
      existing && isAccessTokenCredentials(existing.token) && existing.token.id === ADMIN_USER
        ? existing.token.token
        : undefined;
    const valid = token !== undefined && server.accessTokens.ownerOf(token) === ADMIN_USER;
    const context: Context = {
      name,
      drogue_cloud_url: server.url,
      registry_url: server.url,
      token: {
        id: ADMIN_USER,
        token: valid ? token : server.accessTokens.create(ADMIN_USER, `drg serve (context ${name})`).token,
      },
    };
    if (existing?.default_app) context.default_app = existing.default_app;
    upsertContext(cfg, context);
    cfg.active_context = name;
  });
}

/**
 * Resolves on the first SIGINT/SIGTERM; a second one exits at once. The listeners stay registered: removing
 * them would let signal-exit (loaded by proper-lockfile) re-raise the signal and kill the process mid-close.
 */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolveSignal) => {
    let received = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (received) process.exit(1);
      received = true;
      resolveSignal(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
