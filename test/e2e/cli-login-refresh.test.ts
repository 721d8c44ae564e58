// Token refresh against a real drg serve whose access tokens live 2 s: below drg's 30 s margin, so every command
// refreshes first and the rotation is observable without waiting. Concurrent refreshes, a revoked session, logout,
// and no token in any output or log.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import { readContext } from '../helpers/config.js';
import { ALICE, SecretsWatch, startServeWithAlice } from '../helpers/login.js';
import { drogueClient, logInWithCode } from '../helpers/oidc.js';
import { drg, newConfigPath, ok, serveDuringTests } from '../helpers/serve.js';

const TOKEN_TTL = 2;

const serve = serveDuringTests(() => startServeWithAlice(['--token-ttl', String(TOKEN_TTL)]));
let issuer: client.Configuration;
const watch = new SecretsWatch();
watch.secret(ALICE.password);

before(async () => {
  await serve.ready();
  issuer = await drogueClient(`${serve.url}/oidc`);
});

/** drg, its output and the context's tokens recorded for the final scan. */
async function run(config: string, args: string[]) {
  return watch.run(await drg(config, args), config);
}

/** A config file logged in as alice (context default) through `drg login -t`. */
async function loggedIn(): Promise<string> {
  const tokens = await logInWithCode({ oidc: async () => issuer }, ALICE);
  watch.secret(tokens.access_token, tokens.refresh_token, tokens.id_token);
  const config = newConfigPath();
  ok(await run(config, ['login', serve.url, '-t', tokens.refresh_token ?? '']));
  return config;
}

/** The OAuth error code the issuer answers a refresh with `refreshToken`. */
async function refreshError(refreshToken: string): Promise<string | undefined> {
  try {
    const tokens = await client.refreshTokenGrant(issuer, refreshToken);
    watch.secret(tokens.access_token, tokens.refresh_token);
    return undefined;
  } catch (err) {
    return (err as { error?: string }).error;
  }
}

/** Resolves once the clock has passed `ms` (polled: there is no event for it). */
async function until(ms: number): Promise<void> {
  while (Date.now() <= ms) await delay(Math.min(100, ms - Date.now() + 1));
}

test('after the access token expired, a command refreshes it first and persists the rotated refresh token', async () => {
  const config = await loggedIn();
  const before = readContext(config);
  assert.equal(before.token?.expires_in, TOKEN_TTL);
  await until((decodeJwt(before.token?.access_token ?? '').exp ?? 0) * 1000);

  ok(await run(config, ['create', 'app', 'refreshing-app']));
  const after = readContext(config);
  assert.notEqual(after.token?.access_token, before.token?.access_token);
  assert.notEqual(after.token?.refresh_token, before.token?.refresh_token);
  const exp = (decodeJwt(after.token?.access_token ?? '').exp ?? 0) * 1000;
  assert.ok(Math.abs(Date.parse(after.token_exp_date ?? '') - exp) < 2000, 'token_exp_date matches the JWT');

  // -v shows no more than without it, and the next command refreshes again with the stored refresh token.
  const verbose = ok(await run(config, ['-v', 'get', 'apps', 'refreshing-app', '-o', 'json']));
  assert.equal(JSON.parse(verbose.stdout).metadata.name, 'refreshing-app');
  assert.notEqual(readContext(config).token?.refresh_token, after.token?.refresh_token);
});

test('whoami --token prints the refreshed access token, which the API accepts', async () => {
  const config = await loggedIn();
  const stale = readContext(config).token?.access_token;
  const printed = ok(await drg(config, ['whoami', '--token'])).stdout.trim();
  assert.notEqual(printed, stale);
  assert.equal(printed, readContext(config).token?.access_token);
  const res = await fetch(`${serve.url}/api/admin/v1alpha1/user/whoami`, {
    headers: { authorization: `Bearer ${printed}` },
  });
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { id: string }).id, 'alice');
  watch.context(config);
});

test('concurrent commands that all refresh succeed, and the context survives with a working refresh token', async () => {
  const config = await loggedIn();
  const results = await Promise.all(Array.from({ length: 4 }, () => drg(config, ['whoami', '-o', 'json'])));
  for (const r of results) {
    watch.run(r);
    assert.equal(JSON.parse(ok(r).stdout).user, 'alice');
  }
  const context = readContext(config);
  assert.ok(context.token?.access_token && context.token.refresh_token);
  watch.context(config);
  // No refresh reused a rotated token (the issuer would have ended the session): the next one works too.
  ok(await run(config, ['whoami']));
});

test('a revoked session: a clear one-line error that says to log in again; the config is kept', async () => {
  const config = await loggedIn();
  const context = readContext(config);
  await client.tokenRevocation(issuer, context.token?.refresh_token ?? '');
  for (const args of [
    ['get', 'apps'],
    ['-v', 'whoami'],
  ]) {
    const r = await run(config, args);
    assert.equal(r.code, 4, r.stderr);
    assert.equal(
      r.stderr.split('\n')[0],
      `error: your session for context default has expired or was revoked; run \`drg login ${serve.url}\` again`,
    );
    assert.equal(r.stdout, '');
  }
  const json = await run(config, ['get', 'apps', '-o', 'json']);
  assert.equal(json.code, 4);
  assert.equal(JSON.parse(json.stdout).status, 'failure');
  assert.deepEqual(readContext(config), context);
});

test('logout revokes the session at the issuer and removes the tokens; the context stays', async () => {
  const config = await loggedIn();
  ok(await run(config, ['context', 'default-app', 'refreshing-app']));
  const refreshToken = readContext(config).token?.refresh_token ?? '';

  const out = ok(await run(config, ['logout']));
  assert.equal(
    out.stdout,
    'Logged out of context default: the session was revoked at the issuer and the tokens removed\n',
  );
  assert.equal(await refreshError(refreshToken), 'invalid_grant');
  const context = readContext(config);
  assert.equal(context.token, undefined);
  assert.equal(context.token_exp_date, undefined);
  assert.equal(context.drogue_cloud_url, serve.url);
  assert.equal(context.default_app, 'refreshing-app');

  const anonymous = await run(config, ['get', 'apps']);
  assert.equal(anonymous.code, 4);
  assert.match(anonymous.stderr, /^error: not logged in to /);
  assert.equal(ok(await run(config, ['logout'])).stdout, 'Context default holds no credentials: nothing to do\n');
});

test('no token or password occurs in drg output or in the server logs', () => {
  watch.assertNoneIn(serve.logs());
});
