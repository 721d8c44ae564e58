// The console's access tokens in a real browser against a real drg serve: a new token is shown once (with Copy and a
// warning), works against the API as Basic alice:token, is kept nowhere (storage, the page after the dialog, the
// server's log), and stops working once deleted.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { TOKENS_BASE } from '../../src/model/api-paths.js';
import { type ConsoleHarness, SCREENSHOTS, startConsole } from '../helpers/browser.js';
import { basic } from '../helpers/config.js';
import { ALICE } from '../helpers/login.js';

const XSS = '<img src=x onerror=alert(1)>';

let h: ConsoleHarness;
let token = '';
let prefix = '';
const dialogs: string[] = [];

before(async () => {
  h = await startConsole();
  await h.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: h.server.url });
  h.page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
});
after(() => h.close());

const tokensWith = (secret: string) =>
  fetch(`${h.server.url}${TOKENS_BASE}`, { headers: { authorization: basic(ALICE.user, secret) } });

const tokenRow = (p: string) => h.page.locator('[data-page="tokens"] table').getByRole('row').filter({ hasText: p });

test('create a token: shown once in a dialog with a warning and Copy', async () => {
  await h.login();
  await h.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Access tokens' }).click();
  await h.page.locator('[data-page="tokens"]').getByText('You have no access tokens.').waitFor();
  await h.page.getByLabel('Description').fill(`CI ${XSS}`);
  await h.page.getByRole('button', { name: 'Create token' }).click();
  const dialog = h.page.getByRole('dialog', { name: 'New access token' });
  await dialog.getByText('it will not be shown again').waitFor();
  token = await dialog.getByLabel('Token').inputValue();
  assert.match(token, /^drg_[A-Za-z0-9]+_\S+$/);
  prefix = /^(drg_[A-Za-z0-9]+)_/.exec(token)![1];
  await dialog.getByRole('button', { name: 'Copy' }).click();
  await dialog.getByRole('status').filter({ hasText: 'Copied.' }).waitFor();
  assert.equal(await h.page.evaluate(() => navigator.clipboard.readText()), token);
  // The dialog, with the secret masked: a screenshot is an artifact others read.
  await h.page.screenshot({ path: join(SCREENSHOTS, 'tokens-created.png'), mask: [dialog.getByLabel('Token')] });

  await dialog.getByRole('button', { name: 'Done' }).click();
  await tokenRow(prefix).getByText(`CI ${XSS}`, { exact: true }).waitFor();
  assert.ok(!(await h.page.content()).includes(token), 'the token left the page with the dialog');
  const stored = await h.page.evaluate(
    () => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }),
  );
  assert.ok(!stored.includes(token), 'not in localStorage or sessionStorage');
  assert.ok(!h.server.logs().includes(token), 'not in the server log');
  assert.equal(await h.page.locator('[data-page="tokens"] img').count(), 0, 'the description is text');
  assert.deepEqual(dialogs, [], 'no alert fired');
  await h.screenshot('tokens');
});

test('the token works against the API as Basic alice:token', async () => {
  const response = await tokensWith(token);
  assert.equal(response.status, 200);
  const list = (await response.json()) as Array<{ prefix: string; description?: string }>;
  assert.deepEqual(
    list.map((t) => [t.prefix, t.description]),
    [[prefix, `CI ${XSS}`]],
  );
});

test('delete asks first, then removes it: it no longer works', async () => {
  await tokenRow(prefix)
    .getByRole('button', { name: `Delete token ${prefix}` })
    .click();
  const dialog = h.page.getByRole('dialog', { name: `Delete token ${prefix}` });
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  assert.equal((await tokensWith(token)).status, 200, 'cancel keeps it');

  await tokenRow(prefix)
    .getByRole('button', { name: `Delete token ${prefix}` })
    .click();
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await tokenRow(prefix).waitFor({ state: 'detached' });
  await h.page
    .getByRole('status')
    .filter({ hasText: `Token ${prefix} deleted` })
    .waitFor();
  assert.equal((await tokensWith(token)).status, 403);
  await h.page.reload();
  await h.page.locator('[data-page="tokens"]').getByText('You have no access tokens.').waitFor();
});
