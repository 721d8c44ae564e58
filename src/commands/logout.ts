// `drg logout [-c NAME]`: revokes the context's OIDC session at the issuer and removes its credentials (from the
// keyring too). The context stays, with its URL and default application: `drg login URL -c NAME` logs in again.
import { isOAuthContext } from '../auth/oauth-tokens.js';
import { loadRefreshToken, osKeyring, removeCredentials, type SecretStore } from '../auth/token-store.js';
import type { GlobalOptions } from '../cli.js';
import { readConfig, resolveContext } from '../client/session.js';
import { type Context, configPath, updateConfig } from '../config/config.js';
import { colorsFor } from '../output/colors.js';
import { CliError } from '../output/errors.js';
import { loggedOutMessage } from '../output/messages.js';
import { outputFormat, reportSuccess } from './common.js';

export async function logout(globals: GlobalOptions): Promise<void> {
  const format = outputFormat(globals);
  const { config } = await readConfig(globals);
  const name = resolveContext(globals, config).name;

  // Inside the lock: a concurrent refresh cannot rotate the refresh token between reading and revoking it.
  const { outcome, warning } = await updateConfig(configPath(globals.config), async (cfg) => {
    const context = cfg.contexts.find((c) => c.name === name);
    if (!context) throw new CliError(`context ${name} not found`);
    if (!isOAuthContext(context) && context.token_keyring === undefined) {
      if (!(await removeCredentials(context))) return {};
      return {
        outcome:
          'the access token was removed from the config; it stays valid until deleted (`drg delete token PREFIX`)',
      };
    }
    const keyring = osKeyring();
    const result = await endSession(context, keyring);
    await removeCredentials(context, keyring);
    return result;
  });
  if (warning) process.stderr.write(`${colorsFor(process.stderr).yellow('warning:')} ${warning}\n`);
  reportSuccess(format, loggedOutMessage(name, outcome));
}

interface LogoutResult {
  outcome?: string;
  /** Why the session could not be revoked: the tokens are removed anyway. */
  warning?: string;
}

async function endSession(context: Context, keyring: SecretStore): Promise<LogoutResult> {
  const removed = 'the tokens were removed';
  try {
    const refreshToken = await loadRefreshToken(context, keyring);
    if (!refreshToken) return { outcome: removed };
    const { discoverIssuer, issuerOfCluster, revokeRefreshToken } = await import('../auth/oidc.js');
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
