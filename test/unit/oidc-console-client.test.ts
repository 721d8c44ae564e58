// The web console's OIDC client `drg-console` at drg serve's embedded issuer, driven by a standard client
// (openid-client) and the minimal browser of the OIDC helpers through the real login form: code with PKCE to the
// server's /console/callback, its access token taken by the API as drg's are, silent login and refresh, and
// logout at the end_session endpoint, after which its refresh token is dead (drg's login in the same browser lives).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import { Browser, formsOf, issuerAt, logInWithCode } from '../helpers/oidc.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const ALICE = { user: 'alice', password: 'alice secret 1' };

let s: TestServer;
let origin: string;
let config: client.Configuration;

before(async () => {
  s = await startTestServer(undefined, { users: [{ name: ALICE.user, password: ALICE.password }] });
  origin = new URL(s.url).origin;
  config = await client.discovery(new URL(s.server.issuerUrl), 'drg-console', undefined, client.None(), {
    execute: [client.allowInsecureRequests],
  });
  // As a browser on the console's page: its requests carry the page's Origin.
  config[client.customFetch] = (url, options) => {
    const headers = new Headers(options.headers);
    headers.set('origin', origin);
    return fetch(url, { ...options, headers } as RequestInit);
  };
});
after(() => s?.close());

const redirectUri = () => `${s.url}/console/callback`;

/** Follows redirects on the server until one reaches the console's callback (returned), or a page (returned). */
async function untilCallback(browser: Browser, start: URL, form?: Record<string, string>) {
  let url = start;
  let res = await browser.request(url, { form });
  for (let hops = 0; res.status >= 300 && res.status < 400; hops++) {
    assert.ok(hops < 10, 'too many redirects');
    url = new URL(res.headers.get('location') ?? '', url);
    if (url.pathname === '/console/callback') return { callback: url };
    res = await browser.request(url);
  }
  return { page: { res, url } };
}

/** The console's authorization request; `silent`: prompt=none. Resolves with what the callback got. */
async function authorize(browser: Browser, { silent = false } = {}) {
  const pkceCodeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const authUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri(),
    scope: 'openid profile',
    code_challenge: await client.calculatePKCECodeChallenge(pkceCodeVerifier),
    code_challenge_method: 'S256',
    state,
    ...(silent && { prompt: 'none' }),
  });
  let done = await untilCallback(browser, authUrl);
  if (done.page) {
    assert.equal(done.page.res.status, 200);
    const html = await done.page.res.text();
    const [loginForm] = formsOf(html, done.page.url);
    done = await untilCallback(browser, new URL(loginForm.action), {
      ...loginForm.fields,
      username: ALICE.user,
      password: ALICE.password,
    });
  }
  assert.ok(done.callback, `expected a redirect to the console, got HTTP ${done.page?.res.status}`);
  return { callbackUrl: done.callback, pkceCodeVerifier, state };
}

async function logIn(browser = new Browser()) {
  const { callbackUrl, pkceCodeVerifier, state } = await authorize(browser);
  const tokens = await client.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier, expectedState: state });
  return { browser, tokens };
}

const whoami = (accessToken: string) =>
  fetch(`${s.url}/api/admin/v1alpha1/user/whoami`, { headers: { authorization: `Bearer ${accessToken}` } });

/** The OAuth error code the server answered with. */
async function oauthError(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => assert.fail('expected the server to refuse'),
    (e: unknown) => e as { error?: string },
  );
  assert.ok(err.error, `expected an OAuth error response, got ${String(err)}`);
  return err.error;
}

/** Ends the issuer session as the console does: id_token_hint and post_logout_redirect_uri, then "Log out". */
async function endSession(browser: Browser, idToken: string, postLogoutRedirectUri?: string) {
  const endpoint = config.serverMetadata().end_session_endpoint;
  assert.ok(endpoint);
  const confirm = await browser.request(endpoint, {
    form: {
      client_id: 'drg-console',
      id_token_hint: idToken,
      ...(postLogoutRedirectUri && { post_logout_redirect_uri: postLogoutRedirectUri }),
    },
  });
  assert.equal(confirm.status, 200);
  const html = await confirm.text();
  const [form] = formsOf(html, new URL(endpoint));
  return { html, form, done: await browser.request(form.action, { form: { ...form.fields, logout: 'yes' } }) };
}

describe('the console client drg-console', () => {
  test('code + PKCE through the login form to /console/callback; the API takes its access token as drg’s', async () => {
    const { tokens } = await logIn();
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.sub, ALICE.user);
    assert.equal(claims.aud, 'drogue');
    assert.equal(claims.client_id, 'drg-console');
    const res = await whoami(tokens.access_token);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { id: ALICE.user });
    assert.ok(tokens.refresh_token, 'a refresh token, for silent refresh');
    assert.ok(tokens.id_token, 'an ID token, the hint for logout');
  });

  test('other redirect URIs are refused', async () => {
    for (const uri of ['http://127.0.0.1:1/console/callback', `${s.url}/console/`, 'http://localhost:40101/']) {
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: uri,
        scope: 'openid',
        code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      });
      const res = await new Browser().request(url);
      assert.equal(res.status, 400, uri);
      assert.match(await res.text(), /redirect_uri/, uri);
    }
  });

  test('PKCE is required', async () => {
    const url = client.buildAuthorizationUrl(config, { redirect_uri: redirectUri(), scope: 'openid' });
    const { callback } = await untilCallback(new Browser(), url);
    assert.equal(callback?.searchParams.get('error'), 'invalid_request');
  });

  test('the token endpoint refuses another origin', async () => {
    const browser = new Browser();
    const { callbackUrl, pkceCodeVerifier } = await authorize(browser);
    const res = await fetch(config.serverMetadata().token_endpoint as string, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: 'drg-console',
        code: callbackUrl.searchParams.get('code') ?? '',
        redirect_uri: redirectUri(),
        code_verifier: pkceCodeVerifier,
      }),
    });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_request');
    assert.equal(res.headers.get('access-control-allow-origin'), null);
  });

  test('refresh rotates the refresh token; a reload logs in silently (prompt=none) while the session lasts', async () => {
    const { browser, tokens } = await logIn();
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token as string);
    assert.ok(refreshed.refresh_token);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
    assert.equal((await whoami(refreshed.access_token)).status, 200);
    const silent = await authorize(browser, { silent: true });
    assert.ok(silent.callbackUrl.searchParams.get('code'));
    // Without a session, prompt=none gets an error at the callback, not a form.
    const none = await authorize(new Browser(), { silent: true });
    assert.equal(none.callbackUrl.searchParams.get('error'), 'login_required');
  });

  test('logout at end_session: a labelled Log out button, back to /console/, then the refresh token is dead', async () => {
    const { browser, tokens } = await logIn();
    // drg logged in in the same browser: its login outlives the console's logout.
    const cli = await logInWithCode(issuerAt(s.server.issuerUrl), { browser, ...ALICE });
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token as string);

    const { html, done } = await endSession(browser, tokens.id_token as string, `${s.url}/console/`);
    assert.match(html, /<title>Log out – drg serve<\/title>/);
    assert.match(html, /<button type="submit" form="op\.logoutForm" name="logout" value="yes"[^>]*>Log out<\/button>/);
    assert.match(html, /logged in as alice/);
    assert.equal(done.status, 303);
    assert.equal(done.headers.get('location'), `${s.url}/console/`);

    assert.equal(
      await oauthError(client.refreshTokenGrant(config, refreshed.refresh_token as string)),
      'invalid_grant',
    );
    // The issuer's session is over: a reload cannot log in silently.
    const silent = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri(),
      scope: 'openid profile',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      prompt: 'none',
    });
    const { callback } = await untilCallback(browser, silent);
    assert.equal(callback?.searchParams.get('error'), 'login_required');

    const cliConfig = await issuerAt(s.server.issuerUrl).oidc();
    const cliRefreshed = await client.refreshTokenGrant(cliConfig, cli.refresh_token as string);
    assert.equal((await whoami(cliRefreshed.access_token)).status, 200);
  });

  test('without post_logout_redirect_uri, the logged-out page in the login form’s style', async () => {
    const { browser, tokens } = await logIn();
    const { done } = await endSession(browser, tokens.id_token as string);
    assert.equal(done.status, 303);
    const page = await browser.request(new URL(done.headers.get('location') ?? '', s.url));
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    const html = await page.text();
    assert.match(html, /<h1>Logged out<\/h1>/);
    assert.match(html, /font-family:system-ui/);
  });

  test('logout by GET with client_id alone (no token in the URL) shows the same confirmation', async () => {
    const { browser, tokens } = await logIn();
    const url = new URL(config.serverMetadata().end_session_endpoint as string);
    url.searchParams.set('client_id', 'drg-console');
    url.searchParams.set('post_logout_redirect_uri', `${s.url}/console/`);
    const confirm = await browser.request(url);
    assert.equal(confirm.status, 200);
    const [form] = formsOf(await confirm.text(), url);
    const done = await browser.request(form.action, { form: { ...form.fields, logout: 'yes' } });
    assert.equal(done.headers.get('location'), `${s.url}/console/`);
    assert.equal(await oauthError(client.refreshTokenGrant(config, tokens.refresh_token as string)), 'invalid_grant');
  });

  test('a post_logout_redirect_uri other than the console’s is refused', async () => {
    const { browser, tokens } = await logIn();
    const res = await browser.request(config.serverMetadata().end_session_endpoint as string, {
      form: { id_token_hint: tokens.id_token as string, post_logout_redirect_uri: 'http://evil.example/' },
    });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /post_logout_redirect_uri/);
  });
});
