// A command's view of the drg config: the config file, the context, the application, and API clients.
import { isOAuthContext, oauthTokenProvider } from '../auth/oauth-tokens.js';
import type { GlobalOptions } from '../cli.js';
import { type Config, ConfigError, type Context, configPath, loadConfig } from '../config/config.js';
import { appNameProblem } from '../model/names.js';
import { CliError, UsageError } from '../output/errors.js';
import { ApiClient, staticTokenProvider, type TokenProvider } from './http.js';
import { RegistryClient } from './registry.js';

export interface Session {
  configPath: string;
  config: Config;
  context: Context;
  /** Against `drogue_cloud_url` (discovery, admin, tokens, commands). */
  api: ApiClient;
  /** Against `registry_url`, else `drogue_cloud_url`. */
  registry: RegistryClient;
  /** The application: `--app`/`--application`, else `$DRG_APP`, else the context's `default_app`; else UsageError. */
  requireApp(): string;
}

export interface LoadedConfig {
  configPath: string;
  config: Config;
}

/** Reads the config file from `--config`, `$DRGCFG` or the default location (missing file = empty config). */
export async function readConfig(globals: GlobalOptions): Promise<LoadedConfig> {
  const path = configPath(globals.config);
  try {
    return { configPath: path, config: await loadConfig(path) };
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message);
    throw err;
  }
}

/** The context name asked for: `-c/--context`, else `$DRG_CONTEXT`, else the config's active context. */
export function wantedContextName(globals: GlobalOptions, config: Config): string | undefined {
  return globals.context || process.env.DRG_CONTEXT || config.active_context || undefined;
}

export function resolveContext(globals: GlobalOptions, config: Config): Context {
  const name = wantedContextName(globals, config);
  if (!name) throw new CliError('no context: run `drg login URL` (or `drg serve`)');
  const context = namedContext(config, name, 'run `drg login URL` (or `drg serve`)');
  if (typeof context.drogue_cloud_url !== 'string' || context.drogue_cloud_url === '') {
    throw new CliError(`context ${name} has no drogue_cloud_url: run \`drg login URL -c ${name}\``);
  }
  return context;
}

/** The context called `name`; else a CliError naming the known ones (with `hintWhenNone` when there are none). */
export function namedContext(config: Config, name: string, hintWhenNone?: string): Context {
  const context = config.contexts.find((c) => c.name === name);
  if (context) return context;
  const known = config.contexts.map((c) => c.name);
  const list = known.length > 0 ? ` (known: ${known.join(', ')})` : '';
  throw new CliError(`context ${name} not found${list}`, { hint: known.length > 0 ? undefined : hintWhenNone });
}

/** The application given explicitly: `-a/--app/--application`, else `$DRG_APP`. */
export function explicitApp(globals: GlobalOptions): string | undefined {
  return globals.app || globals.application || process.env.DRG_APP || undefined;
}

/** The application from the flags, `$DRG_APP` or the context; undefined when none is set. Validated. */
export function resolveApp(globals: GlobalOptions, context: Context | undefined): string | undefined {
  const app = explicitApp(globals) ?? (context?.default_app || undefined);
  if (app !== undefined) {
    const problem = appNameProblem(app);
    if (problem) throw new UsageError(problem);
  }
  return app;
}

export function requireApp(globals: GlobalOptions, context: Context | undefined): string {
  const app = resolveApp(globals, context);
  if (!app) {
    throw new UsageError('no application: pass --app NAME, set DRG_APP, or `drg context default-app NAME`');
  }
  return app;
}

/** How a context's credentials become Authorization headers: OAuth tokens are refreshed when they expire. */
export function tokenProviderFor(context: Context, configPath: string): TokenProvider {
  return isOAuthContext(context) ? oauthTokenProvider(context, configPath) : staticTokenProvider(context.token);
}

export async function openSession(globals: GlobalOptions): Promise<Session> {
  const { configPath, config } = await readConfig(globals);
  const context = resolveContext(globals, config);
  const api = new ApiClient({ baseUrl: context.drogue_cloud_url, tokens: tokenProviderFor(context, configPath) });
  const registry = new RegistryClient(context.registry_url ? api.withBaseUrl(context.registry_url) : api);
  return { configPath, config, context, api, registry, requireApp: () => requireApp(globals, context) };
}
