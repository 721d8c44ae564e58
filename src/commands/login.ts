// `drg login URL --access-token user:token [-c NAME] [-k]`: discover the cluster, verify the token, write the context.
import type { GlobalOptions } from '../cli.js';
import { AdminClient } from '../client/admin.js';
import { EndpointsClient, oidcMetadata } from '../client/endpoints.js';
import { ApiClient, staticTokenProvider } from '../client/http.js';
import { type Context, configPath, updateConfig, upsertContext } from '../config/config.js';
import { CliError, UsageError } from '../output/errors.js';
import { outputFormat, reportSuccess } from './common.js';

export interface LoginOptions {
  accessToken?: string;
  token?: string;
  keepCurrent?: boolean;
}

export const DEFAULT_CONTEXT = 'default';

export async function login(globals: GlobalOptions, url: string, opts: LoginOptions): Promise<void> {
  const format = outputFormat(globals);
  const baseUrl = parseClusterUrl(url);
  if (opts.accessToken === undefined) {
    throw new CliError(
      'OIDC login (browser or --token REFRESH_TOKEN) is not yet supported; use --access-token user:token',
      {
        hint: 'create an access token in the console, or with `drg create token` while logged in',
        exitCode: 2,
      },
    );
  }
  const credentials = parseAccessToken(opts.accessToken);
  const name = globals.context || process.env.DRG_CONTEXT || DEFAULT_CONTEXT;

  const anonymous = new ApiClient({ baseUrl });
  const endpoints = await new EndpointsClient(anonymous).endpoints();
  const api = new ApiClient({ baseUrl, tokens: staticTokenProvider(credentials) });
  const user = await new AdminClient(api).whoami().catch((err: unknown) => {
    const status = err instanceof CliError ? err.httpStatus : undefined;
    if (status !== 401 && status !== 403) throw err;
    throw new CliError(`${baseUrl} rejected the access token of user ${credentials.id}`, {
      httpStatus: status,
      hint: 'check the user name and the token (`drg get tokens` lists the prefixes of your tokens)',
    });
  });
  const oidc = endpoints.issuer_url ? await oidcMetadata(endpoints.issuer_url) : undefined;

  const context: Context = {
    name,
    drogue_cloud_url: baseUrl,
    registry_url: endpoints.registry?.url ?? baseUrl,
    token: credentials,
  };
  if (oidc?.authorization_endpoint) context.auth_url = oidc.authorization_endpoint;
  if (oidc?.token_endpoint) context.token_url = oidc.token_endpoint;

  let active = false;
  await updateConfig(configPath(globals.config), (cfg) => {
    const existing = cfg.contexts.find((c) => c.name === name);
    if (existing?.default_app && existing.drogue_cloud_url === baseUrl) context.default_app = existing.default_app;
    upsertContext(cfg, context);
    if (!opts.keepCurrent || !cfg.contexts.some((c) => c.name === cfg.active_context)) cfg.active_context = name;
    active = cfg.active_context === name;
  });
  reportSuccess(format, `Logged in to ${baseUrl} as ${user} (context ${name}${active ? ', active' : ''})`);
}

/** `https://host[:port][/path]`; a bare host means https (as drg 0.11). No trailing slash. */
export function parseClusterUrl(text: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`"${text}" is not a URL`, 'example: drg login https://api.drogue.example.com');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`"${text}" is not an http(s) URL`);
  if (url.username || url.password) throw new UsageError('the URL must not contain credentials: use --access-token');
  return url.toString().replace(/\/+$/, '');
}

/** `user:token` (the token may itself contain ':'). */
export function parseAccessToken(text: string): { id: string; token: string } {
  const colon = text.indexOf(':');
  if (colon <= 0 || colon === text.length - 1) {
    throw new UsageError('--access-token must be USER:TOKEN', 'create a token with `drg create token`');
  }
  return { id: text.slice(0, colon), token: text.slice(colon + 1) };
}
