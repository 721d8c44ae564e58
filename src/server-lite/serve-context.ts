// The context drg serve writes into the drg config, and gives back when it stops. The rules:
// - It writes the context asked for (-c NAME, else `local`) unless that context points at another running
//   Drogue Cloud: a URL other than this server's, no access token that is valid on this data directory, and
//   `URL/.well-known/drogue-endpoints` answers (within a second) for a registry other than this server. Then, for
//   `local`, it writes `local-PORT` instead (by the same rule); for a name asked for, it stops with an error.
// - The context gets this server's URL and admin's access token: the one it holds while that is valid here, else
//   a new one. Then admin's other tokens described `drg serve (context NAME)` are deleted, so that one is valid.
// - It becomes the active context. When the server stops and it still is (pointing at this server), the context
//   active before is active again. The context stays in the config, for the next start to reuse its token.
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { type Config, type Context, isAccessTokenCredentials, updateConfig, upsertContext } from '../config/config.js';
import { DISCOVERY_ENDPOINTS } from '../model/api-paths.js';
import { ADMIN_USER } from './identity/users.js';
import type { RunningServer } from './server.js';

/** How long a context's server has to answer before the context counts as stale. */
const PROBE_TIMEOUT_MS = 1000;

export interface ContextRequest {
  /** The name asked for, or the default (`local`). */
  name: string;
  /** Whether the name was asked for (-c, DRG_CONTEXT): then it is never replaced by another. */
  explicit: boolean;
  configPath: string;
}

export interface ClaimedContext {
  name: string;
  configPath: string;
  /** The context active before, to be made active again on stop. */
  previousActive?: string;
  /** The context asked for, when another running server holds it. */
  inUse?: { name: string; url: string };
}

/** The context of another running server that drg serve was asked to write; the message says what to do. */
export class ContextInUseError extends Error {}

type Server = Pick<RunningServer, 'url' | 'port' | 'accessTokens'>;

/** Writes this server's context by the rules above and makes it active. */
export async function claimContext(server: Server, request: ContextRequest): Promise<ClaimedContext> {
  const candidates = request.explicit ? [request.name] : [request.name, `${request.name}-${server.port}`];
  const { claimed, token } = await updateConfig(request.configPath, async (cfg: Config) => {
    let inUse: ClaimedContext['inUse'];
    for (const name of candidates) {
      const existing = cfg.contexts.find((c) => c.name === name);
      const otherUrl = existing && (await otherServerUrl(existing, server));
      if (otherUrl !== undefined) {
        inUse ??= { name, url: otherUrl };
        continue;
      }
      const token = writeContext(cfg, name, existing, server);
      const previousActive = cfg.active_context !== name ? cfg.active_context : undefined;
      cfg.active_context = name;
      return { claimed: { name, configPath: request.configPath, previousActive, inUse }, token };
    }
    const hint = request.explicit ? 'give another name with -c NAME' : 'give a name with -c NAME';
    throw new ContextInUseError(
      `the context ${candidates.at(-1)} belongs to the server running at ${inUse?.url}; ${hint}, or use --no-login`,
    );
  });
  deleteOtherServeTokens(server, claimed.name, token);
  return claimed;
}

/**
 * Makes the context active before the claim active again, if the claimed one still is and still points at this
 * server. Resolves with the context made active, if any.
 */
export async function releaseContext(server: Pick<RunningServer, 'url'>, claimed: ClaimedContext) {
  const { previousActive, name } = claimed;
  if (previousActive === undefined) return undefined;
  return updateConfig(claimed.configPath, (cfg: Config) => {
    const ours = cfg.contexts.find((c) => c.name === name);
    if (cfg.active_context !== name || ours?.drogue_cloud_url !== server.url) return undefined;
    if (!cfg.contexts.some((c) => c.name === previousActive)) return undefined;
    cfg.active_context = previousActive;
    return previousActive;
  });
}

/** The description of the tokens drg serve creates for a context, by which it finds them again. */
function serveTokenDescription(context: string): string {
  return `drg serve (context ${context})`;
}

/** Writes (or refreshes) the context; returns its access token. */
function writeContext(cfg: Config, name: string, existing: Context | undefined, server: Server): string {
  const token =
    existing && validHere(existing, server)
      ? (existing.token as { token: string }).token
      : server.accessTokens.create(ADMIN_USER, serveTokenDescription(name)).token;
  const context: Context = {
    name,
    drogue_cloud_url: server.url,
    registry_url: server.url,
    token: { id: ADMIN_USER, token },
  };
  if (existing?.default_app) context.default_app = existing.default_app;
  upsertContext(cfg, context);
  return token;
}

/** Whether the context holds an access token of admin that this server (its data directory) accepts. */
function validHere(context: Context, server: Server): boolean {
  const { token } = context;
  return (
    isAccessTokenCredentials(token) &&
    token.id === ADMIN_USER &&
    server.accessTokens.ownerOf(token.token) === ADMIN_USER
  );
}

/** The URL of the other running server the context points at; undefined when the context is this server's. */
async function otherServerUrl(context: Context, server: Server): Promise<string | undefined> {
  const url = context.drogue_cloud_url;
  if (url === server.url || validHere(context, server)) return undefined;
  const registry = await registryUrlAt(url);
  return registry !== undefined && registry !== server.url ? url : undefined;
}

/** The registry URL that `url`'s discovery names, if a Drogue Cloud answers there. */
function registryUrlAt(url: string): Promise<string | undefined> {
  const target = URL.canParse(url) ? new URL(DISCOVERY_ENDPOINTS, url) : undefined;
  if (!target || (target.protocol !== 'http:' && target.protocol !== 'https:')) return Promise.resolve(undefined);
  const get = target.protocol === 'https:' ? httpsGet : httpGet;
  return new Promise((resolve) => {
    const req = get(target, { agent: false, timeout: PROBE_TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        if (body.length > 64 * 1024) req.destroy();
      });
      res.on('error', () => resolve(undefined));
      res.on('end', () => {
        try {
          const registry = res.statusCode === 200 ? JSON.parse(body)?.registry?.url : undefined;
          resolve(typeof registry === 'string' ? registry : undefined);
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    // After an answer was read, or when it failed or was cut off (then with nothing).
    req.on('close', () => resolve(undefined));
  });
}

/** Deletes admin's tokens that drg serve created for the context before, but the one it holds now. */
function deleteOtherServeTokens(server: Server, context: string, keep: string): void {
  const description = serveTokenDescription(context);
  for (const { prefix, description: d } of server.accessTokens.list(ADMIN_USER)) {
    if (d === description && !keep.startsWith(`${prefix}_`)) server.accessTokens.delete(ADMIN_USER, prefix);
  }
}
