// `drg login`: discover the cluster (and its issuer), get and verify credentials, write the context.
import { AdminClient } from '../client/admin.js';
import { EndpointsClient, oidcMetadata } from '../client/endpoints.js';
import { ApiClient, staticTokenProvider, type TokenProvider } from '../client/http.js';
import { type AccessTokenCredentials, type Context, updateConfig, upsertContext } from '../config/config.js';
import { ApiError, AuthError, DrgError, ProtocolError } from '../errors.js';
import type { Endpoints } from '../model/endpoints.js';
import { removeCredentials } from './token-store.js';

export type LoginCredentials =
  | { accessToken: AccessTokenCredentials }
  | { refreshToken: string }
  | { interactive: 'browser'; openBrowser: boolean }
  | { interactive: 'device' };

export interface LoginRequest {
  baseUrl: string;
  contextName: string;
  configPath: string;
  credentials: LoginCredentials;
  /** Leave the active context as it is (unless there is none). */
  keepCurrent: boolean;
  /** Shows a line to the user (stderr). */
  tell: (line: string) => void;
}

export interface LoginResult {
  user: string;
  context: string;
  /** Whether the context is now the active one. */
  active: boolean;
}

export async function logIn(request: LoginRequest): Promise<LoginResult> {
  const { baseUrl, contextName: name, credentials } = request;
  const endpoints = await discover(baseUrl);
  const login =
    'accessToken' in credentials
      ? await accessTokenLogin(name, baseUrl, endpoints, credentials.accessToken)
      : await oidcLogin(name, baseUrl, endpoints, credentials, request.tell);

  let active = false;
  await updateConfig(request.configPath, async (cfg) => {
    const existing = cfg.contexts.find((c) => c.name === name);
    const { context } = login;
    if (existing?.default_app && existing.drogue_cloud_url === baseUrl) context.default_app = existing.default_app;
    await login.store(existing);
    upsertContext(cfg, context);
    if (!request.keepCurrent || !cfg.contexts.some((c) => c.name === cfg.active_context)) cfg.active_context = name;
    active = cfg.active_context === name;
  });
  return { user: login.user, context: name, active };
}

/** The cluster's discovery document; an answer that is not one means the URL is not a Drogue Cloud API. */
async function discover(baseUrl: string): Promise<Endpoints> {
  try {
    return await new EndpointsClient(new ApiClient({ baseUrl })).endpoints();
  } catch (err) {
    if (!(err instanceof ApiError) && !(err instanceof ProtocolError)) throw err;
    const answer =
      err instanceof ApiError ? `answered ${err.status} to its discovery request` : 'sent no discovery document';
    throw new ProtocolError(`${baseUrl} is not a Drogue Cloud API endpoint: it ${answer}`, {
      hint: "give the cluster's API URL (drg whoami endpoints shows it where you are logged in), e.g. https://api.sandbox.drogue.cloud",
      cause: err,
    });
  }
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

/** Browser (default), device or refresh token, at the issuer the cluster names. */
async function oidcLogin(
  name: string,
  baseUrl: string,
  endpoints: Endpoints,
  credentials: Exclude<LoginCredentials, { accessToken: AccessTokenCredentials }>,
  tell: (line: string) => void,
): Promise<VerifiedLogin> {
  if (!endpoints.issuer_url) {
    throw new DrgError(`${baseUrl} names no OpenID issuer in its discovery, so there is no browser login`, {
      hint: 'log in with an access token: drg login URL --access-token-stdin (USER:TOKEN on stdin)',
    });
  }
  const { discoverIssuer, rememberIssuer } = await import('./oidc.js');
  const flows = await import('./flows.js');
  const { osKeyring, storeTokens } = await import('./token-store.js');
  const issuer = await discoverIssuer(endpoints.issuer_url);
  const tokens =
    'refreshToken' in credentials
      ? await flows.refreshTokenLogin(issuer, credentials.refreshToken)
      : credentials.interactive === 'device'
        ? await flows.deviceLogin(issuer, tell)
        : await flows.browserLogin(issuer, { openBrowser: credentials.openBrowser, tell });
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
    if (!(err instanceof ApiError) || !err.credentialsRejected) throw err;
    throw new AuthError(`${baseUrl} rejected ${what}`, { hint: options.hint, cause: err });
  });
}
