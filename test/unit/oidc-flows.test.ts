// The embedded OpenID Provider over a real socket, driven by a standard OIDC client (openid-client) and a
// minimal browser: discovery, code + PKCE through the login form, refresh rotation, revocation, device flow.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import * as client from 'openid-client';
import { remoteJwtVerifier, TokenRejectedError } from '../../src/server-lite/identity/oidc/verifier.js';
import {
  authorize,
  Browser,
  formsOf,
  type IssuerHarness,
  logInWithCode,
  PASSWORD,
  startIssuer,
  submitLogin,
  USER,
} from '../helpers/oidc.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const STACK_LINE = /\n\s+at [\w.<>]+ \(/;

let h: IssuerHarness;
before(async () => {
  h = await startIssuer({ accessTokenTtl: 120 });
});
after(async () => {
  await h.close();
});

/** Rejects with the OAuth error code of the server's answer. */
async function oauthError(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => assert.fail('expected the server to refuse'),
    (e: unknown) => e as { error?: string },
  );
  assert.ok(err.error, `expected an OAuth error response, got ${String(err)}`);
  return err.error;
}

describe('discovery', () => {
  test('announces the issuer, the flows drg needs and S256 only', async () => {
    const meta = (await h.oidc()).serverMetadata();
    assert.equal(meta.issuer, `http://127.0.0.1:${h.port}/oidc`);
    for (const grant of ['authorization_code', 'refresh_token', DEVICE_GRANT]) {
      assert.ok(meta.grant_types_supported?.includes(grant), grant);
    }
    assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
    assert.ok(meta.device_authorization_endpoint?.startsWith(`${meta.issuer}/`));
    assert.ok(meta.revocation_endpoint?.startsWith(`${meta.issuer}/`));
    assert.ok(meta.scopes_supported?.includes('offline_access'));
  });

  test('paths outside the issuer are not served', async () => {
    const res = await fetch(`http://127.0.0.1:${h.port}/other`);
    assert.equal(res.status, 404);
  });
});

describe('authorization code with PKCE', () => {
  test('the login form leads to a JWT access token the verifier accepts, and a refresh token', async () => {
    const tokens = await logInWithCode(h);
    assert.equal(decodeProtectedHeader(tokens.access_token).typ, 'at+jwt');
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.sub, USER);
    assert.equal(claims.aud, 'drogue');
    assert.equal(claims.iss, h.issuer.issuerUrl);
    assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 120);
    assert.equal(tokens.expires_in, 120);
    assert.equal((await h.issuer.verifier.verify(tokens.access_token)).user, USER);
    assert.ok(tokens.refresh_token);
  });

  test('the ID token is not accepted as an access token', async () => {
    const tokens = await logInWithCode(h);
    assert.ok(tokens.id_token);
    await assert.rejects(h.issuer.verifier.verify(tokens.id_token), TokenRejectedError);
  });

  test('a verifier set up through discovery (as for --issuer-url) accepts the tokens too', async () => {
    const tokens = await logInWithCode(h);
    const remote = remoteJwtVerifier({ issuerUrl: h.issuer.issuerUrl, audience: 'drogue' });
    assert.equal((await remote.verify(tokens.access_token)).user, USER);
  });

  test('loopback redirect URIs work on any port, with or without a trailing slash (RFC 8252)', async () => {
    for (const redirectUri of ['http://localhost:40101/', 'http://[::1]:40102/', 'http://127.0.0.1:40103/']) {
      const tokens = await logInWithCode(h, { redirectUri });
      assert.ok(tokens.access_token, redirectUri);
    }
    // drg 0.11 sends http://localhost:PORT without the slash; the code is then redeemed with the same string.
    const redirectUri = 'http://localhost:40104';
    const { config, callbackUrl, pkceCodeVerifier } = await authorize(h, { redirectUri });
    const code = callbackUrl.searchParams.get('code') ?? '';
    const tokens = await client.genericGrantRequest(config, 'authorization_code', {
      code,
      redirect_uri: redirectUri,
      code_verifier: pkceCodeVerifier,
    });
    assert.equal((await h.issuer.verifier.verify(tokens.access_token)).user, USER);
  });

  test('other redirect URIs are refused on an error page, without redirecting', async () => {
    const config = await h.oidc();
    for (const redirectUri of ['http://example.com:40105/', 'http://127.0.0.1:40106/callback', 'https://localhost/']) {
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: 'openid',
        code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      });
      const res = await new Browser().request(url);
      assert.equal(res.status, 400, redirectUri);
      const html = await res.text();
      assert.match(html, /redirect_uri/);
      assert.doesNotMatch(html, STACK_LINE);
    }
  });

  test('PKCE is required: without a code challenge the client gets invalid_request', async () => {
    const config = await h.oidc();
    const url = client.buildAuthorizationUrl(config, { redirect_uri: 'http://127.0.0.1:40107/', scope: 'openid' });
    const res = await new Browser().follow(url, url.origin);
    assert.ok(res.leftTo);
    assert.equal(res.leftTo.searchParams.get('error'), 'invalid_request');
  });

  test('a code is redeemed only with its PKCE verifier, and only once', async () => {
    const { config, callbackUrl, state, pkceCodeVerifier } = await authorize(h);
    const redeem = (verifier: string) =>
      client.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: verifier, expectedState: state });
    assert.equal(await oauthError(redeem(client.randomPKCECodeVerifier())), 'invalid_grant');
    assert.ok((await redeem(pkceCodeVerifier)).access_token);
    assert.equal(await oauthError(redeem(pkceCodeVerifier)), 'invalid_grant');
  });
});

describe('login page', () => {
  async function openLoginPage() {
    const config = await h.oidc();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: 'http://127.0.0.1:40108/',
      scope: 'openid offline_access',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      state: 'st',
    });
    const browser = new Browser();
    const page = await browser.follow(url, url.origin);
    assert.equal(page.res.status, 200);
    return { browser, url: page.url, html: await page.res.text() };
  }

  test('is a plain form with labelled fields, no scripts', async () => {
    const { html } = await openLoginPage();
    assert.match(html, /<form method="post" action="\/oidc\/interaction\/[\w-]+">/);
    assert.match(html, /<label for="username">Username<\/label>\s*<input id="username" name="username"/);
    assert.match(
      html,
      /<label for="password">Password<\/label>\s*<input id="password" name="password" type="password"/,
    );
    assert.doesNotMatch(html, /<script/i);
  });

  test('a wrong password shows an error on the form, escapes the input, and the form still works', async () => {
    const { browser, url, html } = await openLoginPage();
    const evil = '<script>alert(1)</script>';
    const wrong = await submitLogin(browser, url, html, evil, 'nope');
    assert.equal(wrong.res.status, 200);
    assert.match(wrong.res.headers.get('content-type') ?? '', /^text\/html/);
    const page = await wrong.res.text();
    assert.match(page, /role="alert">Wrong username or password\.</);
    assert.ok(page.includes('value="&lt;script&gt;alert(1)&lt;/script&gt;"'));
    assert.ok(!page.includes(evil));
    assert.doesNotMatch(page, STACK_LINE);

    const again = await submitLogin(browser, wrong.url, page, USER, 'wrong');
    assert.match(await again.res.text(), /Wrong username or password/);
    const right = await submitLogin(browser, wrong.url, page, USER, PASSWORD);
    assert.ok(right.leftTo?.searchParams.get('code'));
  });

  test('an unknown or expired login shows a page, not a stack trace', async () => {
    const res = await fetch(`${h.issuer.issuerUrl}/interaction/unknown-uid`);
    assert.equal(res.status, 400);
    const html = await res.text();
    assert.match(html, /expired or was already completed/);
    assert.doesNotMatch(html, STACK_LINE);
  });

  test('provider errors are plain pages that escape what the request sent', async () => {
    const res = await fetch(`${h.issuer.issuerUrl}/auth?client_id=%3Cb%3Eevil&response_type=code`, {
      headers: { accept: 'text/html' },
    });
    assert.equal(res.status, 400);
    const html = await res.text();
    assert.match(html, /invalid_client/);
    assert.ok(!html.includes('<b>evil'));
    assert.doesNotMatch(html, STACK_LINE);
  });
});

describe('refresh and revocation', () => {
  test('refreshing rotates the refresh token; reusing the old one fails and ends the grant', async () => {
    const config = await h.oidc();
    const first = await logInWithCode(h);
    const second = await client.refreshTokenGrant(config, first.refresh_token ?? '');
    assert.ok(second.refresh_token);
    assert.notEqual(second.refresh_token, first.refresh_token);
    assert.equal((await h.issuer.verifier.verify(second.access_token)).user, USER);

    assert.equal(await oauthError(client.refreshTokenGrant(config, first.refresh_token ?? '')), 'invalid_grant');
    // Reuse of a rotated token revokes the whole grant (theft detection).
    assert.equal(await oauthError(client.refreshTokenGrant(config, second.refresh_token)), 'invalid_grant');
  });

  test('a revoked refresh token stops working', async () => {
    const config = await h.oidc();
    const tokens = await logInWithCode(h);
    await client.tokenRevocation(config, tokens.refresh_token ?? '');
    assert.equal(await oauthError(client.refreshTokenGrant(config, tokens.refresh_token ?? '')), 'invalid_grant');
  });
});

describe('device authorization grant', () => {
  test('the user enters the code and logs in on HTML pages; polling then yields tokens', async () => {
    const config = await h.oidc();
    const device = await client.initiateDeviceAuthorization(config, { scope: 'openid offline_access' });
    const poll = () => client.genericGrantRequest(config, DEVICE_GRANT, { device_code: device.device_code });
    assert.equal(await oauthError(poll()), 'authorization_pending');

    const browser = new Browser();
    const origin = new URL(device.verification_uri).origin;
    const input = await browser.follow(device.verification_uri, origin);
    assert.equal(input.res.status, 200);
    const inputHtml = await input.res.text();
    assert.match(inputHtml, /<label for="user_code">Code<\/label>/);
    assert.doesNotMatch(inputHtml, /<script|onfocus=/i);
    const [codeForm] = formsOf(inputHtml, input.url);

    const wrong = await browser.follow(codeForm.action, origin, {
      form: { ...codeForm.fields, user_code: 'XXXX-XXXX' },
    });
    const wrongHtml = await wrong.res.text();
    assert.match(wrongHtml, /role="alert">That code is not valid/);

    const [retryForm] = formsOf(wrongHtml, wrong.url);
    const confirm = await browser.follow(retryForm.action, origin, {
      form: { ...retryForm.fields, user_code: device.user_code },
    });
    const confirmHtml = await confirm.res.text();
    assert.ok(confirmHtml.includes(device.user_code));
    const [confirmForm] = formsOf(confirmHtml, confirm.url);
    assert.equal(confirmForm.fields.confirm, 'yes');

    const login = await browser.follow(confirmForm.action, origin, { form: confirmForm.fields });
    assert.equal(login.res.status, 200);
    const done = await submitLogin(browser, login.url, await login.res.text(), USER, PASSWORD);
    assert.equal(done.res.status, 200);
    assert.match(await done.res.text(), /The device is logged in/);

    const tokens = await poll();
    assert.equal((await h.issuer.verifier.verify(tokens.access_token)).user, USER);
    assert.ok(tokens.refresh_token);
    assert.equal(await oauthError(poll()), 'invalid_grant');
  });
  test('the verification URI with the code in it leads to the confirmation without JavaScript', async () => {
    const config = await h.oidc();
    const device = await client.initiateDeviceAuthorization(config, { scope: 'openid offline_access' });
    assert.ok(device.verification_uri_complete);
    const browser = new Browser();
    const origin = new URL(device.verification_uri).origin;
    const submit = await browser.follow(device.verification_uri_complete, origin);
    const [form] = formsOf(await submit.res.text(), submit.url);
    assert.equal(form.fields.user_code, device.user_code);
    const confirm = await browser.follow(form.action, origin, { form: form.fields });
    const [confirmForm] = formsOf(await confirm.res.text(), confirm.url);
    assert.equal(confirmForm.fields.confirm, 'yes');
  });
});

describe('logs', () => {
  test('nothing went to the error log', () => {
    assert.deepEqual(h.errors, []);
  });

  test('loading oidc-provider on Node 20 prints nothing', async () => {
    const module = new URL('../../src/server-lite/identity/oidc/load-provider.ts', import.meta.url).href;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', `(await import(${JSON.stringify(module)})).loadOidcProvider()`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
    assert.equal(output, '');
  });
});
