// Where an OAuth context's tokens live: the drg 0.11 fields of the context (`token: {access_token, token_type,
// expires_in, refresh_token, scope}`, `token_exp_date`) in the 0600 config file, except the refresh token, which
// goes to the OS keyring when there is one: the context then names its keyring entry in `token_keyring`.
// The short-lived access token stays in the file, so a command with a fresh token never loads the keyring.
import type { Context, OAuthToken } from '../config/config.js';
import { DrgError } from '../errors.js';

/** A place for secrets, by account name. */
export interface SecretStore {
  get(account: string): Promise<string | null>;
  set(account: string, secret: string): Promise<void>;
  delete(account: string): Promise<void>;
}

/** The keyring service under which drg keeps refresh tokens. */
export const KEYRING_SERVICE = 'drg';

/**
 * The OS keyring (macOS Keychain, Windows Credential Manager, the Secret Service on Linux). On Linux only the
 * Secret Service: the kernel keyring that @napi-rs/keyring falls back to forgets everything when the session ends.
 * On a box without one, operations fail fast; callers fall back to the file.
 */
export function osKeyring(): SecretStore {
  const entry = async (account: string) => {
    const { AsyncEntry } = await import('@napi-rs/keyring');
    return new AsyncEntry(KEYRING_SERVICE, account, { linux: { store: 'secret-service' } });
  };
  return {
    get: async (account) => (await entry(account)).getPassword(),
    set: async (account, secret) => (await entry(account)).setPassword(secret),
    delete: async (account) => {
      await (await entry(account)).deletePassword();
    },
  };
}

/** The token endpoint's answer (RFC 6749 5.1). */
export interface TokenResponse {
  access_token: string;
  token_type?: string;
  expires_in?: number;
  refresh_token?: string;
  scope?: string;
}

/**
 * Puts a token response into the context. The refresh token goes to `secrets` when given and it works, else into
 * the context; a response without one keeps the refresh token the context had. Returns where it went.
 */
export async function storeTokens(
  context: Context,
  tokens: TokenResponse,
  secrets: SecretStore | undefined,
  now = Date.now(),
): Promise<'keyring' | 'file'> {
  const previous = context.token as Partial<OAuthToken> | undefined;
  const token: OAuthToken = { access_token: tokens.access_token, token_type: tokens.token_type ?? 'Bearer' };
  if (tokens.expires_in !== undefined) token.expires_in = tokens.expires_in;
  if (tokens.scope !== undefined) token.scope = tokens.scope;
  context.token = token;
  if (tokens.expires_in !== undefined) context.token_exp_date = new Date(now + tokens.expires_in * 1000).toISOString();
  else delete context.token_exp_date;

  const refreshToken = tokens.refresh_token;
  if (refreshToken === undefined) {
    if (typeof previous?.refresh_token === 'string') token.refresh_token = previous.refresh_token;
    return typeof context.token_keyring === 'string' ? 'keyring' : 'file';
  }
  if (secrets) {
    const account =
      typeof context.token_keyring === 'string' ? context.token_keyring : (await import('node:crypto')).randomUUID();
    try {
      await secrets.set(account, refreshToken);
      context.token_keyring = account;
      return 'keyring';
    } catch {
      // No usable keyring: the file it is.
    }
  }
  await forgetKeyringEntry(context, secrets);
  token.refresh_token = refreshToken;
  return 'file';
}

/** The context's refresh token, from the keyring or the file; undefined when it has none. */
export async function loadRefreshToken(
  context: Context,
  secrets: SecretStore = osKeyring(),
): Promise<string | undefined> {
  if (typeof context.token_keyring === 'string') {
    let secret: string | null;
    try {
      secret = await secrets.get(context.token_keyring);
    } catch (err) {
      throw new DrgError(
        `cannot read the refresh token of context ${context.name} from the OS keyring: ${reason(err)}`,
        {
          hint: `log in again: drg login ${context.drogue_cloud_url} -c ${context.name}`,
        },
      );
    }
    return secret ?? undefined;
  }
  const token = context.token as Partial<OAuthToken> | undefined;
  return typeof token?.refresh_token === 'string' ? token.refresh_token : undefined;
}

/** Removes the context's credentials, from the keyring too. Returns whether there were any. */
export async function removeCredentials(context: Context, secrets: SecretStore = osKeyring()): Promise<boolean> {
  const had = context.token !== undefined || context.token_keyring !== undefined;
  await forgetKeyringEntry(context, secrets);
  delete context.token;
  delete context.token_exp_date;
  return had;
}

async function forgetKeyringEntry(context: Context, secrets: SecretStore | undefined): Promise<void> {
  const account = context.token_keyring;
  delete context.token_keyring;
  if (typeof account !== 'string' || !secrets) return;
  // A keyring that cannot be reached now keeps an orphaned entry: nothing refers to it any more.
  await secrets.delete(account).catch(() => {});
}

/** The first line of an error's message (keyring errors name the store's problem, never a secret). */
function reason(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}
