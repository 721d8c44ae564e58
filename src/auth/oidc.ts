// The OIDC client side of drg (openid-client 6): the public client `drogue` at the cluster's issuer, token grants,
// revocation, and failures as one-line DrgErrors without any token in them. Loaded only to log in, refresh or log out.

import type * as OpenIdClient from 'openid-client';
import { EndpointsClient } from '../client/endpoints.js';
import { ApiClient } from '../client/http.js';
import type { Context } from '../config/config.js';
import { AuthError, DrgError } from '../errors.js';
import { importEsm } from '../esm-import.js';
import { DROGUE_CLIENT_ID } from '../model/oidc.js';
import { loginCommand } from '../output/error-words.js';
import type { TokenResponse } from './token-store.js';

/** Per request to the issuer, in seconds. */
const TIMEOUT_S = 15;

export type OidcClient = OpenIdClient.Configuration;

let loaded: typeof OpenIdClient | undefined;

/** openid-client, imported on first use: it is ESM-only, and only login, refresh and logout need it. */
export async function openidClient(): Promise<typeof OpenIdClient> {
  loaded ??= await importEsm<typeof OpenIdClient>('openid-client');
  return loaded;
}

/** The issuer's configuration through OIDC discovery (plain HTTP only for an `http:` issuer, e.g. drg serve). */
export async function discoverIssuer(issuerUrl: string): Promise<OidcClient> {
  const url = new URL(issuerUrl);
  const client = await openidClient();
  try {
    const config = await client.discovery(url, DROGUE_CLIENT_ID, undefined, client.None(), {
      execute: url.protocol === 'http:' ? [client.allowInsecureRequests] : [],
      timeout: TIMEOUT_S,
    });
    config.timeout = TIMEOUT_S;
    return config;
  } catch (err) {
    throw new DrgError(`cannot read the OpenID configuration of ${issuerUrl}: ${failureReason(err)}`);
  }
}

/** The issuer a cluster names in its discovery (`issuer_url`); a DrgError when it names none. */
export async function issuerOfCluster(baseUrl: string): Promise<string> {
  const endpoints = await new EndpointsClient(new ApiClient({ baseUrl })).endpoints();
  if (typeof endpoints.issuer_url !== 'string' || endpoints.issuer_url === '') {
    throw new DrgError(`${baseUrl} names no OpenID issuer (issuer_url) in its discovery`, {
      hint: 'log in with an access token instead: drg login URL --access-token USER:TOKEN',
    });
  }
  return endpoints.issuer_url;
}

/**
 * The client for refreshing a context's token: from what `drg login` stored (no request), else through discovery
 * (contexts that drg 0.11 wrote have no `issuer_url`), which is then stored in the context.
 */
export async function clientForContext(context: Context): Promise<OidcClient> {
  const issuer = context.issuer_url;
  const tokenEndpoint = context.token_url;
  if (typeof issuer === 'string' && typeof tokenEndpoint === 'string') {
    const client = await openidClient();
    const config = new client.Configuration(
      { issuer, token_endpoint: tokenEndpoint },
      DROGUE_CLIENT_ID,
      undefined,
      client.None(),
    );
    if (new URL(tokenEndpoint).protocol === 'http:') client.allowInsecureRequests(config);
    config.timeout = TIMEOUT_S;
    return config;
  }
  const config = await discoverIssuer(
    typeof issuer === 'string' ? issuer : await issuerOfCluster(context.drogue_cloud_url),
  );
  rememberIssuer(context, config);
  return config;
}

/** Stores the issuer and its endpoints in the context (`auth_url` and `token_url` as drg 0.11). */
export function rememberIssuer(context: Context, config: OidcClient): void {
  const metadata = config.serverMetadata();
  context.issuer_url = metadata.issuer;
  if (metadata.authorization_endpoint) context.auth_url = metadata.authorization_endpoint;
  if (metadata.token_endpoint) context.token_url = metadata.token_endpoint;
}

/** The refresh token grant; a dead refresh token is a SessionEnded error. */
export async function refreshGrant(config: OidcClient, refreshToken: string, context: Context): Promise<TokenResponse> {
  const client = await openidClient();
  try {
    return await client.refreshTokenGrant(config, refreshToken);
  } catch (err) {
    if (oauthErrorCode(err) === 'invalid_grant') throw sessionEnded(context);
    throw new DrgError(`cannot refresh the access token at ${config.serverMetadata().issuer}: ${failureReason(err)}`);
  }
}

/** RFC 7009 revocation of a refresh token; false when the issuer offers no revocation endpoint. */
export async function revokeRefreshToken(config: OidcClient, refreshToken: string): Promise<boolean> {
  if (!config.serverMetadata().revocation_endpoint) return false;
  const client = await openidClient();
  try {
    await client.tokenRevocation(config, refreshToken, { token_type_hint: 'refresh_token' });
    return true;
  } catch (err) {
    throw new DrgError(`the issuer did not revoke the session: ${failureReason(err)}`);
  }
}

/** The refresh token no longer works (expired, revoked, or reused after rotation). */
export function sessionEnded(context: Context): AuthError {
  return new AuthError(
    `your session for context ${context.name} has expired or was revoked; run \`${loginCommand(context.drogue_cloud_url, context.name)}\` again`,
  );
}

/** The OAuth `error` code of an issuer's error response. */
export function oauthErrorCode(err: unknown): string | undefined {
  return loaded && err instanceof loaded.ResponseBodyError ? err.error : undefined;
}

/** Why a call to the issuer failed, in a few words: the OAuth error, the HTTP status, or the network problem. */
export function failureReason(err: unknown): string {
  if (loaded && err instanceof loaded.ResponseBodyError) {
    return err.error_description ? `${err.error} (${err.error_description})` : err.error;
  }
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string; name?: string } };
  const cause = e?.cause;
  if (e?.name === 'TimeoutError' || cause?.name === 'TimeoutError') return `no answer within ${TIMEOUT_S}s`;
  if (cause?.code === 'ECONNREFUSED') return 'connection refused';
  if (cause?.code === 'ENOTFOUND' || cause?.code === 'EAI_AGAIN') return 'unknown host';
  if (cause?.code) return cause.code;
  return e?.message ?? String(err);
}
