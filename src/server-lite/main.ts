// The entry of `drg serve`, bundled on its own (dist/server.cjs) so that no other command loads the server:
// everything after the flags are parsed. The logger, the runtime, the `local` context in the drg config, and the
// wait for SIGINT/SIGTERM.
import pino, { type Logger } from 'pino';
import { type Config, type Context, isAccessTokenCredentials, updateConfig, upsertContext } from '../config/config.js';
import { ConfigError } from '../errors.js';
import { ADMIN_USER } from './identity/users.js';
import { ComponentStartError, type StartError } from './runtime.js';
import { type RunningServer, type ServerOptions, startServer } from './server.js';

// What drg serve's flag parsing needs of the server.
export { parseUserSpec, readUsersFile, UserError } from './identity/oidc/passwords.js';

export interface ServeOptions extends Omit<ServerOptions, 'logger'> {
  /** Request lines in the log. */
  verbose?: boolean;
  /** Writes (or refreshes) this context of the drg config and makes it active. */
  login?: { context: string; configPath: string };
}

/** Why drg serve stopped before it was ready: one line for the user. */
export class ServeError extends Error {
  constructor(
    message: string,
    readonly reason?: StartError['reason'],
  ) {
    super(message);
  }
}

/** Runs drg serve until SIGINT or SIGTERM. */
export async function serve(options: ServeOptions): Promise<void> {
  const logger = createLogger(options.verbose);
  let server: RunningServer;
  try {
    server = await startServer({ ...options, logger });
  } catch (err) {
    if (err instanceof ComponentStartError) throw new ServeError(err.message, err.reason);
    throw err;
  }
  if (server.generatedAdminPassword !== undefined) {
    // A plain line for the person starting the server, never a log entry: it is not shown again.
    process.stderr.write(
      `admin password (shown once; set one with --admin-password): ${server.generatedAdminPassword}\n`,
    );
  }

  const stopped = untilSignal();
  const { login } = options;
  if (login) {
    try {
      await logIn(server, login.context, login.configPath);
    } catch (err) {
      await server.close();
      const message = (err as Error).message;
      throw new ServeError(
        err instanceof ConfigError ? message : `cannot write the drg config ${login.configPath}: ${message}`,
      );
    }
  }
  const { url, issuerUrl } = server;
  logger.info({ url, issuerUrl, dataDir: options.dataDir, context: login?.context }, 'drg serve ready');

  const signal = await stopped;
  logger.info({ signal }, 'stopping');
  await server.close();
  logger.info('stopped');
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
