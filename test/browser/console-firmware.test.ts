// The console's firmware page in chromium against a real drg serve with its firmware agent: an image pushed to the
// store shows in the list; a rollout started from the page, paused and resumed with its buttons (the registry says
// what `drg firmware status` would), taken to 100% by simulated MQTT devices answering DFU; a second one, of an
// image uploaded in the page, cancelled through the confirm dialog puts the devices back; a third pauses on a
// failing canary, which Retry has updated again.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { RolloutSpec, RolloutStatus } from '../../src/model/rollout.js';
import { type Fleet, startFleet } from '../../src/simulator/fleet.js';
import { type ApiCall, type ConsoleHarness, DESKTOP, PHONE, startConsole } from '../helpers/browser.js';

const REGISTRY = '/api/registry/v1alpha1';
const APP = 'fleet';
const DEVICES = ['dev-1', 'dev-2', 'dev-3', 'dev-4'].map((name) => ({ name, password: `pw ${name}` }));

let h: ConsoleHarness;
let fleet: Fleet | undefined;

const asAlice: ApiCall = (...args) => h.callAs('alice')(...args);

async function pushImage(version: string, data: Buffer) {
  const response = await asAlice(
    'PUT',
    `/api/firmware/v1alpha1/apps/${APP}/images/fw/${version}`,
    new Uint8Array(data),
    {
      'content-type': 'application/octet-stream',
      'x-checksum': `sha256:${createHash('sha256').update(data).digest('hex')}`,
    },
  );
  assert.equal(response.status, 201, await response.text());
}

async function rolloutOfApp(): Promise<{ spec?: RolloutSpec; status?: RolloutStatus }> {
  const app = (await (await asAlice('GET', `${REGISTRY}/apps/${APP}`)).json()) as {
    spec?: { rollout?: RolloutSpec };
    status?: { rollout?: RolloutStatus };
  };
  return { spec: app.spec?.rollout, status: app.status?.rollout };
}

/** Polls the registry until `done` says yes about the rollout; fails with the last one seen. */
async function untilRollout(what: string, done: (r: Awaited<ReturnType<typeof rolloutOfApp>>) => boolean) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const rollout = await rolloutOfApp();
    if (done(rollout)) return rollout;
    if (Date.now() > deadline) assert.fail(`${what}: last seen ${JSON.stringify(rollout)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const phase = () => h.page.getByTestId('rollout-phase');
/** Asks for the plan, then starts what it shows; resolves with the plan's text. */
async function startFromPlan(): Promise<string> {
  await h.page.getByRole('button', { name: 'Review the plan' }).click();
  const plan = h.page.getByRole('region', { name: 'Rollout plan' });
  await plan.waitFor();
  const text = await plan.innerText();
  await plan.getByRole('button', { name: 'Start rollout' }).click();
  await plan.waitFor({ state: 'detached' });
  return text;
}
const overall = (percent: number) => h.page.locator(`[data-testid="rollout-overall"][data-percent="${percent}"]`);

before(async () => {
  h = await startConsole({
    firmwareAgent: { statusIntervalMs: 100, rolloutTickMs: 100, syncPoll: 300, waitPoll: 1 },
  });
  await h.login();
  assert.equal((await asAlice('POST', `${REGISTRY}/apps`, { metadata: { name: APP } })).status, 201);
  for (const d of DEVICES) {
    const created = await asAlice('POST', `${REGISTRY}/apps/${APP}/devices`, {
      metadata: { name: d.name, application: APP },
      spec: { authentication: { credentials: [{ pass: d.password }] } },
    });
    assert.equal(created.status, 201, await created.text());
  }
});
after(async () => {
  await fleet?.close();
  await h?.close();
});

test('an image in the store is listed; a rollout started, paused and resumed from the page reaches 100%', async () => {
  const image = randomBytes(40_000);
  await pushImage('2.0.0', image);
  await h.go(`apps/${APP}/firmware`);
  const images = h.page.getByRole('table', { name: 'Firmware images in the store' });
  const row = images.locator('tbody tr').filter({ hasText: '2.0.0' });
  await row.waitFor();
  const cells = await row.locator('td').allTextContents();
  assert.deepEqual(cells.slice(0, 3), ['fw', '2.0.0', '39.1 KiB']);
  assert.equal(cells[3], `sha256:${createHash('sha256').update(image).digest('hex').slice(0, 12)}…`);

  // Started before the devices are online: the canary waits for them, so pause lands mid-rollout.
  await h.page.getByText('Start a rollout').click();
  await h.page.getByLabel('Image', { exact: true }).selectOption({ label: 'fw 2.0.0' });
  await h.page.getByRole('textbox', { name: 'Canary' }).fill('1');
  await h.page.getByRole('textbox', { name: 'Batch size' }).fill('50%');
  // A selector that picks no device, or is no selector: said, nothing planned.
  const selector = h.page.getByRole('textbox', { name: 'Selector' });
  await selector.fill('region=nowhere');
  await h.page.getByRole('button', { name: 'Review the plan' }).click();
  await h.page.getByRole('alert').filter({ hasText: 'has no devices with labels region=nowhere' }).waitFor();
  await selector.fill('region in (');
  await h.page.getByRole('button', { name: 'Review the plan' }).click();
  await h.page.getByRole('alert').filter({ hasText: 'malformed label selector "region in ("' }).waitFor();
  assert.equal((await rolloutOfApp()).spec, undefined, 'nothing started');
  await selector.fill('');
  const plan = await startFromPlan();
  assert.match(plan, /2\.0\.0 to 4 devices, in 3 stages/);
  assert.match(plan, /Canary: 1 device/);
  await phase().filter({ hasText: 'Running' }).waitFor();
  const started = await rolloutOfApp();
  assert.deepEqual(
    started.spec?.stages.map((s) => s.length),
    [1, 2, 1],
    'a canary of one, then batches of 50% of the other three',
  );
  assert.deepEqual(started.spec?.firmware, { file: { name: 'fw', version: '2.0.0' } });

  await h.page.getByRole('button', { name: 'Pause' }).click();
  await phase().filter({ hasText: 'Paused' }).waitFor();
  const paused = await untilRollout('paused', (r) => r.status?.phase === 'Paused');
  assert.equal(paused.spec?.paused, true);
  assert.equal(paused.status?.reason, 'paused by an operator');

  const mqtt = h.server.server.endpoints().mqtt;
  assert.ok(mqtt);
  fleet = await startFleet({
    app: APP,
    devices: DEVICES,
    protocol: 'mqtt',
    mqtt: { host: mqtt.host, port: mqtt.port, tls: false },
    firmwareVersion: '1.0.0',
    mtu: 512,
  });
  // The canary's stage had started: it updates while paused; no other stage starts.
  await overall(25).waitFor();
  const stage2 = h.page.getByRole('img', { name: /^Stage 2: 0%, 0 in sync, 0 updating, 0 failed, 2 pending$/ });
  await stage2.waitFor();
  await h.screenshot('firmware-rollout-paused');

  await h.page.getByRole('button', { name: 'Resume' }).click();
  const resumed = await untilRollout('resumed', (r) => r.status?.phase !== 'Paused');
  assert.equal(resumed.spec?.paused, undefined);
  await overall(100).waitFor({ timeout: 30_000 });
  await phase().filter({ hasText: 'Completed' }).waitFor();
  const done = await untilRollout('completed', (r) => r.status?.phase === 'Completed');
  assert.deepEqual(done.status?.counts, { pending: 0, updating: 0, inSync: 4, failed: 0 });
  const deviceRows = h.page.getByRole('table', { name: 'Devices of the rollout' }).locator('tbody tr');
  assert.equal(await deviceRows.filter({ hasText: 'in sync' }).count(), 4);
  await h.screenshot('firmware-rollout-done');
  await h.page.setViewportSize(PHONE);
  const width = await h.page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= PHONE.width, `no sideways scrolling on a phone (${width}px)`);
  await h.screenshot('firmware-rollout-done-phone');
  await h.page.setViewportSize(DESKTOP);
});

test('an image uploaded in the page; its rollout cancelled through the confirm dialog puts the devices back', async () => {
  await fleet?.close();
  fleet = undefined;
  // Uploaded through the page: hashed in the browser, checked by the store.
  const upload = randomBytes(5_000);
  await h.page.getByText('Upload an image').click();
  await h.page.getByRole('textbox', { name: 'Name' }).fill('fw');
  await h.page.getByRole('textbox', { name: 'Version' }).fill('3.0.0');
  await h.page
    .getByLabel('File')
    .setInputFiles({ name: 'fw.bin', mimeType: 'application/octet-stream', buffer: upload });
  await h.page.getByRole('button', { name: 'Upload' }).click();
  await h.page.getByRole('status').filter({ hasText: 'Uploaded fw 3.0.0 (4.9 KiB).' }).waitFor();
  const stored = (await (await asAlice('GET', `/api/firmware/v1alpha1/apps/${APP}/images/fw/3.0.0`)).json()) as {
    checksum: string;
  };
  assert.equal(stored.checksum, `sha256:${createHash('sha256').update(upload).digest('hex')}`);
  await h.page
    .getByRole('table', { name: 'Firmware images in the store' })
    .locator('tbody tr')
    .filter({ hasText: '3.0.0' })
    .waitFor();
  await h.page.getByText('Start a rollout').click();
  await h.page.getByLabel('Image', { exact: true }).selectOption({ label: 'fw 3.0.0' });
  await startFromPlan();
  await phase().filter({ hasText: 'Running' }).waitFor();
  await h.page.getByRole('button', { name: 'Cancel rollout' }).click();
  const dialog = h.page.getByRole('dialog', { name: 'Cancel the rollout?' });
  await dialog.getByRole('button', { name: 'Keep it running' }).click();
  await dialog.waitFor({ state: 'hidden' });
  assert.equal((await rolloutOfApp()).spec?.cancelled, undefined, 'kept running');
  await h.page.getByRole('button', { name: 'Cancel rollout' }).click();
  await dialog.getByRole('button', { name: 'Cancel the rollout' }).click();
  await phase().filter({ hasText: 'Cancelled' }).waitFor();
  const cancelled = await untilRollout('cancelled', (r) => r.status?.phase === 'Cancelled');
  assert.equal(cancelled.spec?.cancelled, true);
  const canary = (await (await asAlice('GET', `${REGISTRY}/apps/${APP}/devices/dev-1`)).json()) as {
    spec: { firmware?: unknown };
  };
  assert.deepEqual(canary.spec.firmware, { file: { name: 'fw', version: '2.0.0' } }, 'its firmware before');
  assert.equal(await h.page.getByRole('button', { name: 'Pause' }).isDisabled(), true);
});

test('a canary whose update fails pauses the rollout; Retry failed gives it another go, as drg firmware retry', async () => {
  const mqtt = h.server.server.endpoints().mqtt;
  assert.ok(mqtt);
  // failRate 0.25 fails the last of four: make it the canary, dev-1.
  fleet = await startFleet({
    app: APP,
    devices: [...DEVICES].reverse(),
    protocol: 'mqtt',
    mqtt: { host: mqtt.host, port: mqtt.port, tls: false },
    firmwareVersion: '2.0.0',
    failRate: 0.25,
  });
  await h.page.getByText('Start a rollout').click();
  await h.page.getByLabel('Image', { exact: true }).selectOption({ label: 'fw 3.0.0' });
  await h.page.getByRole('textbox', { name: 'Canary' }).fill('1');
  await startFromPlan();
  const paused = await untilRollout('paused on the failed canary', (r) => r.status?.phase === 'Paused');
  assert.match(paused.status?.reason ?? '', /1 device failed \(at most 0 allowed\): dev-1/);
  const canaryRow = h.page
    .getByRole('table', { name: 'Devices of the rollout' })
    .locator('tbody tr')
    .filter({ hasText: 'dev-1' });
  await canaryRow.filter({ hasText: 'failed' }).waitFor();
  await h.screenshot('firmware-rollout-failed');
  const reverted = fleet.stats().failures.reverted;
  assert.equal(reverted, 1, 'the canary took the update once, and its bootloader reverted it');
  await h.page.getByRole('button', { name: 'Retry failed' }).click();
  await h.page.getByRole('status').filter({ hasText: 'Retrying 1 device: dev-1' }).waitFor();
  // Its Failed condition cleared, the agent gives it the update again (which fails again).
  const deadline = Date.now() + 15_000;
  while (fleet.stats().failures.reverted === reverted) {
    assert.ok(Date.now() < deadline, 'the canary was updated again');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});
