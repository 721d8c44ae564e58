// The entry of `drg serve`, bundled on its own (dist/server.cjs) so that no other command loads the server:
// everything after the flags are parsed. The logger, the runtime, the context in the drg config (./serve-context.ts),
// what a person or a script sees (./serve-output.ts), and the wait for SIGINT/SIGTERM.
import type { Logger } from 'pino';
import { ConfigError } from '../errors.js';
import { ComponentStartError, type StartError } from './runtime.js';
import {
  type ClaimedContext,
  ContextInUseError,
  type ContextRequest,
  claimContext,
  releaseContext,
} from './serve-context.js';
import { createLogger, deviceEndpoints, type LogOptions, readySummary } from './serve-output.js';
import { type RunningServer, type ServerOptions, startServer } from './server.js';

// What drg serve's flag parsing needs of the server.
export { parseUserSpec, readUsersFile, UserError, validatePassword } from './identity/oidc/passwords.js';
export { ADMIN_USER } from './identity/users.js';
export type { LogFormat } from './serve-output.js';

export interface ServeOptions extends Omit<ServerOptions, 'logger'> {
  /** The log lines' format and colours; with `text`, a summary when ready. */
  log: LogOptions;
  /** Writes this context (or, by ./serve-context.ts's rules, another) into the drg config and makes it active. */
  login?: ContextRequest;
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
  const logger = createLogger(options.log);
  let server: RunningServer;
  try {
    server = await startServer({ ...options, logger });
  } catch (err) {
    if (err instanceof ComponentStartError) throw new ServeError(err.message, err.reason);
    throw err;
  }
  const text = options.log.format === 'text';
  // Shown once, never as a log entry: in the summary, else (JSON, or a start that fails now) as a plain line.
  let adminPassword = server.generatedAdminPassword;
  const showPasswordLine = () => {
    if (adminPassword === undefined) return;
    process.stderr.write(
      `admin password (shown once; set one with --admin-password-file or DRG_ADMIN_PASSWORD): ${adminPassword}\n`,
    );
    adminPassword = undefined;
  };
  if (!text) showPasswordLine();

  const stopped = untilSignal();
  let claimed: ClaimedContext | undefined;
  if (options.login) {
    try {
      claimed = await claimContext(server, options.login);
    } catch (err) {
      showPasswordLine();
      await server.close();
      const message = (err as Error).message;
      throw new ServeError(
        err instanceof ConfigError || err instanceof ContextInUseError
          ? message
          : `cannot write the drg config ${options.login.configPath}: ${message}`,
      );
    }
  }
  const { url, issuerUrl } = server;
  const ready = {
    url,
    issuerUrl,
    healthUrl: `${url}/health`,
    dataDir: options.dataDir,
    context: claimed?.name,
    ...deviceEndpoints(server.endpoints()),
  };
  if (text) {
    const summary = {
      ...ready,
      embeddedIssuer: options.issuerUrl === undefined,
      contextInUse: claimed?.inUse,
      adminPassword,
    };
    process.stderr.write(readySummary(summary, options.log.colors));
  } else {
    if (claimed?.inUse) {
      const { name, url: at } = claimed.inUse;
      logger.warn(
        { context: claimed.name, inUse: name, at },
        'the context asked for belongs to another running server',
      );
    }
    logger.info(ready, 'drg serve ready');
  }

  const signal = await stopped;
  logger.info({ signal }, 'stopping');
  await server.close();
  if (claimed) await giveBack(server, claimed, logger);
  logger.info('stopped');
}

/** Makes the context active before this start active again (./serve-context.ts); a failure is only logged. */
async function giveBack(server: RunningServer, claimed: ClaimedContext, logger: Logger) {
  try {
    const active = await releaseContext(server, claimed);
    if (active !== undefined) logger.info({ context: active }, 'active context given back');
  } catch (err) {
    logger.warn({ error: (err as Error).message }, 'cannot give back the active context');
  }
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
