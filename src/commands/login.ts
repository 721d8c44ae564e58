// `drg login URL [--no-browser | --device | -t REFRESH_TOKEN | --access-token USER:TOKEN] [-c NAME] [-k]`: discover
// the cluster (and its issuer), get and verify credentials, write the context.

import { removeCredentials } from '../auth/token-store.js';
import type { GlobalOptions } from '../cli.js';
import { AdminClient } from '../client/admin.js';
import { EndpointsClient, oidcMetadata } from '../client/endpoints.js';
import { ApiClient, staticTokenProvider, type TokenProvider } from '../client/http.js';
import {
  type AccessTokenCredentials,
  type Context,
  configPath,
  updateConfig,
  upsertContext,
} from '../config/config.js';
import type { Endpoints } from '../model/endpoints.js';
import { CliError, UsageError } from '../output/errors.js';
import { loggedInMessage } from '../output/messages.js';
import { outputFormat, reportSuccess } from './common.js';

export interface LoginOptions {
  accessToken?: string;
  /** `-t`: an OIDC refresh token. */
  token?: string;
  /** `--no-browser` sets this to false: only print the URL. */
  browser?: boolean;
  device?: boolean;
  keepCurrent?: boolean;
}

export const DEFAULT_CONTEXT = 'default';

export async function login(globals: GlobalOptions, url: string, opts: LoginOptions): Promise<void> {
  const baseUrl = parseClusterUrl(url);
  const modes = [opts.accessToken !== undefined, opts.token !== undefined, !!opts.device].filter(Boolean);
  if (modes.length > 1) throw new UsageError('use only one of --access-token, --token and --device');
  const credentials = opts.accessToken === undefined ? undefined : parseAccessToken(opts.accessToken);
  const name = globals.context || process.env.DRG_CONTEXT || DEFAULT_CONTEXT;
  const endpoints = await new EndpointsClient(new ApiClient({ baseUrl })).endpoints();

  const login = credentials
    ? await accessTokenLogin(name, baseUrl, endpoints, credentials)
    : await oidcLogin(name, baseUrl, endpoints, opts);

  let active = false;
  await updateConfig(configPath(globals.config), async (cfg) => {
    const existing = cfg.contexts.find((c) => c.name === name);
    const { context } = login;
    if (existing?.default_app && existing.drogue_cloud_url === baseUrl) context.default_app = existing.default_app;
    await login.store(existing);
    upsertContext(cfg, context);
    if (!opts.keepCurrent || !cfg.contexts.some((c) => c.name === cfg.active_context)) cfg.active_context = name;
    active = cfg.active_context === name;
  });
  reportSuccess(outputFormat(globals), loggedInMessage(baseUrl, login.user, name, active));
}

/** A verified login, to be written as a context under the config lock. */
interface VerifiedLogin {
  user: string;
  context: Context;
  /** Puts the credentials into `context`; `existing` is the context of that name it replaces. */
  store(existing: Context | undefined): Promise<void>;
}

async function accessTokenLogin(
  name: string,
  baseUrl: string,
  endpoints: Endpoints,
  credentials: AccessTokenCredentials,
): Promise<VerifiedLogin> {
  const user = await verifiedUser(
    baseUrl,
    staticTokenProvider(credentials),
    `the access token of user ${credentials.id}`,
    {
      hint: 'check the user name and the token (`drg get tokens` lists the prefixes of your tokens)',
    },
  );
  const oidc = endpoints.issuer_url ? await oidcMetadata(endpoints.issuer_url) : undefined;
  const context: Context = { name, drogue_cloud_url: baseUrl, registry_url: endpoints.registry?.url ?? baseUrl };
  if (oidc?.authorization_endpoint) context.auth_url = oidc.authorization_endpoint;
  if (oidc?.token_endpoint) context.token_url = oidc.token_endpoint;
  return {
    user,
    context,
    store: async (existing) => {
      context.token = credentials;
      // A refresh token the replaced OAuth context kept in the keyring is of no use any more.
      if (existing?.token_keyring) await removeCredentials({ ...existing });
    },
  };
}

/** Browser (default), `--device` or `-t REFRESH_TOKEN`, at the issuer the cluster names. */
async function oidcLogin(
  name: string,
  baseUrl: string,
  endpoints: Endpoints,
  opts: LoginOptions,
): Promise<VerifiedLogin> {
  if (!endpoints.issuer_url) {
    throw new CliError(`${baseUrl} names no OpenID issuer in its discovery, so there is no browser login`, {
      hint: 'log in with an access token: drg login URL --access-token USER:TOKEN',
    });
  }
  const { discoverIssuer, rememberIssuer } = await import('../auth/oidc.js');
  const flows = await import('../auth/flows.js');
  const { osKeyring, storeTokens } = await import('../auth/token-store.js');
  const issuer = await discoverIssuer(endpoints.issuer_url);
  const tell = (line: string) => process.stderr.write(`${line}\n`);
  const tokens =
    opts.token !== undefined
      ? await flows.refreshTokenLogin(issuer, opts.token)
      : opts.device
        ? await flows.deviceLogin(issuer, tell)
        : await flows.browserLogin(issuer, { openBrowser: opts.browser !== false, tell });
  const user = await verifiedUser(
    baseUrl,
    staticTokenProvider({ access_token: tokens.access_token }),
    'the new access token',
  );
  const context: Context = { name, drogue_cloud_url: baseUrl, registry_url: endpoints.registry?.url ?? baseUrl };
  rememberIssuer(context, issuer);
  return {
    user,
    context,
    store: async (existing) => {
      // The keyring entry of the context this one replaces is reused (overwritten).
      if (existing?.token_keyring) context.token_keyring = existing.token_keyring;
      await storeTokens(context, tokens, osKeyring());
    },
  };
}

/** Who the server sees behind the credentials; a clear error when it rejects them. */
async function verifiedUser(
  baseUrl: string,
  tokens: TokenProvider,
  what: string,
  options: { hint?: string } = {},
): Promise<string> {
  const api = new ApiClient({ baseUrl, tokens });
  return new AdminClient(api).whoami().catch((err: unknown) => {
    const status = err instanceof CliError ? err.httpStatus : undefined;
    if (status !== 401 && status !== 403) throw err;
    throw new CliError(`${baseUrl} rejected ${what}`, { httpStatus: status, hint: options.hint });
  });
}

/**
 * `https://host[:port][/path]`; a bare host means https (as drg 0.11). No trailing slash. A URL holding credentials
 * is refused before anything else, so that no message repeats them.
 */
export function parseClusterUrl(text: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    // Not repeated: unparsable text may still hold a password.
    throw new UsageError('the cluster address is not a URL', 'example: drg login https://api.drogue.example.com');
  }
  if (url.username || url.password) throw new UsageError('the URL must not contain credentials: use --access-token');
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`"${text}" is not an http(s) URL`);
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
