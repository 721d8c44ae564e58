// The console's applications pages in a real browser against a real drg serve: the list with its label-selector and
// name filters, create (a name drg refuses is refused before sending), delete with a finalizer (Deleting until it is
// gone), the overview's labels (a change made elsewhere meanwhile keeps the user's), members and roles, trust
// anchors, and strings from users rendered as text.
import 'reflect-metadata'; // before @peculiar/x509 (its dependency injection needs it)
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { after, before, test } from 'node:test';
import * as x509 from '@peculiar/x509';
import type { Request } from 'playwright-core';
import { appNameProblem } from '../../src/model/names.js';
import type { Application } from '../../src/model/resource.js';
import { parseSelector } from '../../src/model/selector.js';
import { type ConsoleHarness, DESKTOP, PHONE, startConsole } from '../helpers/browser.js';
import { opensslCa } from '../helpers/certs.js';
import { basic } from '../helpers/config.js';
import { ALICE } from '../helpers/login.js';
import { tempDir } from '../helpers/serve.js';

const BOB = { name: 'bob', password: 'bob pass' };
const XSS = '<img src=x onerror=alert(1)>';

let h: ConsoleHarness;
let aliceAuth: string;
const dialogs: string[] = [];

before(async () => {
  h = await startConsole({ users: [{ name: ALICE.user, password: ALICE.password }, BOB] });
  aliceAuth = basic(ALICE.user, h.server.server.accessTokens.create(ALICE.user, 'console-apps test').token);
  h.page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
});
after(() => h.close());

x509.cryptoProvider.set(webcrypto as Crypto);

/** A self-signed CA certificate (PEM) that expired at the start of 2021. */
async function expiredCa(subject: string): Promise<string> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: subject,
    notBefore: new Date('2020-01-01T00:00:00Z'),
    notAfter: new Date('2021-01-01T00:00:00Z'),
    keys,
    signingAlgorithm: algorithm,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  return cert.toString('pem');
}

/** A registry call as alice. */
async function asAlice(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { authorization: aliceAuth };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${h.server.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function appOf(name: string): Promise<Application | undefined> {
  const response = await asAlice('GET', `/api/registry/v1alpha1/apps/${name}`);
  if (response.status === 404) return undefined;
  assert.equal(response.status, 200, `GET app ${name}`);
  return (await response.json()) as Application;
}

async function appNames(): Promise<string[]> {
  const response = await asAlice('GET', '/api/registry/v1alpha1/apps');
  return ((await response.json()) as Application[]).map((a) => a.metadata.name);
}

async function createAsAlice(app: Application): Promise<void> {
  assert.equal((await asAlice('POST', '/api/registry/v1alpha1/apps', app)).status, 201);
}

const table = () => h.page.locator('[data-page="apps"] table');
const row = (name: string) =>
  table()
    .getByRole('row')
    .filter({ has: h.page.getByRole('link', { name, exact: true }) });

test('log in as alice and create an application through the dialog: it is listed', async () => {
  await h.login();
  await h.page.getByRole('button', { name: 'Create application' }).click();
  const dialog = h.page.getByRole('dialog', { name: 'Create application' });
  await dialog.getByLabel('Name').fill('shop-floor');
  await dialog.getByLabel('Labels (optional)').fill('env=prod, team=edge');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await row('shop-floor').waitFor();
  await h.page.getByRole('status').filter({ hasText: 'Application shop-floor created.' }).waitFor();
  assert.ok(!(await dialog.isVisible()), 'the dialog closed');
  assert.deepEqual((await appOf('shop-floor'))?.metadata.labels, { env: 'prod', team: 'edge' });
  assert.match((await row('shop-floor').textContent()) ?? '', /env=prod[\s\S]*team=edge[\s\S]*Ready/);
});

test('an invalid name gets drg’s message and nothing is created; an existing one "already exists"', async () => {
  const before = await appNames();
  const posts: string[] = [];
  const onRequest = (r: Request) => r.method() === 'POST' && posts.push(r.url());
  h.page.on('request', onRequest);
  await h.page.getByRole('button', { name: 'Create application' }).click();
  const dialog = h.page.getByRole('dialog', { name: 'Create application' });
  await dialog.getByLabel('Name').fill('Bad_Name');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await dialog
    .getByRole('alert')
    .filter({ hasText: appNameProblem('Bad_Name')! })
    .waitFor();
  h.page.off('request', onRequest);
  assert.deepEqual(posts, [], 'nothing was sent');
  assert.equal(await dialog.getByLabel('Name').inputValue(), 'Bad_Name', 'the input is kept');

  await dialog.getByLabel('Name').fill('shop-floor');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await dialog.getByRole('alert').filter({ hasText: 'Application "shop-floor" already exists.' }).waitFor();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  assert.deepEqual(await appNames(), before, 'nothing was created');
});

test('the label selector filters through the registry; a malformed one gets drg’s message; the name filter', async () => {
  await createAsAlice({ metadata: { name: 'lab-bench', labels: { env: 'dev' } } });
  await h.page.reload();
  await row('lab-bench').waitFor();
  const selector = h.page.getByLabel('Label selector');
  const requests: string[] = [];
  const onRequest = (r: Request) => requests.push(r.url());
  h.page.on('request', onRequest);

  await selector.fill('env=prod');
  await h.page.getByRole('button', { name: 'Filter' }).click();
  await row('lab-bench').waitFor({ state: 'detached' });
  await row('shop-floor').waitFor();
  assert.ok(
    requests.some((url) => new URL(url).searchParams.get('labels') === 'env=prod'),
    'the registry was asked with ?labels=env=prod',
  );
  h.page.off('request', onRequest);

  const malformed = 'env in (prod';
  const expected = (() => {
    try {
      parseSelector(malformed);
    } catch (err) {
      return (err as Error).message;
    }
    assert.fail('the selector is malformed');
  })();
  await selector.fill(malformed);
  await h.page.getByRole('button', { name: 'Filter' }).click();
  await h.page.getByRole('alert').filter({ hasText: expected }).waitFor();

  await selector.fill('');
  await h.page.getByRole('button', { name: 'Filter' }).click();
  await row('lab-bench').waitFor();
  await h.page.getByLabel('Name contains').fill('lab');
  await row('shop-floor').waitFor({ state: 'detached' });
  assert.equal(await table().getByRole('link').count(), 1);
  await h.page.getByLabel('Name contains').fill('');
  await row('shop-floor').waitFor();
  await h.screenshot('apps');
  await h.page.setViewportSize(PHONE);
  await h.screenshot('apps-phone');
  const overflow = await h.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the phone layout does not scroll sideways (${overflow}px too wide)`);
  await h.page.setViewportSize(DESKTOP);
});

test('the overview adds and removes labels; a change made elsewhere meanwhile is kept along with the user’s', async () => {
  await row('shop-floor').getByRole('link', { name: 'shop-floor' }).click();
  const overview = h.page.locator('[data-page="app-overview"]');
  await overview.waitFor();
  const app = (await appOf('shop-floor'))!;
  await overview.getByText(app.metadata.uid!, { exact: true }).waitFor();
  await overview.getByText(app.metadata.resourceVersion!, { exact: true }).waitFor();

  const labels = overview.getByRole('region', { name: 'Labels' });
  await labels.getByLabel('Add labels').fill('tier=gold');
  await labels.getByRole('button', { name: 'Add' }).click();
  await labels.getByText('tier=gold', { exact: true }).waitFor();
  assert.deepEqual((await appOf('shop-floor'))?.metadata.labels, { env: 'prod', team: 'edge', tier: 'gold' });

  // Someone else labels it while the page shows the version before.
  const current = (await appOf('shop-floor'))!;
  await labels.getByText('tier=gold', { exact: true }).waitFor();
  const elsewhere = {
    ...current,
    metadata: { ...current.metadata, labels: { ...current.metadata.labels, site: 'b' } },
  };
  assert.equal((await asAlice('PUT', '/api/registry/v1alpha1/apps/shop-floor', elsewhere)).status, 204);
  await labels.getByLabel('Add labels').fill('zone=a');
  await labels.getByRole('button', { name: 'Add' }).click();
  await labels.getByRole('status').filter({ hasText: 'changed elsewhere meanwhile' }).waitFor();
  await labels.getByText('site=b', { exact: true }).waitFor();
  assert.deepEqual((await appOf('shop-floor'))?.metadata.labels, {
    env: 'prod',
    team: 'edge',
    tier: 'gold',
    site: 'b',
    zone: 'a',
  });

  await labels.getByRole('button', { name: 'Remove label team' }).click();
  await labels.getByText('team=edge', { exact: true }).waitFor({ state: 'detached' });
  assert.equal((await appOf('shop-floor'))?.metadata.labels?.team, undefined);

  await labels.getByLabel('Add labels').fill('bad key=1');
  await labels.getByRole('button', { name: 'Add' }).click();
  await labels.getByRole('alert').filter({ hasText: 'invalid label key "bad key"' }).waitFor();
});

test('members: add bob as manager, change his role, and see it; trust anchors with their validity', async () => {
  const ca = opensslCa(
    tempDir('drg-console-ca-'),
    'ca',
    [
      ['CN', 'Console CA'],
      ['O', 'Drogue IoT'],
    ],
    30,
  );
  const current = (await appOf('shop-floor'))!;
  const expired = await expiredCa('CN=Old CA');
  const anchors = [
    { certificate: Buffer.from(ca.pem).toString('base64') },
    { certificate: 'bm90IGEgY2VydA==' },
    { certificate: Buffer.from(expired).toString('base64') },
  ];
  const withAnchors = { ...current, spec: { ...current.spec, trustAnchors: { anchors } } };
  assert.equal((await asAlice('PUT', '/api/registry/v1alpha1/apps/shop-floor', withAnchors)).status, 204);
  await h.page.reload();
  const overview = h.page.locator('[data-page="app-overview"]');

  const members = overview.getByRole('region', { name: 'Members' });
  await members.getByText('No members: only the owner has access.').waitFor();
  await members.getByLabel('User').fill(BOB.name);
  await members.getByLabel('Role', { exact: true }).selectOption('manager');
  await members.getByRole('button', { name: 'Add member' }).click();
  const bobRole = members.getByLabel(`Role of ${BOB.name}`);
  await bobRole.waitFor();
  assert.equal(await bobRole.inputValue(), 'manager');
  const read = async () =>
    (await (await asAlice('GET', '/api/admin/v1alpha1/apps/shop-floor/members')).json()).members as Record<
      string,
      { role: string }
    >;
  assert.deepEqual(await read(), { bob: { role: 'manager' } });
  await bobRole.selectOption('admin');
  await members.getByRole('status').filter({ hasText: 'bob is now admin.' }).waitFor();
  assert.deepEqual(await read(), { bob: { role: 'admin' } });

  const trust = overview.getByRole('region', { name: 'Trust anchors' });
  const valid = trust.getByRole('row').filter({ hasText: ca.subject });
  await valid.getByText('Valid', { exact: true }).waitFor();
  assert.match((await valid.textContent()) ?? '', new RegExp(ca.notAfter.replace('T', ' ').replace('Z', ' UTC')));
  await trust.getByRole('row').filter({ hasText: 'Invalid:' }).waitFor();
  const old = trust.getByRole('row').filter({ hasText: 'CN=Old CA' });
  await old.getByText('Expired', { exact: true }).waitFor();
  assert.match((await old.textContent()) ?? '', /2021-01-01 00:00:00 UTC/);
  assert.ok(!((await overview.textContent()) ?? '').includes(anchors[0].certificate), 'certificates are not shown');
  await h.screenshot('app-overview');
  await h.page.setViewportSize(PHONE);
  await h.screenshot('app-overview-phone');
  await h.page.setViewportSize(DESKTOP);
});

test('bob reads the application while he is a member; removed, he no longer does', async () => {
  const bobAuth = basic(BOB.name, h.server.server.accessTokens.create(BOB.name, 'test').token);
  const asBob = () =>
    fetch(`${h.server.url}/api/registry/v1alpha1/apps/shop-floor`, { headers: { authorization: bobAuth } });
  assert.equal((await asBob()).status, 200);
  const members = h.page.locator('[data-page="app-overview"]').getByRole('region', { name: 'Members' });
  await members.getByRole('button', { name: `Remove member ${BOB.name}` }).click();
  await members.getByText('No members: only the owner has access.').waitFor();
  assert.equal((await asBob()).status, 403);
});

test('deleting an application with a finalizer leaves it Deleting until the finalizer is removed', async () => {
  await createAsAlice({ metadata: { name: 'doomed', finalizers: ['example.com/hold'] } });
  await h.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Applications' }).click();
  await row('doomed').waitFor();
  await row('doomed').getByRole('button', { name: 'Delete doomed' }).click();
  const dialog = h.page.getByRole('dialog', { name: 'Delete application doomed' });
  await dialog.getByText('doomed', { exact: true }).waitFor();
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await row('doomed').getByText('Deleting').waitFor();
  assert.match((await row('doomed').textContent()) ?? '', /example\.com\/hold/);
  await h.page.reload();
  await row('doomed').getByText('Deleting').waitFor();
  assert.ok((await appOf('doomed'))?.metadata.deletionTimestamp, 'marked deleted');

  const held = (await appOf('doomed'))!;
  const released = { ...held, metadata: { ...held.metadata, finalizers: [] } };
  assert.equal((await asAlice('PUT', '/api/registry/v1alpha1/apps/doomed', released)).status, 204);
  assert.equal(await appOf('doomed'), undefined, 'gone');
  await h.page.reload();
  await row('shop-floor').waitFor();
  assert.equal(await row('doomed').count(), 0, 'no longer listed');
});

test('strings from users render as text: annotations, an unknown member, an invalid label', async () => {
  const name = 'xss-app';
  await createAsAlice({ metadata: { name, annotations: { note: XSS, 'example.com/html': '<b>bold</b>' } } });
  await h.page.goto(`${h.consoleUrl}apps/${name}`);
  const overview = h.page.locator('[data-page="app-overview"]');
  await overview.getByText(XSS, { exact: true }).waitFor();
  await overview.getByText('<b>bold</b>', { exact: true }).waitFor();

  const members = overview.getByRole('region', { name: 'Members' });
  await members.getByLabel('User').fill(XSS);
  await members.getByRole('button', { name: 'Add member' }).click();
  await members
    .getByRole('alert')
    .filter({ hasText: `unknown user ${JSON.stringify(XSS)}` })
    .waitFor();

  const labels = overview.getByRole('region', { name: 'Labels' });
  await labels.getByLabel('Add labels').fill(`x=${XSS}`);
  await labels.getByRole('button', { name: 'Add' }).click();
  await labels.getByRole('alert').filter({ hasText: XSS }).waitFor();
  assert.equal(await overview.locator('img, b, script').count(), 0, 'no element was made from the strings');
  assert.deepEqual(dialogs, [], 'no alert fired');
  assert.equal((await appOf(name))?.metadata.labels, undefined, 'the invalid label was not sent');
});

test('ownership: alice offers an application to bob, sees it pending, and cancels the offer', async () => {
  await h.page.goto(`${h.consoleUrl}apps/lab-bench`);
  const ownership = h.page.locator('[data-page="app-overview"]').getByRole('region', { name: 'Ownership' });
  await ownership.getByLabel('Transfer to').fill(BOB.name);
  await ownership.getByRole('button', { name: 'Transfer ownership' }).click();
  await ownership.getByText(`Offered to ${BOB.name}, until they accept.`).waitFor();
  const pending = await asAlice('GET', '/api/admin/v1alpha1/apps/lab-bench/transfer-ownership');
  assert.deepEqual(await pending.json(), { newUser: BOB.name });
  await ownership.getByRole('button', { name: 'Cancel transfer' }).click();
  await ownership.getByLabel('Transfer to').waitFor();
  assert.equal((await asAlice('GET', '/api/admin/v1alpha1/apps/lab-bench/transfer-ownership')).status, 204);
});
