// The ways `drg login` gets tokens from the issuer: the authorization code flow with PKCE and `state` through a
// browser and the loopback listener, the device authorization grant, and a refresh token the user already has.

import type { DeviceAuthorizationResponse } from 'openid-client';
import { AuthError, DrgError } from '../errors.js';
import { importEsm } from '../esm-import.js';
import { DROGUE_CLI_SCOPE } from '../model/oidc.js';
import { startLoopback } from './loopback.js';
import { failureReason, type OidcClient, oauthErrorCode, openidClient } from './oidc.js';
import type { TokenResponse } from './token-store.js';

/** How long the browser login waits for the browser to come back. */
export const BROWSER_LOGIN_TIMEOUT_MS = 5 * 60_000;

export interface BrowserLoginOptions {
  /** Also try to open the URL in the default browser (it is always printed). */
  openBrowser: boolean;
  /** Shows a line to the user (stderr). */
  tell: (line: string) => void;
  timeoutMs?: number;
}

export async function browserLogin(config: OidcClient, opts: BrowserLoginOptions): Promise<TokenResponse> {
  const client = await openidClient();
  const pkceCodeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const loopback = await startLoopback();
  try {
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: loopback.redirectUri,
      scope: DROGUE_CLI_SCOPE,
      code_challenge: await client.calculatePKCECodeChallenge(pkceCodeVerifier),
      code_challenge_method: 'S256',
      state,
    });
    // Listening for the answer before anyone sees the URL: a browser with a session at the issuer comes back at once.
    const answer = loopback.waitForCallback(state, opts.timeoutMs ?? BROWSER_LOGIN_TIMEOUT_MS);
    answer.catch(() => {});
    opts.tell(`Log in with your browser at:\n\n  ${url.href}\n`);
    if (opts.openBrowser) await openInBrowser(url.href);
    opts.tell('Waiting for the login to complete...');
    const callback = await answer;
    try {
      const tokens = await client.authorizationCodeGrant(config, callback.url, {
        pkceCodeVerifier,
        expectedState: state,
      });
      callback.finish(true, 'drg is logged in. You can close this window.');
      return tokens;
    } catch (err) {
      callback.finish(false, 'drg could not complete the login. Details are shown by drg.');
      throw new DrgError(`the issuer did not complete the login: ${failureReason(err)}`);
    }
  } finally {
    await loopback.close();
  }
}

/** Best effort: `open` does nothing on a machine without a browser, and the URL was printed anyway. */
export async function openInBrowser(url: string): Promise<void> {
  try {
    const { default: open } = await importEsm<typeof import('open')>('open');
    const child = await open(url);
    child.on('error', () => {});
  } catch {
    // The printed URL is the way in.
  }
}

/** RFC 8628: the user confirms a code on another device; drg polls the issuer meanwhile. */
export async function deviceLogin(config: OidcClient, tell: (line: string) => void): Promise<TokenResponse> {
  if (!config.serverMetadata().device_authorization_endpoint) {
    throw new DrgError('the issuer does not offer the device authorization grant: log in with a browser instead');
  }
  const client = await openidClient();
  let device: DeviceAuthorizationResponse;
  try {
    device = await client.initiateDeviceAuthorization(config, { scope: DROGUE_CLI_SCOPE });
  } catch (err) {
    throw new DrgError(`the issuer did not start the device login: ${failureReason(err)}`);
  }
  const complete = device.verification_uri_complete;
  tell(`To log in, open ${device.verification_uri} on any device and enter the code:\n\n  ${device.user_code}\n`);
  if (complete) tell(`or open ${complete}\n`);
  tell('Waiting for the login to complete...');
  try {
    return await client.pollDeviceAuthorizationGrant(config, device);
  } catch (err) {
    switch (oauthErrorCode(err)) {
      case 'expired_token':
        throw new DrgError('the code expired before the login was completed: run `drg login --device` again');
      case 'access_denied':
        throw new DrgError('the login was denied on the verification page');
      default:
        throw new DrgError(`the device login failed: ${failureReason(err)}`);
    }
  }
}

/** `drg login -t REFRESH_TOKEN`: exchanges the token (which rotates) for a fresh set. */
export async function refreshTokenLogin(config: OidcClient, refreshToken: string): Promise<TokenResponse> {
  const client = await openidClient();
  try {
    return await client.refreshTokenGrant(config, refreshToken);
  } catch (err) {
    if (oauthErrorCode(err) === 'invalid_grant') {
      throw new AuthError('the issuer rejected the refresh token: it has expired, was revoked, or was already used');
    }
    throw new DrgError(`cannot log in with the refresh token: ${failureReason(err)}`);
  }
}
