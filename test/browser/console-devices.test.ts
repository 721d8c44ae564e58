// The console's devices table and device page in chromium against a real drg serve: a device created in the UI, its
// password set through the console's form (bcrypt in the browser) and used by a real mosquitto_sub, which shows
// as connected; a command sent from the page reaches it; a refused one says so; names and annotations that try
// to be HTML stay text; the table at phone size.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { type ApiCall, type ConsoleHarness, PHONE, startConsole } from '../helpers/browser.js';

const REGISTRY = '/api/registry/v1alpha1';
const APP = 'plant';
const PASSWORD = "s3cret pass'word";
const HOSTILE = '<img src=x onerror="alert(1)">"><svg onload=alert(2)>';

let h: ConsoleHarness;
const asAlice: ApiCall = (...args) => h.callAs('alice')(...args);
const dialogs: string[] = [];

/** Navigates inside the console, as its links do (no reload: the session lives in the page's memory). */

const row = (name: string) =>
  h.page
    .getByRole('table', { name: 'Devices' })
    .locator('tbody tr')
    .filter({ has: h.page.getByRole('link', { name, exact: true }) });

before(async () => {
  h = await startConsole();
  h.page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    dialog.dismiss();
  });
  await h.login();
  h.page.setDefaultTimeout(10_000);
  const created = await asAlice('POST', `${REGISTRY}/apps`, { metadata: { name: APP } });
  assert.equal(created.status, 201, await created.text());
});
after(() => h?.close());

test('a device created in the UI appears in the table, not connected', async () => {
  await h.go(`apps/${APP}/devices`);
  await h.page.locator('[data-page="devices"]').waitFor();
  await h.page.getByRole('button', { name: 'Create device' }).click();
  const dialog = h.page.getByRole('dialog', { name: 'Create device' });
  await dialog.getByLabel('Labels').fill('room=kitchen, floor=1');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await dialog.getByRole('alert').filter({ hasText: 'device name must not be empty' }).waitFor();
  await dialog.getByLabel('Name').fill('sensor-1');
  await dialog.getByLabel('Labels').fill('room=kitch en');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await dialog.getByRole('alert').filter({ hasText: 'invalid label value "kitch en"' }).waitFor();
  await dialog.getByLabel('Labels').fill('room=kitchen, floor=1');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await row('sensor-1').waitFor();
  const cells = await row('sensor-1').locator('td').allInnerTexts();
  assert.deepEqual(cells.slice(0, 4), ['sensor-1', 'room=kitchen\nfloor=1', 'no', 'never']);
  const stored = (await (await asAlice('GET', `${REGISTRY}/apps/${APP}/devices/sensor-1`)).json()) as {
    metadata: { labels: Record<string, string> };
  };
  assert.deepEqual(stored.metadata.labels, { room: 'kitchen', floor: '1' });
});

interface Sub {
  child: ChildProcess;
  lines: string[];
  subscribed: Promise<void>;
  line(pattern: RegExp): Promise<string>;
}

/** mosquitto_sub as `sensor-1`, subscribed to its commands; -v prints `topic payload`. */
function subscribeCommands(password: string): Sub {
  const args = ['-h', '127.0.0.1', '-p', String(h.mqttPort), '-u', `sensor-1@${APP}`, '-P', password, '-d'];
  const child = spawn('stdbuf', ['-oL', 'mosquitto_sub', ...args, '-t', 'command/inbox/#', '-v'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  let onSubscribed = () => {};
  const subscribed = new Promise<void>((resolve, reject) => {
    onSubscribed = resolve;
    child.once('exit', (code) => reject(new Error(`mosquitto_sub exited with ${code}: ${lines.join('\n')}`)));
  });
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      if (/received SUBACK/.test(line)) onSubscribed();
      for (const waiter of waiters.filter((w) => w.pattern.test(line))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    });
  }
  const line = (pattern: RegExp) =>
    new Promise<string>((resolve) => {
      const seen = lines.find((l) => pattern.test(l));
      if (seen !== undefined) resolve(seen);
      else waiters.push({ pattern, resolve });
    });
  return { child, lines, subscribed, line };
}

test("the console's Set password form stores a bcrypt hash that mosquitto_sub logs in with; connected, then a command from the page arrives", async () => {
  await row('sensor-1').getByRole('link', { name: 'sensor-1' }).click();
  const device = h.page.locator('[data-page="device"]');
  await device.waitFor();
  await device.getByLabel('New password').fill(PASSWORD);
  await device.getByLabel('Repeat the password').fill(`${PASSWORD}x`);
  await device.getByRole('button', { name: 'Set password' }).click();
  await device.getByRole('alert').filter({ hasText: 'The two passwords differ.' }).waitFor();
  await device.getByLabel('Repeat the password').fill(PASSWORD);
  await device.getByRole('button', { name: 'Set password' }).click();
  await device.getByRole('status').filter({ hasText: 'Password set.' }).waitFor();
  await device.getByRole('list', { name: 'Credentials' }).getByText('password set').waitFor();

  const stored = (await (await asAlice('GET', `${REGISTRY}/apps/${APP}/devices/sensor-1`)).json()) as {
    spec: Record<string, { credentials: unknown[] }>;
  };
  const text = JSON.stringify(stored.spec);
  assert.ok(!text.includes('s3cret'), 'only a hash is stored');
  const hashes = ['authentication', 'credentials'].map((section) => {
    const [credential] = stored.spec[section].credentials as Array<{ pass: { bcrypt: string } }>;
    return credential.pass.bcrypt;
  });
  assert.match(hashes[0], /^\$2[aby]\$10\$/);
  assert.equal(hashes[1], hashes[0]);
  await device.getByRole('button', { name: 'Edit spec' }).click();
  await device.getByLabel('Spec (YAML)').waitFor();
  const shown = await h.page.content();
  assert.ok(!shown.includes(hashes[0]) && !shown.includes('$2'), 'the page shows no hash');
  await device.getByRole('button', { name: 'Cancel' }).click();

  const wrong = subscribeCommands('not the password');
  await assert.rejects(wrong.subscribed, /exited/);
  const sub = subscribeCommands(PASSWORD);
  try {
    await sub.subscribed;
    await h.go(`apps/${APP}/devices`);
    await h.page.getByRole('button', { name: 'Refresh' }).click();
    await row('sensor-1')
      .getByText(/^yes \(mqtt/)
      .waitFor();
    assert.notEqual(await row('sensor-1').locator('td').nth(3).innerText(), 'never');

    await row('sensor-1').getByRole('link', { name: 'sensor-1' }).click();
    await device.getByLabel('Command', { exact: true }).fill('set-interval');
    await device.getByLabel('Payload (optional)').fill('{"seconds": 30');
    await device.getByRole('button', { name: 'Send command' }).click();
    await device.getByRole('alert').filter({ hasText: 'The payload is not JSON' }).waitFor();
    await device.getByLabel('Payload (optional)').fill('{"seconds": 30}');
    await device.getByRole('button', { name: 'Send command' }).click();
    await device.getByTestId('command-result').filter({ hasText: 'Dispatched (202)' }).waitFor();
    assert.equal(await sub.line(/^command\/inbox\/\/set-interval /), 'command/inbox//set-interval {"seconds": 30}');
  } finally {
    sub.child.kill();
  }
});

test('a command to a disabled device is refused (406), and the page says so with the server message', async () => {
  const created = await asAlice('POST', `${REGISTRY}/apps/${APP}/devices`, {
    metadata: { name: 'off', application: APP },
    spec: { core: { disabled: true } },
  });
  assert.equal(created.status, 201);
  await h.go(`apps/${APP}/devices/off`);
  const device = h.page.locator('[data-page="device"]');
  await device.getByRole('heading', { name: 'off' }).waitFor();
  await device.getByLabel('Command', { exact: true }).fill('reboot');
  await device.getByRole('button', { name: 'Send command' }).click();
  const result = device.getByTestId('command-result');
  await result.filter({ hasText: 'Refused (406 Not Acceptable)' }).waitFor();
  assert.match(await result.innerText(), /device "off" does not exist in "plant" or is disabled/);
});

test('a device name and annotations that look like HTML are shown as text, never run', async () => {
  const created = await asAlice('POST', `${REGISTRY}/apps/${APP}/devices`, {
    metadata: { name: HOSTILE, application: APP, annotations: { note: '<script>alert(3)</script><b>bold</b>' } },
    spec: { hostile: '<img src=y onerror=alert(4)>' },
  });
  assert.equal(created.status, 201, await created.text());
  await h.go(`apps/${APP}/devices`);
  await h.page.getByRole('button', { name: 'Refresh' }).click();
  const link = h.page.getByRole('link', { name: HOSTILE, exact: true });
  await link.waitFor();
  assert.equal(await link.innerText(), HOSTILE);
  await h.screenshot('devices');
  await h.page.setViewportSize(PHONE);
  await h.screenshot('devices-phone');
  const phoneHeaders = await h.page.getByRole('table', { name: 'Devices' }).locator('thead th:visible').allInnerTexts();
  assert.deepEqual(phoneHeaders, ['Name', 'Connected', 'Last seen']);
  await h.page.setViewportSize({ width: 1280, height: 800 });

  await link.click();
  const device = h.page.locator('[data-page="device"]');
  await device.getByRole('heading', { name: HOSTILE }).waitFor();
  await device.getByText('note: <script>alert(3)</script><b>bold</b>').waitFor();
  assert.match(await device.locator('.spec-view').innerText(), /<img src=y onerror=alert\(4\)>/);
  assert.equal(
    await h.page.locator('[data-page="device"] img, [data-page="device"] svg, [data-page="device"] b').count(),
    0,
  );
  assert.equal(await h.page.locator('[data-page="devices"] img, [data-page="devices"] svg').count(), 0);
  assert.deepEqual(dialogs, []);
});
