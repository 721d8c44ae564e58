// `drg login --device` (driven on the verification pages by a real headless browser), `drg login -t REFRESH_TOKEN`
// and `--access-token` against a real drg serve; a token the server rejects is refreshed once, a permission
// error is not; nothing drg prints and nothing the server logs contains a token.
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { parse, stringify } from 'yaml';
import { readContext } from '../helpers/config.js';
import { runDrg as drg, localServerDuringTests, startDrg } from '../helpers/drg.js';
import {
  ALICE,
  launchChromium,
  packagesLoadedBy,
  SecretsWatch,
  startServerWithAlice,
  submitLoginForm,
} from '../helpers/login.js';
import { issuerAt, logInWithCode } from '../helpers/oidc.js';
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

/** A refresh token of alice's, got outside drg (as from another tool or machine). */
async function refreshTokenOfAlice(): Promise<string> {
  const tokens = await logInWithCode(issuerAt(`${serve.url}/oidc`), ALICE);
  assert.ok(tokens.refresh_token);
  watch.secret(tokens.access_token, tokens.refresh_token, tokens.id_token);
  return tokens.refresh_token;
}

/** drg, with its output and the context's tokens recorded for the final scan. */
async function run(config: string, args: string[]) {
  return watch.run(await drg(config, args), config);
}

const DEVICE_PROMPT = /open (http\S+) on any device and enter the code:\n\n {2}(\S+)\n/;

test('device login: the user enters the code on the verification page and logs in; drg polls and stores the context', async () => {
  const config = newConfigPath();
  const login = startDrg(config, ['login', serve.url, '--device', '-c', 'headless']);
  const [, verificationUri, userCode] = await login.waitForStderr(DEVICE_PROMPT);
  assert.equal(verificationUri, `${serve.url}/oidc/device`);

  const page = await browser.newPage();
  try {
    await page.goto(verificationUri);
    await page.fill('#user_code', userCode);
    await page.click('button[type=submit]');
    assert.match((await page.textContent('code')) ?? '', new RegExp(userCode));
    await page.click('button:not([name=abort])');
    await submitLoginForm(page);
    assert.match((await page.textContent('body')) ?? '', /The device is logged in/);
  } finally {
    await page.close();
  }

  const result = watch.run(await login.done, config, 'headless');
  ok(result);
  assert.equal(result.stdout, `Logged in to ${serve.url} as alice (context headless, active)\n`);
  assert.equal(statSync(config).mode & 0o777, 0o600);
  const context = readContext(config, 'headless');
  assert.ok(context.token?.access_token && context.token.refresh_token);
  assert.equal(JSON.parse(ok(await run(config, ['whoami', '-o', 'json'])).stdout).user, 'alice');
});

test('device login aborted on the confirmation page: drg says so and writes nothing', async () => {
  const config = newConfigPath();
  const login = startDrg(config, ['login', serve.url, '--device']);
  const [, verificationUri, userCode] = await login.waitForStderr(DEVICE_PROMPT);
  const page = await browser.newPage();
  try {
    await page.goto(verificationUri);
    await page.fill('#user_code', userCode);
    await page.click('button[type=submit]');
    await page.click('button[name=abort]');
  } finally {
    await page.close();
  }
  const result = watch.run(await login.done);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /\nerror: the login was denied on the verification page\n$/);
  assert.throws(() => statSync(config), /ENOENT/);
});

test('-t REFRESH_TOKEN logs in without a browser; the token rotates, and the stored one works', async () => {
  const config = newConfigPath();
  const given = await refreshTokenOfAlice();
  const result = ok(await run(config, ['login', serve.url, '-t', given]));
  assert.equal(result.stdout, `Logged in to ${serve.url} as alice (context default, active)\n`);
  const stored = readContext(config).token?.refresh_token;
  assert.ok(stored);
  assert.notEqual(stored, given, 'the issuer rotated the refresh token, and drg stored the new one');
  ok(await run(config, ['create', 'app', 'alice-token-app']));
  assert.equal(
    JSON.parse(ok(await run(config, ['get', 'apps', 'alice-token-app', '-o', 'json'])).stdout).metadata.name,
    'alice-token-app',
  );
});

test('--access-token logs in with Basic credentials, which are never refreshed', async () => {
  const config = newConfigPath();
  ok(await run(config, ['login', serve.url, '-t', await refreshTokenOfAlice()]));
  // Creating an access token is meant to print it: that output is not scanned.
  const created = JSON.parse(ok(await drg(config, ['create', 'token', '-o', 'json'])).stdout);
  watch.secret(created.token);
  const basicConfig = newConfigPath();
  ok(await run(basicConfig, ['login', serve.url, '--access-token', `alice:${created.token}`]));
  const context = readContext(basicConfig);
  assert.deepEqual(context.token, { id: 'alice', token: created.token });
  assert.equal(context.token_exp_date, undefined);
  assert.equal(JSON.parse(ok(await run(basicConfig, ['whoami', '-o', 'json'])).stdout).user, 'alice');
});

test('a token the server rejects is refreshed once and the call retried; a permission error refreshes nothing', async () => {
  const config = newConfigPath();
  ok(await run(config, ['login', serve.url, '-t', await refreshTokenOfAlice()]));

  // An access token that looks fresh to drg but that the server refuses (as after a key change at the issuer).
  const cfg = parse(readFileSync(config, 'utf8'));
  const original = cfg.contexts[0].token.refresh_token;
  cfg.contexts[0].token.access_token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.invalid-signature';
  writeFileSync(config, stringify(cfg), { mode: 0o600 });
  assert.equal(JSON.parse(ok(await run(config, ['whoami', '-o', 'json'])).stdout).user, 'alice');
  const refreshed = readContext(config).token;
  assert.notEqual(refreshed?.refresh_token, original, 'refreshed once');
  assert.match(refreshed?.access_token ?? '', /^eyJ/);

  // admin's application: alice gets a 403 that says why, and her session stays as it is.
  ok(await drg(serve.configPath, ['create', 'app', 'admins-only']));
  const denied = await run(config, ['get', 'app', 'admins-only', '-o', 'json']);
  assert.equal(denied.code, 1);
  assert.equal(JSON.parse(denied.stdout).http_status, 403);
  assert.deepEqual(readContext(config).token, refreshed);
});

test('a fresh token loads neither the OIDC client nor the keyring; an expiring one is refreshed with them', async () => {
  const config = newConfigPath();
  ok(await run(config, ['login', serve.url, '-t', await refreshTokenOfAlice()]));
  const LOGIN_ONLY = ['openid-client', '@napi-rs/keyring', 'open'];

  const fresh = await packagesLoadedBy(config, ['get', 'apps']);
  watch.run(ok(fresh.result), config);
  assert.ok(fresh.packages.has('commander'), 'the recording sees bundled packages');
  for (const name of LOGIN_ONLY) assert.ok(!fresh.packages.has(name), `${name} loaded for a fresh token`);

  const cfg = parse(readFileSync(config, 'utf8'));
  cfg.contexts[0].token_exp_date = new Date(Date.now() + 10_000).toISOString();
  writeFileSync(config, stringify(cfg), { mode: 0o600 });
  const expiring = await packagesLoadedBy(config, ['get', 'apps']);
  watch.run(ok(expiring.result), config);
  assert.ok(expiring.packages.has('openid-client'));
  assert.ok(expiring.packages.has('@napi-rs/keyring') === false, 'the refresh token is in the file: no keyring');
});

test('no token or password occurs in drg output or in the server logs', () => {
  watch.assertNoneIn(serve.logs());
});
