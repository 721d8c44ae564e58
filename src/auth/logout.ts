// `drg logout`: the context's OIDC session revoked at the issuer and its credentials removed (keyring too).
import { resolveContext, type Selection } from '../client/session.js';
import { type Context, loadConfig, updateConfig } from '../config/config.js';
import { DrgError } from '../errors.js';
import { isOAuthContext } from './oauth-tokens.js';
import { loadRefreshToken, osKeyring, removeCredentials, type SecretStore } from './token-store.js';

export interface LogoutResult {
  context: string;
  /** What became of the credentials; none when the context held none. */
  outcome?: string;
  /** Why the session could not be revoked: the tokens are removed anyway. */
  warning?: string;
}

export async function logOut(selection: Selection): Promise<LogoutResult> {
  const config = await loadConfig(selection.configPath);
  const name = resolveContext(selection, config).name;
  // Inside the lock: a concurrent refresh cannot rotate the refresh token between reading and revoking it.
  const result = await updateConfig(selection.configPath, async (cfg) => {
    const context = cfg.contexts.find((c) => c.name === name);
    if (!context) throw new DrgError(`context ${name} not found`);
    if (!isOAuthContext(context) && context.token_keyring === undefined) {
      if (!(await removeCredentials(context))) return {};
      return {
        outcome:
          'the access token was removed from the config; it stays valid until deleted (`drg delete token PREFIX`)',
      };
    }
    const keyring = osKeyring();
    const ended = await endSession(context, keyring);
    await removeCredentials(context, keyring);
    return ended;
  });
  return { context: name, ...result };
}

async function endSession(context: Context, keyring: SecretStore): Promise<Omit<LogoutResult, 'context'>> {
  const removed = 'the tokens were removed';
  try {
    const refreshToken = await loadRefreshToken(context, keyring);
    if (!refreshToken) return { outcome: removed };
    const { discoverIssuer, issuerOfCluster, revokeRefreshToken } = await import('./oidc.js');
    const issuerUrl = context.issuer_url ?? (await issuerOfCluster(context.drogue_cloud_url));
    return (await revokeRefreshToken(await discoverIssuer(issuerUrl), refreshToken))
      ? { outcome: 'the session was revoked at the issuer and the tokens removed' }
      : { outcome: `${removed} (the issuer offers no revocation)` };
  } catch (err) {
    return {
      outcome: removed,
      warning: `the session was not revoked (${(err as Error).message}); it ends when its refresh token expires`,
    };
  }
}
