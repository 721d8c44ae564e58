// The console's login in a real browser: the issuer's form, tokens kept in memory only (never in storage, URLs or
// the server's log), a reload that logs in again without the form, a refresh before the access token expires, and a
// logout that ends the session at the issuer and revokes the refresh token.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Request } from 'playwright-core';
import { CONSOLE_CLIENT_ID } from '../../src/model/oidc.js';
import { type ConsoleHarness, startConsole } from '../helpers/browser.js';
import { ALICE, submitLoginForm } from '../helpers/login.js';

let h: ConsoleHarness;
/** Every token the token endpoint handed out, and every request URL the browser made. */
const tokens = new Set<string>();
const urls: string[] = [];
const apiAuthorizations: string[] = [];
/** The token responses' bodies being read: awaited before the tokens are checked and before the browser closes. */
const tokenReads = new Set<Promise<void>>();

async function tokensHandedOut(): Promise<Set<string>> {
  await Promise.all(tokenReads);
  return tokens;
}

before(async () => {
  h = await startConsole();
  h.page.on('request', (request: Request) => {
    urls.push(request.url());
    if (new URL(request.url()).pathname.startsWith('/api/')) apiAuthorizations.push(request.headers().authorization);
  });
  h.page.on('response', (response) => {
    if (!response.url().endsWith('/token') || response.status() !== 200) return;
    const read = response.json().then((body) => {
      for (const name of ['access_token', 'refresh_token', 'id_token']) if (body[name]) tokens.add(body[name]);
    });
    tokenReads.add(read);
    // A read that failed stays in the set, so that the next check fails with its error.
    read.then(
      () => tokenReads.delete(read),
      () => {},
    );
  });
});
after(async () => {
  await Promise.allSettled(tokenReads);
  await h.close();
});

async function storedText(): Promise<string> {
  return h.page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
}

test('the console answers with a strict Content-Security-Policy', async () => {
  const response = await fetch(h.consoleUrl);
  assert.equal(response.status, 200);
  const csp = response.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
});

test('logging in goes through the issuer form and lands on the applications, as the user', async () => {
  await h.login();
  await h.page.getByText(`Logged in as ${ALICE.user}`).waitFor();
  assert.ok((await tokensHandedOut()).size >= 2, 'the browser received an access token and an ID token');
  assert.ok(apiAuthorizations.length > 0, 'the page called the API');
  for (const authorization of apiAuthorizations) assert.match(authorization, /^Bearer /);
  await h.screenshot('login-done');
});

test('no token is kept in storage, put in a URL, or written to the server log', async () => {
  const stored = await storedText();
  const logs = h.server.logs();
  for (const token of await tokensHandedOut()) {
    assert.ok(!stored.includes(token), 'not in localStorage or sessionStorage');
    assert.ok(!urls.some((url) => url.includes(token)), 'not in any URL');
    assert.ok(!logs.includes(token), 'not in the server log');
  }
  assert.equal(await h.page.evaluate(() => localStorage.length), 0);
});

test('a reload logs in again without the form, while the issuer session lasts', async () => {
  const before = urls.length;
  await h.page.reload();
  await h.page.locator('[data-page="apps"]').waitFor();
  const since = urls.slice(before);
  assert.ok(
    since.some((url) => url.includes('prompt=none')),
    'it asked the issuer without a form',
  );
  assert.ok(!since.some((url) => url.includes('/interaction/')), 'no login form was shown');
});

test('an access token about to expire is refreshed before the next call', async () => {
  const refreshed = h.page.waitForRequest(
    (request) => request.url().endsWith('/token') && (request.postData() ?? '').includes('grant_type=refresh_token'),
  );
  // An hour later, for the page: the token it holds has expired.
  await h.page.clock.install();
  await h.page.clock.fastForward('01:00:00');
  await h.page.getByRole('link', { name: 'Access tokens' }).click();
  await refreshed;
  await h.page.locator('[data-page="tokens"]').waitFor();
  await h.page.getByRole('link', { name: 'Applications' }).first().click();
  await h.page.locator('[data-page="apps"]').waitFor();
});

test('logging out ends the session at the issuer and revokes the refresh token', async () => {
  const refreshTokens = [...(await tokensHandedOut())];
  await h.page.getByRole('button', { name: 'Log out' }).click();
  // The issuer asks to confirm; then the console's login screen.
  await h.page.getByRole('button', { name: /log out|sign out|yes/i }).click();
  await h.page.locator('[data-page="login"]').waitFor();
  await h.screenshot('logged-out');
  // None of the refresh tokens works any more.
  const tokenEndpoint = `${h.server.server.issuerUrl}/token`;
  for (const token of refreshTokens) {
    const response = await fetch(tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token, client_id: CONSOLE_CLIENT_ID }),
    });
    assert.notEqual(response.status, 200);
  }
  // Logging in again needs the form: the issuer's session is over.
  await h.page.getByRole('button', { name: 'Log in' }).click();
  await h.page.locator('#username').waitFor();
  await submitLoginForm(h.page);
  await h.page.locator('[data-page="apps"]').waitFor();
});
