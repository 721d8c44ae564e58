// A command's view of the drg config: the config file, the context, the application, and API clients.
import { isOAuthContext, oauthTokenProvider } from '../auth/oauth-tokens.js';
import { type Config, type Context, isAccessTokenCredentials, loadConfig } from '../config/config.js';
import { AuthError, DrgError, UsageError } from '../errors.js';
import { checkAppName } from '../resources/names.js';
import { AdminClient } from './admin.js';
import { ApiClient, staticTokenProvider, type TokenProvider } from './http.js';
import { RegistryClient } from './registry.js';
import { TokensClient } from './tokens.js';

/** What the command line and the environment choose. */
export interface Selection {
  /** `--config`, else `$DRGCFG`, else the default location. */
  configPath: string;
  /** `-c/--context`, else `$DRG_CONTEXT`; else the config's active context. */
  context?: string;
  /** `-a/--app/--application`, else `$DRG_APP`; else the context's default app. */
  app?: string;
}

export interface Session {
  configPath: string;
  config: Config;
  context: Context;
  /** Against `drogue_cloud_url` (discovery, admin, tokens, commands). */
  api: ApiClient;
  /** Against `registry_url`, else `drogue_cloud_url`. */
  registry: RegistryClient;
  admin: AdminClient;
  tokens: TokensClient;
  /** The application chosen by the selection, else the context's `default_app`; else a UsageError. */
  requireApp(): string;
}

/** The context name asked for, else the config's active context. */
export function wantedContextName(selection: Selection, config: Config): string | undefined {
  return selection.context || config.active_context || undefined;
}

export function resolveContext(selection: Selection, config: Config): Context {
  const name = wantedContextName(selection, config);
  if (!name) throw new AuthError('no context: run `drg login URL` (or `drg serve`)');
  const context = namedContext(config, name, 'run `drg login URL` (or `drg serve`)');
  if (typeof context.drogue_cloud_url !== 'string' || context.drogue_cloud_url === '') {
    throw new DrgError(`context ${name} has no drogue_cloud_url: run \`drg login URL -c ${name}\``);
  }
  return context;
}

/** The context called `name`; else an error naming the known ones (with `hintWhenNone` when there are none). */
export function namedContext(config: Config, name: string, hintWhenNone?: string): Context {
  const context = config.contexts.find((c) => c.name === name);
  if (context) return context;
  const known = config.contexts.map((c) => c.name);
  const list = known.length > 0 ? ` (known: ${known.join(', ')})` : '';
  throw new DrgError(`context ${name} not found${list}`, { hint: known.length > 0 ? undefined : hintWhenNone });
}

/** The application from the selection or the context; undefined when none is set. Validated. */
export function resolveApp(selection: Selection, context: Context | undefined): string | undefined {
  if (selection.app !== undefined) return checkAppName(selection.app);
  const fallback = context?.default_app || undefined;
  return fallback === undefined ? undefined : checkAppName(fallback, `the default app of context ${context?.name}`);
}

export function requireApp(selection: Selection, context: Context | undefined): string {
  const app = resolveApp(selection, context);
  if (!app) {
    throw new UsageError('no application: pass --app NAME, set DRG_APP, or `drg context default-app NAME`');
  }
  return app;
}

/** How a context's credentials become Authorization headers: OAuth tokens are refreshed when they expire. */
function tokenProviderFor(context: Context, configPath: string): TokenProvider {
  return isOAuthContext(context) ? oauthTokenProvider(context, configPath) : staticTokenProvider(context.token);
}

function apiClientFor(context: Context, configPath: string): ApiClient {
  return new ApiClient({
    baseUrl: context.drogue_cloud_url,
    tokens: tokenProviderFor(context, configPath),
    credentials: isOAuthContext(context) ? 'oauth' : isAccessTokenCredentials(context.token) ? 'access-token' : 'none',
    context: context.name,
  });
}

export async function openSession(selection: Selection): Promise<Session> {
  const { configPath } = selection;
  const config = await loadConfig(configPath);
  const context = resolveContext(selection, config);
  const api = apiClientFor(context, configPath);
  return {
    configPath,
    config,
    context,
    api,
    registry: new RegistryClient(context.registry_url ? api.withBaseUrl(context.registry_url) : api),
    admin: new AdminClient(api),
    tokens: new TokensClient(api),
    requireApp: () => requireApp(selection, context),
  };
}
