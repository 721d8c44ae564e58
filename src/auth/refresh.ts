// Refreshing an OAuth context's access token, safely across drg processes. The issuer rotates refresh tokens and
// treats the reuse of a rotated one as theft (it ends the session), so two processes must never refresh with the
// same one: the refresh happens under the config file's lock, with the refresh token read inside the lock, and a
// process that finds a token another one just got (compare-and-swap on the access token) uses it instead.
import { updateConfig } from '../config/config.js';
import { AuthError } from '../errors.js';
import {
  expiresAt,
  type FreshToken,
  isOAuthContext,
  needsRefresh,
  type OAuthContext,
  type RefreshReason,
} from './oauth-tokens.js';
import { clientForContext, refreshGrant, sessionEnded } from './oidc.js';
import { loadRefreshToken, osKeyring, storeTokens } from './token-store.js';

/**
 * A fresh access token for the context `name`, replacing `sentToken` (the one the caller has). Persists the
 * rotated refresh token; fails with a one-line error when the session is over.
 */
export async function refreshContextToken(
  configPath: string,
  name: string,
  sentToken: string,
  reason: RefreshReason,
): Promise<FreshToken> {
  return updateConfig(configPath, async (cfg) => {
    const context = cfg.contexts.find((c) => c.name === name);
    if (!context || !isOAuthContext(context)) {
      throw new AuthError(`context ${name} was logged out meanwhile; run \`drg login URL -c ${name}\``);
    }
    if (context.token.access_token !== sentToken && stillUsable(context, reason)) return freshToken(context);

    const keyring = osKeyring();
    const refreshToken = await loadRefreshToken(context, keyring);
    if (!refreshToken) throw sessionEnded(context);
    const oidc = await clientForContext(context);
    const tokens = await refreshGrant(oidc, refreshToken, context);
    await storeTokens(context, tokens, typeof context.token_keyring === 'string' ? keyring : undefined);
    return freshToken(context);
  });
}

/** Whether a token another process stored meanwhile can be used instead of refreshing again. */
function stillUsable(context: OAuthContext, reason: RefreshReason): boolean {
  const exp = expiresAt(context);
  const now = Date.now();
  if (reason === 'rejected') return exp === undefined || exp > now;
  return !needsRefresh(exp, now, context.token.expires_in);
}

function freshToken(context: OAuthContext): FreshToken {
  return {
    accessToken: context.token.access_token,
    expiresAt: expiresAt(context),
    lifetime: context.token.expires_in,
  };
}
