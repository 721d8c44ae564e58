// Bearer tokens of an OAuth context (`drg login` through the issuer). On the path of every command: a token that
// is still fresh costs nothing; only a refresh loads the OIDC client (./refresh.js, imported on demand).
import type { TokenProvider } from '../client/http.js';
import type { Context, OAuthToken } from '../config/config.js';

/** Refresh before a call when the access token expires within this (docs/drogue-api.md). */
export const REFRESH_MARGIN_MS = 30_000;

export type OAuthContext = Context & { token: OAuthToken };

export function isOAuthContext(context: Context): context is OAuthContext {
  const token = context.token as Partial<OAuthToken> | undefined;
  return typeof token?.access_token === 'string';
}

/** `token_exp_date` in ms since the epoch; undefined when absent or unreadable. */
export function expiresAt(context: Context): number | undefined {
  const ms = typeof context.token_exp_date === 'string' ? Date.parse(context.token_exp_date) : Number.NaN;
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Whether a token expiring at `exp` must be refreshed before a call. `lifetimeS` is the lifetime of a token this
 * process just obtained: such a token is used for half its life even when that is shorter than the margin
 * (otherwise a command with several calls would refresh before each one).
 */
export function needsRefresh(exp: number | undefined, now = Date.now(), lifetimeS?: number): boolean {
  if (exp === undefined) return false;
  const margin = lifetimeS === undefined ? REFRESH_MARGIN_MS : Math.min(REFRESH_MARGIN_MS, (lifetimeS * 1000) / 2);
  return exp - now < margin;
}

/** What a refresh yields: the access token to use and when it expires. */
export interface FreshToken {
  accessToken: string;
  expiresAt?: number;
  /** Seconds, as the issuer said. */
  lifetime?: number;
}

export type RefreshReason = 'expiring' | 'rejected';

/**
 * Refreshes the context's token before a call when it expires within 30 s, and once more when the API rejects it;
 * the refreshed token is persisted (see ./refresh.ts).
 */
export function oauthTokenProvider(context: OAuthContext, configPath: string): TokenProvider {
  let current: FreshToken = { accessToken: context.token.access_token, expiresAt: expiresAt(context) };
  let refreshedHere = false;
  let inFlight: Promise<void> | undefined;

  // Calls made in parallel share one refresh.
  const refresh = (reason: RefreshReason) => {
    inFlight ??= (async () => {
      const { refreshContextToken } = await import('./refresh.js');
      current = await refreshContextToken(configPath, context.name, current.accessToken, reason);
      refreshedHere = true;
    })().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  return {
    async authorization() {
      if (needsRefresh(current.expiresAt, Date.now(), refreshedHere ? current.lifetime : undefined)) {
        await refresh('expiring');
      }
      return `Bearer ${current.accessToken}`;
    },
    async onUnauthorized() {
      // A token this process just got and the server still rejects: refreshing again would not help.
      if (refreshedHere) return false;
      await refresh('rejected');
      return true;
    },
  };
}
