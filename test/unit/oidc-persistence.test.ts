// The embedded issuer keeps its keys, grants and sessions in the data directory: logins survive a restart.
// Also: mounted on fastify (issuerRoutes), the flows work the same.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import * as client from 'openid-client';
import { authorize, Browser, logInWithCode, startIssuer, USER } from '../helpers/oidc.js';

test('after a restart on the same data directory, tokens, refresh tokens and browser sessions still work', async () => {
  const first = await startIssuer();
  const browser = new Browser();
  let tokens: Awaited<ReturnType<typeof logInWithCode>>;
  try {
    tokens = await logInWithCode(first, { browser });
  } finally {
    await first.close();
  }

  const second = await startIssuer({ dataDir: first.dataDir, port: first.port });
  try {
    assert.equal((await second.issuer.verifier.verify(tokens.access_token)).user, USER);

    const refreshed = await client.refreshTokenGrant(await second.oidc(), tokens.refresh_token ?? '');
    assert.equal((await second.issuer.verifier.verify(refreshed.access_token)).user, USER);
    assert.equal(decodeProtectedHeader(refreshed.access_token).kid, decodeProtectedHeader(tokens.access_token).kid);

    // The browser's session cookie is still good: no login form this time.
    const again = await authorize(second, { browser, password: 'not needed' });
    assert.ok(again.callbackUrl.searchParams.get('code'));

    const signingKeys = second.db.prepare("SELECT count(*) FROM oidc_secrets WHERE purpose = 'signing'").pluck().get();
    assert.equal(signingKeys, 1);
    assert.deepEqual([...first.errors, ...second.errors], []);
  } finally {
    await second.close();
  }
});

test('mounted on fastify, code flow with the login form, refresh and device authorization work', async () => {
  const h = await startIssuer({ fastify: true });
  try {
    const tokens = await logInWithCode(h);
    assert.equal((await h.issuer.verifier.verify(tokens.access_token)).user, USER);
    const config = await h.oidc();
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token ?? '');
    assert.ok(refreshed.refresh_token);
    const device = await client.initiateDeviceAuthorization(config, { scope: 'openid offline_access' });
    assert.ok(device.user_code);
    assert.deepEqual(h.errors, []);
  } finally {
    await h.close();
  }
});
