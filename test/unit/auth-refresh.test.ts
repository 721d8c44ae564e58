// OAuth contexts: when a token is refreshed, the fast path that loads nothing, and the refresh under the config
// lock against the embedded issuer: rotation persisted, compare-and-swap with another process, dead sessions.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { needsRefresh, type OAuthContext, oauthTokenProvider } from '../../src/auth/oauth-tokens.js';
import { refreshContextToken } from '../../src/auth/refresh.js';
import type { Config } from '../../src/config/config.js';
import { DrgError } from '../../src/errors.js';
import { type IssuerHarness, logInWithCode, startIssuer } from '../helpers/oidc.js';
import { tempDir } from '../helpers/serve.js';

const NOW = Date.parse('2026-11-23T10:00:00Z');

test('a token is refreshed when it expires within 30 s; one this process just got, within half its life', () => {
  assert.equal(needsRefresh(undefined, NOW), false);
  assert.equal(needsRefresh(NOW + 31_000, NOW), false);
  assert.equal(needsRefresh(NOW + 29_000, NOW), true);
  assert.equal(needsRefresh(NOW - 1, NOW), true);
  // A 2 s token: always refreshed from the config, but used for 1 s after this process got it.
  assert.equal(needsRefresh(NOW + 2_000, NOW), true);
  assert.equal(needsRefresh(NOW + 2_000, NOW, 2), false);
  assert.equal(needsRefresh(NOW + 900, NOW, 2), true);
  assert.equal(needsRefresh(NOW + 60_000, NOW, 300), false);
  assert.equal(needsRefresh(NOW + 20_000, NOW, 300), true);
});

test('a fresh token is used as it is: no config access, no refresh', async () => {
  const configPath = join(tempDir(), 'missing', 'drg_config.yaml');
  const context: OAuthContext = {
    name: 'default',
    drogue_cloud_url: 'http://127.0.0.1:1',
    token: { access_token: 'fresh-access-token' },
    token_exp_date: new Date(Date.now() + 120_000).toISOString(),
  };
  const provider = oauthTokenProvider(context, configPath);
  assert.equal(await provider.authorization(), 'Bearer fresh-access-token');
  assert.equal(existsSync(join(configPath, '..')), false);
});

describe('refresh under the config lock', () => {
  let h: IssuerHarness;
  before(async () => {
    h = await startIssuer({ accessTokenTtl: 120 });
  });
  after(async () => {
    await h.close();
  });

  /** A config file with an OAuth context `default` logged in at the issuer. */
  async function loggedInConfig(): Promise<{ path: string; accessToken: string; refreshToken: string }> {
    const tokens = await logInWithCode(h);
    const metadata = (await h.oidc()).serverMetadata();
    const config: Config = {
      active_context: 'default',
      contexts: [
        {
          name: 'default',
          drogue_cloud_url: 'http://127.0.0.1:1',
          issuer_url: metadata.issuer,
          token_url: metadata.token_endpoint,
          token: {
            access_token: tokens.access_token,
            token_type: 'bearer',
            expires_in: 120,
            refresh_token: tokens.refresh_token,
          },
          token_exp_date: new Date(Date.now() + 10_000).toISOString(),
        },
      ],
    };
    const path = join(tempDir(), 'drg_config.yaml');
    writeFileSync(path, stringify(config), { mode: 0o600 });
    return { path, accessToken: tokens.access_token, refreshToken: tokens.refresh_token ?? '' };
  }

  const stored = (path: string) => (parse(readFileSync(path, 'utf8')) as Config).contexts[0] as OAuthContext;

  test('refreshes, persists the rotated refresh token and the new expiry', async () => {
    const { path, accessToken, refreshToken } = await loggedInConfig();
    const fresh = await refreshContextToken(path, 'default', accessToken, 'expiring');
    const context = stored(path);
    assert.notEqual(fresh.accessToken, accessToken);
    assert.equal(context.token.access_token, fresh.accessToken);
    assert.notEqual(context.token.refresh_token, refreshToken);
    assert.ok(context.token.refresh_token);
    assert.equal(fresh.lifetime, 120);
    assert.ok(Math.abs((fresh.expiresAt ?? 0) - (Date.now() + 120_000)) < 5_000);
    assert.equal(context.token_exp_date, new Date(fresh.expiresAt ?? 0).toISOString());
  });

  test('two refreshes at once: the second uses the token the first got instead of refreshing again', async () => {
    const { path, accessToken } = await loggedInConfig();
    const [a, b] = await Promise.all([
      refreshContextToken(path, 'default', accessToken, 'expiring'),
      refreshContextToken(path, 'default', accessToken, 'rejected'),
    ]);
    assert.equal(a.accessToken, b.accessToken);
    assert.equal(stored(path).token.access_token, a.accessToken);
    // The stored refresh token was used once only: it still works.
    const next = await refreshContextToken(path, 'default', a.accessToken, 'rejected');
    assert.notEqual(next.accessToken, a.accessToken);
  });

  test('a token another process stored is taken without asking the issuer', async () => {
    const { path } = await loggedInConfig();
    const cfg = parse(readFileSync(path, 'utf8')) as Config;
    // An unreachable issuer: any refresh would fail.
    cfg.contexts[0].token_url = 'http://127.0.0.1:1/token';
    cfg.contexts[0].token_exp_date = new Date(Date.now() + 100_000).toISOString();
    writeFileSync(path, stringify(cfg));
    const fresh = await refreshContextToken(path, 'default', 'the-token-this-process-had', 'expiring');
    assert.equal(fresh.accessToken, stored(path).token.access_token);
  });

  test('a revoked or reused refresh token ends the session with a one-line error; the config stays', async () => {
    const { path, accessToken, refreshToken } = await loggedInConfig();
    const client = await import('openid-client');
    await client.tokenRevocation(await h.oidc(), refreshToken);
    const before = readFileSync(path, 'utf8');
    await assert.rejects(
      refreshContextToken(path, 'default', accessToken, 'expiring'),
      (err: unknown) =>
        err instanceof DrgError &&
        err.message ===
          'your session for context default has expired or was revoked; run `drg login http://127.0.0.1:1` again',
    );
    assert.equal(readFileSync(path, 'utf8'), before);
  });

  test('a context logged out meanwhile is an error, not a crash', async () => {
    const { path, accessToken } = await loggedInConfig();
    const cfg = parse(readFileSync(path, 'utf8')) as Config;
    delete cfg.contexts[0].token;
    writeFileSync(path, stringify(cfg));
    await assert.rejects(
      refreshContextToken(path, 'default', accessToken, 'expiring'),
      /context default was logged out/,
    );
  });
});
