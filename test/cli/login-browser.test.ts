// `drg login URL` through a real headless browser against a real drg serve: the authorization code flow with
// PKCE and state through drg's loopback listener, the stored context, and API calls with it.
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { parse, stringify } from 'yaml';
import { activeContextName, readContext } from '../helpers/config.js';
import { runDrg as drg, localServerDuringTests, startDrg, startLocalServer } from '../helpers/drg.js';
import { ALICE, launchChromium, SecretsWatch, startServerWithAlice, submitLoginForm } from '../helpers/login.js';
import { newConfigPath, ok } from '../helpers/serve.js';

const serve = localServerDuringTests(startServerWithAlice);
let browser: Browser;
const watch = new SecretsWatch();
watch.secret(ALICE.password);

before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

const LOGIN_URL = /^ {2}(http\S+)$/m;

test('browser login: drg prints the URL, the user logs in on the form, drg stores an OAuth context that works', async () => {
  const config = newConfigPath();
  const login = startDrg(config, ['login', serve.url, '--no-browser']);
  const [, url] = await login.waitForStderr(LOGIN_URL);

  const authUrl = new URL(url);
  assert.equal(`${authUrl.origin}${authUrl.pathname}`, `${serve.url}/oidc/auth`);
  const params = authUrl.searchParams;
  assert.equal(params.get('client_id'), 'drogue');
  assert.equal(params.get('response_type'), 'code');
  assert.equal(params.get('scope'), 'openid offline_access');
  assert.equal(params.get('code_challenge_method'), 'S256');
  assert.match(params.get('code_challenge') ?? '', /^[\w-]{43}$/);
  assert.match(params.get('state') ?? '', /^[\w-]{20,}$/);
  assert.match(params.get('redirect_uri') ?? '', /^http:\/\/localhost:\d+\/$/);

  const page = await browser.newPage();
  try {
    await page.goto(url);
    await submitLoginForm(page);
    await page.waitForURL(/^http:\/\/localhost:\d+\/\?/);
    assert.match((await page.textContent('body')) ?? '', /drg is logged in\. You can close this window\./);
  } finally {
    await page.close();
  }

  const result = ok(watch.run(await login.done, config));
  assert.equal(result.stdout, `Logged in to ${serve.url} as ${ALICE.user} (context default, active)\n`);
  assert.equal(statSync(config).mode & 0o777, 0o600);
  assert.equal(activeContextName(config), 'default');
  const context = readContext(config);
  assert.equal(context.drogue_cloud_url, serve.url);
  assert.equal(context.issuer_url, `${serve.url}/oidc`);
  assert.equal(context.auth_url, `${serve.url}/oidc/auth`);
  assert.equal(context.token_url, `${serve.url}/oidc/token`);
  assert.match(context.token?.token_type ?? '', /^bearer$/i);
  assert.match(context.token?.access_token ?? '', /^ey[\w-]+\.[\w-]+\.[\w-]+$/);
  assert.ok(context.token?.refresh_token, 'no keyring on this machine: the refresh token is in the 0600 file');
  assert.equal(context.token_keyring, undefined);
  const expiresIn = Date.parse(context.token_exp_date ?? '') - Date.now();
  assert.ok(expiresIn > 200_000 && expiresIn <= 300_000, `token_exp_date ${context.token_exp_date}`);

  assert.equal(
    ok(watch.run(await drg(config, ['whoami']))).stdout.split('\n')[0],
    `You are logged in to ${serve.url} as alice (context default)`,
  );
  ok(watch.run(await drg(config, ['create', 'app', 'alice-browser-app'])));
  assert.deepEqual(
    JSON.parse(ok(watch.run(await drg(config, ['get', 'apps', '-o', 'json']))).stdout).map(
      (a: { metadata: { name: string } }) => a.metadata.name,
    ),
    ['alice-browser-app'],
  );
});

test('without --no-browser the URL is printed too; -c names the context, -k keeps the active one', async () => {
  const config = newConfigPath();
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    for (const [name, extra] of [
      ['first', []],
      ['second', ['-k']],
    ] as const) {
      const login = startDrg(config, ['login', serve.url, '-c', name, ...extra]);
      const [, url] = await login.waitForStderr(LOGIN_URL);
      await page.goto(url);
      // The second time, the browser's session at the issuer skips the form.
      if (name === 'first') await submitLoginForm(page);
      await page.waitForURL(/^http:\/\/localhost:\d+\/\?/);
      const result = ok(watch.run(await login.done, config, name));
      assert.equal(
        result.stdout,
        `Logged in to ${serve.url} as alice (context ${name}${name === 'first' ? ', active' : ''})\n`,
      );
    }
  } finally {
    await context.close();
  }
  assert.equal(activeContextName(config), 'first');
  assert.notEqual(
    readContext(config, 'first').token?.refresh_token,
    readContext(config, 'second').token?.refresh_token,
  );
  assert.equal(
    JSON.parse(ok(watch.run(await drg(config, ['whoami', '-c', 'second', '-o', 'json']))).stdout).user,
    'alice',
  );
});

test('the loopback listener ignores an answer with a wrong state, and fails the login on an error with the right one', async () => {
  const config = newConfigPath();
  const login = startDrg(config, ['login', serve.url, '--no-browser']);
  const [, url] = await login.waitForStderr(LOGIN_URL);
  const params = new URL(url).searchParams;
  const redirect = new URL(params.get('redirect_uri') ?? '');
  const loopback = `http://127.0.0.1:${redirect.port}/`;

  const forged = await fetch(`${loopback}?code=stolen&state=not-the-state`);
  assert.equal(forged.status, 400);
  assert.match(await forged.text(), /does not belong to the login drg is waiting for/);
  assert.equal((await fetch(`${loopback}favicon.ico`)).status, 404);

  const denied = await fetch(`${loopback}?error=access_denied&error_description=nope&state=${params.get('state')}`);
  assert.equal(denied.status, 400);
  const result = watch.run(await login.done);
  assert.equal(result.code, 1);
  assert.equal(result.stderr.split('\n').at(-2), 'error: the issuer refused the login: access_denied (nope)');
  assert.equal(result.stdout, '');
  assert.throws(() => statSync(config), /ENOENT/, 'nothing written');
});

test('an issuer on another host than the API (drg serve --issuer-url): login, calls, refresh and logout', async () => {
  const api = await startLocalServer({ issuerUrl: `${serve.url}/oidc` });
  try {
    const config = newConfigPath();
    const login = startDrg(config, ['login', api.url, '--no-browser']);
    const [, url] = await login.waitForStderr(LOGIN_URL);
    assert.ok(url.startsWith(`${serve.url}/oidc/auth?`), url);
    const page = await browser.newPage();
    try {
      await page.goto(url);
      await submitLoginForm(page);
      await page.waitForURL(/^http:\/\/localhost:\d+\/\?/);
    } finally {
      await page.close();
    }
    ok(watch.run(await login.done, config));
    const context = readContext(config);
    assert.equal(context.drogue_cloud_url, api.url);
    assert.equal(context.issuer_url, `${serve.url}/oidc`);
    assert.equal(context.token_url, `${serve.url}/oidc/token`);
    assert.equal(JSON.parse(ok(watch.run(await drg(config, ['whoami', '-o', 'json']), config)).stdout).user, 'alice');

    // Expiring: refreshed at the issuer, used at the API.
    const cfg = parse(readFileSync(config, 'utf8'));
    cfg.contexts[0].token_exp_date = new Date(Date.now() + 5_000).toISOString();
    writeFileSync(config, stringify(cfg), { mode: 0o600 });
    ok(watch.run(await drg(config, ['create', 'app', 'alice-elsewhere']), config));
    assert.notEqual(readContext(config).token?.refresh_token, context.token?.refresh_token);

    assert.match(ok(watch.run(await drg(config, ['logout']), config)).stdout, /the session was revoked at the issuer/);
    assert.equal(readContext(config).token, undefined);
  } finally {
    await api.server.close();
    watch.assertNoneIn(api.logs());
  }
});

test('no token or password occurs in drg output or in the server logs', () => {
  watch.assertNoneIn(serve.logs());
});
