// Where OAuth tokens are stored: the refresh token in the keyring when one works, else in the context (the 0600
// config file); the access token and its expiry always in the context.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  loadRefreshToken,
  removeCredentials,
  type SecretStore,
  storeTokens,
  type TokenResponse,
} from '../../src/auth/token-store.js';
import type { Context } from '../../src/config/config.js';
import { DrgError } from '../../src/errors.js';

class MemoryKeyring implements SecretStore {
  readonly entries = new Map<string, string>();
  async get(account: string) {
    return this.entries.get(account) ?? null;
  }
  async set(account: string, secret: string) {
    this.entries.set(account, secret);
  }
  async delete(account: string) {
    this.entries.delete(account);
  }
}

/** As @napi-rs/keyring on a box without a Secret Service. */
const brokenKeyring: SecretStore = {
  get: async () => {
    throw new Error('Platform failure: DBus error');
  },
  set: async () => {
    throw new Error('Platform failure: DBus error');
  },
  delete: async () => {
    throw new Error('Platform failure: DBus error');
  },
};

const NOW = Date.parse('2026-11-23T10:00:00.000Z');
const tokens = (n: number, extra: Partial<TokenResponse> = {}): TokenResponse => ({
  access_token: `access-${n}`,
  token_type: 'bearer',
  expires_in: 300,
  refresh_token: `refresh-${n}`,
  scope: 'openid offline_access',
  ...extra,
});
const context = (): Context => ({ name: 'default', drogue_cloud_url: 'https://api.example' });

test('with a working keyring the refresh token goes there; the context names the entry and keeps the rest', async () => {
  const keyring = new MemoryKeyring();
  const ctx = context();
  assert.equal(await storeTokens(ctx, tokens(1), keyring, NOW), 'keyring');
  assert.deepEqual(ctx.token, {
    access_token: 'access-1',
    token_type: 'bearer',
    expires_in: 300,
    scope: 'openid offline_access',
  });
  assert.equal(ctx.token_exp_date, '2026-11-23T10:05:00.000Z');
  assert.ok(ctx.token_keyring);
  assert.deepEqual([...keyring.entries], [[ctx.token_keyring, 'refresh-1']]);
  assert.equal(await loadRefreshToken(ctx, keyring), 'refresh-1');

  // A rotation overwrites the same entry.
  const entry = ctx.token_keyring;
  await storeTokens(ctx, tokens(2), keyring, NOW);
  assert.equal(ctx.token_keyring, entry);
  assert.deepEqual([...keyring.entries], [[entry, 'refresh-2']]);

  assert.equal(await removeCredentials(ctx, keyring), true);
  assert.equal(keyring.entries.size, 0);
  assert.deepEqual(ctx, context());
});

test('without a keyring (it fails) the refresh token is stored in the context, in the drg 0.11 format', async () => {
  const ctx = context();
  assert.equal(await storeTokens(ctx, tokens(1), brokenKeyring, NOW), 'file');
  assert.deepEqual(ctx, {
    ...context(),
    token: {
      access_token: 'access-1',
      token_type: 'bearer',
      expires_in: 300,
      refresh_token: 'refresh-1',
      scope: 'openid offline_access',
    },
    token_exp_date: '2026-11-23T10:05:00.000Z',
  });
  assert.equal(await loadRefreshToken(ctx, brokenKeyring), 'refresh-1');
  assert.equal(await removeCredentials(ctx, brokenKeyring), true);
  assert.deepEqual(ctx, context());
  assert.equal(await removeCredentials(ctx, brokenKeyring), false);
});

test('a response without a refresh token keeps the one the context had', async () => {
  for (const keyring of [new MemoryKeyring(), brokenKeyring]) {
    const ctx = context();
    await storeTokens(ctx, tokens(1), keyring, NOW);
    await storeTokens(ctx, tokens(2, { refresh_token: undefined }), undefined, NOW);
    assert.equal(ctx.token && 'access_token' in ctx.token && ctx.token.access_token, 'access-2');
    assert.equal(await loadRefreshToken(ctx, keyring), 'refresh-1');
  }
});

test('a keyring entry that cannot be read is a clear error without the secret; a missing one is no token', async () => {
  const keyring = new MemoryKeyring();
  const ctx = context();
  await storeTokens(ctx, tokens(1), keyring, NOW);
  await assert.rejects(
    loadRefreshToken(ctx, brokenKeyring),
    (err: unknown) =>
      err instanceof DrgError &&
      err.message ===
        'cannot read the refresh token of context default from the OS keyring: Platform failure: DBus error',
  );
  keyring.entries.clear();
  assert.equal(await loadRefreshToken(ctx, keyring), undefined);
});

test('a token without expires_in has no token_exp_date', async () => {
  const ctx = { ...context(), token_exp_date: '2020-01-01T00:00:00Z' };
  await storeTokens(ctx, tokens(1, { expires_in: undefined }), undefined, NOW);
  assert.equal(ctx.token_exp_date, undefined);
});
