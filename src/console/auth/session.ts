// The console's login at drg serve's OpenID Provider: authorization code with PKCE as the public client
// drg-console (oauth4webapi). Tokens live in this module's memory only: never in storage, URLs or logs. A reload
// logs in again without a form while the issuer's session lasts (prompt=none); the access token is refreshed
// with the refresh token before it expires.
import * as oauth from 'oauth4webapi';
import { DISCOVERY_ENDPOINTS } from '../../model/api-paths.js';
import type { Endpoints } from '../../model/endpoints.js';
import { CONSOLE_CLIENT_ID, CONSOLE_PATH, CONSOLE_REDIRECT_PATH } from '../../model/oidc.js';

/** What survives the redirect to the issuer (sessionStorage): the PKCE verifier and state, not a token. */
const PENDING_KEY = 'drg-console-login';
/** When the last prompt=none attempt was made, so that a failed one does not loop. */
const SILENT_KEY = 'drg-console-silent';
/** Refreshed this long before the access token expires. */
const REFRESH_MARGIN_MS = 30_000;

interface Pending {
  verifier: string;
  state: string;
  returnTo: string;
  silent: boolean;
}

interface Tokens {
  access: string;
  refresh?: string;
  idToken?: string;
  expiresAt: number;
}

export type SessionState =
  | { kind: 'logged-in'; user: string }
  | { kind: 'logged-out'; reason?: string }
  | { kind: 'error'; message: string };

const client: oauth.Client = { client_id: CONSOLE_CLIENT_ID };
const clientAuth = oauth.None();
const redirectUri = () => `${location.origin}${CONSOLE_REDIRECT_PATH}`;

let server: oauth.AuthorizationServer | undefined;
let endpoints: Endpoints | undefined;
let tokens: Tokens | undefined;
let refreshing: Promise<void> | undefined;
let state: SessionState = { kind: 'logged-out' };
const listeners = new Set<(state: SessionState) => void>();

function insecure(url: string): { [oauth.allowInsecureRequests]?: boolean } {
  return url.startsWith('http:') ? { [oauth.allowInsecureRequests]: true } : {};
}

function setState(next: SessionState): void {
  state = next;
  for (const listener of listeners) listener(next);
}

export function sessionState(): SessionState {
  return state;
}

export function onSessionChange(listener: (state: SessionState) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The instance's discovery document (read once). */
export async function discovery(): Promise<Endpoints> {
  if (!endpoints) {
    const response = await fetch(DISCOVERY_ENDPOINTS);
    if (!response.ok) throw new Error(`the server's discovery answered ${response.status}`);
    endpoints = (await response.json()) as Endpoints;
  }
  return endpoints;
}

async function authorizationServer(): Promise<oauth.AuthorizationServer> {
  if (!server) {
    const issuerUrl = (await discovery()).issuer_url;
    if (!issuerUrl) throw new Error('the server names no OpenID Provider to log in at');
    const issuer = new URL(issuerUrl);
    const response = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure(issuerUrl) });
    server = await oauth.processDiscoveryResponse(issuer, response);
  }
  return server;
}

/** Goes to the issuer's login; `silent` asks it not to show a form (prompt=none). */
export async function logIn({ silent = false, returnTo = location.pathname + location.search } = {}): Promise<void> {
  const as = await authorizationServer();
  const verifier = oauth.generateRandomCodeVerifier();
  const pending: Pending = { verifier, state: oauth.generateRandomState(), returnTo, silent };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  if (silent) sessionStorage.setItem(SILENT_KEY, String(Date.now()));
  const url = new URL(as.authorization_endpoint!);
  url.searchParams.set('client_id', CONSOLE_CLIENT_ID);
  url.searchParams.set('redirect_uri', redirectUri());
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', 'openid profile');
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', pending.state);
  if (silent) url.searchParams.set('prompt', 'none');
  location.assign(url.href);
}

function remember(result: oauth.TokenEndpointResponse): void {
  const expiresIn = result.expires_in ?? 300;
  tokens = {
    access: result.access_token,
    refresh: result.refresh_token ?? tokens?.refresh,
    idToken: result.id_token ?? tokens?.idToken,
    expiresAt: Date.now() + expiresIn * 1000,
  };
}

function userOf(result: oauth.TokenEndpointResponse): string {
  const claims = oauth.getValidatedIdTokenClaims(result);
  return String(claims?.preferred_username ?? claims?.sub ?? 'unknown');
}

/**
 * Called once at start: finishes a login coming back from the issuer, or tries a silent one (once per 10 s, so that
 * a refused one shows the login page instead of looping). Resolves once the state is known.
 */
export async function startSession(): Promise<SessionState> {
  try {
    if (location.pathname === CONSOLE_REDIRECT_PATH) return setAndReturn(await finishLogin());
    const lastSilent = Number(sessionStorage.getItem(SILENT_KEY) ?? 0);
    if (Date.now() - lastSilent > 10_000) {
      await logIn({ silent: true });
      // The page is leaving for the issuer.
      return new Promise<SessionState>(() => {});
    }
    return setAndReturn({ kind: 'logged-out' });
  } catch (err) {
    return setAndReturn({ kind: 'error', message: (err as Error).message });
  }
}

function setAndReturn(next: SessionState): SessionState {
  setState(next);
  return next;
}

async function finishLogin(): Promise<SessionState> {
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null') as Pending | null;
  sessionStorage.removeItem(PENDING_KEY);
  const callback = new URL(location.href);
  // The code leaves the address bar (and the history) at once.
  history.replaceState(null, '', CONSOLE_PATH);
  if (!pending)
    return { kind: 'logged-out', reason: 'The login was not started here, or took too long. Log in again.' };
  const as = await authorizationServer();
  let parameters: URLSearchParams;
  try {
    parameters = oauth.validateAuthResponse(as, client, callback, pending.state);
  } catch (err) {
    if (err instanceof oauth.AuthorizationResponseError) {
      // prompt=none without a session at the issuer: the login page, without a complaint.
      const quiet =
        pending.silent && ['login_required', 'interaction_required', 'consent_required'].includes(err.error);
      return {
        kind: 'logged-out',
        reason: quiet ? undefined : `The login failed: ${err.error_description ?? err.error}`,
      };
    }
    throw err;
  }
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    clientAuth,
    parameters,
    redirectUri(),
    pending.verifier,
    insecure(as.issuer),
  );
  const result = await oauth.processAuthorizationCodeResponse(as, client, response, { requireIdToken: true });
  remember(result);
  sessionStorage.removeItem(SILENT_KEY);
  history.replaceState(null, '', pending.returnTo.startsWith(CONSOLE_PATH) ? pending.returnTo : CONSOLE_PATH);
  return { kind: 'logged-in', user: userOf(result) };
}

async function refresh(): Promise<void> {
  const refreshToken = tokens?.refresh;
  if (!refreshToken) throw new Error('no refresh token');
  const as = await authorizationServer();
  const response = await oauth.refreshTokenGrantRequest(as, client, clientAuth, refreshToken, insecure(as.issuer));
  remember(await oauth.processRefreshTokenResponse(as, client, response));
}

/** A valid access token, refreshed first when it is about to expire; undefined once the session is over. */
export async function accessToken({ forceRefresh = false } = {}): Promise<string | undefined> {
  if (!tokens) return undefined;
  if (forceRefresh || tokens.expiresAt - Date.now() < REFRESH_MARGIN_MS) {
    refreshing ??= refresh().finally(() => {
      refreshing = undefined;
    });
    try {
      await refreshing;
    } catch {
      tokens = undefined;
      setState({ kind: 'logged-out', reason: 'Your session has ended. Log in again.' });
      return undefined;
    }
  }
  return tokens.access;
}

/** Revokes the refresh token, then ends the session at the issuer (a form POST: the ID token stays out of URLs). */
export async function logOut(): Promise<void> {
  const as = await authorizationServer();
  const ended = tokens;
  tokens = undefined;
  if (ended?.refresh && as.revocation_endpoint) {
    await oauth
      .revocationRequest(as, client, clientAuth, ended.refresh, insecure(as.issuer))
      .then(oauth.processRevocationResponse)
      .catch(() => undefined);
  }
  sessionStorage.setItem(SILENT_KEY, String(Date.now()));
  if (!as.end_session_endpoint) {
    setState({ kind: 'logged-out' });
    return;
  }
  const form = document.createElement('form');
  form.method = 'post';
  form.action = as.end_session_endpoint;
  const fields: Record<string, string> = {
    client_id: CONSOLE_CLIENT_ID,
    post_logout_redirect_uri: `${location.origin}${CONSOLE_PATH}`,
    ...(ended?.idToken && { id_token_hint: ended.idToken }),
  };
  for (const [name, value] of Object.entries(fields)) {
    const input = document.createElement('input');
    input.type = 'hidden';
    input.name = name;
    input.value = value;
    form.append(input);
  }
  document.body.append(form);
  form.submit();
}
