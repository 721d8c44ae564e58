// The console's live events in chromium against a real drg serve: a real mosquitto_pub publishes as a device, the
// event shows in the list; filters by channel and device hide and show it; pause holds new events back, resume
// shows them; the detail view pretty-prints JSON and shows binary data as hex; HTML in a payload stays text; the
// access token never goes into a WebSocket URL, a fresh one goes over the socket before it expires, and a stream
// closed for an expired one says so and reconnects; the page at phone size.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Locator } from 'playwright-core';
import { type ConsoleHarness, PHONE, startConsole } from '../helpers/browser.js';
import { basic } from '../helpers/config.js';

const REGISTRY = '/api/registry/v1alpha1';
const APP = 'telemetry-app';
const PASSWORD = 'dev pass';
const XSS = '{"x":"<img src=x onerror=alert(1)>"}';

let h: ConsoleHarness;
let token: string;
const socketUrls: string[] = [];
/** The tokens the page sent on its WebSockets, in order. */
const tokensSent: string[] = [];
let tokenWaiter: (() => void) | undefined;
const dialogs: string[] = [];

async function asAlice(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${h.server.url}${path}`, {
    method,
    headers: {
      authorization: basic('alice', token),
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** Publishes one message as `device` with the real mosquitto_pub (payload from stdin, so bytes stay bytes). */
function publish(device: string, channel: string, payload: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'mosquitto_pub',
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(h.mqttPort),
        '-u',
        `${device}@${APP}`,
        '-P',
        PASSWORD,
        '-t',
        channel,
        '-q',
        '1',
        '-s',
      ],
      { stdio: ['pipe', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mosquitto_pub exited ${code}: ${stderr}`))));
    child.stdin.end(payload);
  });
}

const list = () => h.page.getByRole('list', { name: 'Events, newest first' });
const rowWith = (text: string) => list().getByRole('button').filter({ hasText: text });

/** Publishes until the event shows: the stream starts once the server has taken the token, a moment after "Live". */
async function publishUntilShown(
  device: string,
  channel: string,
  payload: string,
  shownAs = payload,
): Promise<Locator> {
  const row = rowWith(shownAs);
  for (let attempt = 1; ; attempt++) {
    await publish(device, channel, payload);
    try {
      await row.first().waitFor({ timeout: 1_000 });
      return row.first();
    } catch (err) {
      if (attempt >= 5) throw err;
    }
  }
}

async function openEvents() {
  await h.go(`apps/${APP}/events`);
  await h.page.locator('[data-page="events"] [data-state="live"]').waitFor();
}

before(async () => {
  h = await startConsole();
  token = h.server.server.accessTokens.create('alice', 'console events test').token;
  h.page.on('websocket', (ws) => {
    socketUrls.push(ws.url());
    ws.on('framesent', ({ payload }) => {
      const token = (JSON.parse(String(payload)) as { RefreshAccessToken?: string }).RefreshAccessToken;
      if (!token) return;
      tokensSent.push(token);
      tokenWaiter?.();
    });
  });
  h.page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await h.login();
  assert.equal((await asAlice('POST', `${REGISTRY}/apps`, { metadata: { name: APP } })).status, 201);
  for (const device of ['sensor-1', 'sensor-2']) {
    const spec = { authentication: { credentials: [{ pass: PASSWORD }] } };
    const created = await asAlice('POST', `${REGISTRY}/apps/${APP}/devices`, {
      metadata: { name: device, application: APP },
      spec,
    });
    assert.equal(created.status, 201, await created.text());
  }
});
after(() => h?.close());

test('a message published with mosquitto_pub shows in the live view; the detail pretty-prints it', async () => {
  await openEvents();
  const row = await publishUntilShown('sensor-1', 'temperature', '{"celsius":21.5,"room":"kitchen"}', '"celsius":21.5');
  // Only this channel, so that the publisher's disconnect event does not move the row under the click.
  await h.page.getByLabel('Channel').fill('temperature');
  await row.click();
  const detail = h.page.getByTestId('event-detail');
  await detail.waitFor();
  assert.equal(await detail.getByTestId('event-json').textContent(), '{\n  "celsius": 21.5,\n  "room": "kitchen"\n}');
  const attributes = JSON.parse((await detail.locator('.event-attributes').textContent()) ?? '') as Record<
    string,
    string
  >;
  assert.equal(attributes.device, 'sensor-1');
  assert.equal(attributes.subject, 'temperature');
  assert.equal(attributes.application, APP);
  assert.match((await h.page.getByTestId('event-rate').textContent()) ?? '', /^\d+ events\/s$/);
  await h.screenshot('events');
  await h.page.getByLabel('Channel').fill('');
});

test('filters by channel and by device hide an event and show it again', async () => {
  await openEvents();
  const row = await publishUntilShown('sensor-2', 'humidity', '{"percent":40}', '"percent":40');
  const channel = h.page.getByLabel('Channel');
  await channel.fill('temperature');
  await row.waitFor({ state: 'detached' });
  await channel.fill('humidity');
  await rowWith('"percent":40').waitFor();
  await h.page.getByLabel('Device').fill('sensor-1');
  await rowWith('"percent":40').waitFor({ state: 'detached' });
  await h.page.getByLabel('Device').fill('sensor-2');
  await rowWith('"percent":40').waitFor();
  await h.page.getByLabel('Device').fill('');
  await channel.fill('');
});

test('pause holds new events back (counting them), resume shows them', async () => {
  await openEvents();
  await publishUntilShown('sensor-1', 'status', '{"step":0}', '"step":0');
  await h.page.getByRole('button', { name: 'Pause' }).click();
  await publish('sensor-1', 'status', '{"step":1}');
  await publish('sensor-1', 'status', '{"step":2}');
  // Each mosquitto_pub also connects and disconnects (connection events, counted too): five are the two messages
  // and what came before them.
  await h.page.waitForFunction(() => {
    const held = /Paused: (\d+) new/.exec(document.querySelector('.events-counts')?.textContent ?? '');
    return held !== null && Number(held[1]) >= 5;
  });
  assert.equal(await rowWith('"step":1').count(), 0, 'not shown while paused');
  const rendered = await list().getAttribute('data-rendered');
  await h.page.getByRole('button', { name: 'Resume' }).click();
  await rowWith('"step":2').waitFor();
  await rowWith('"step":1').waitFor();
  const names = await list().getByRole('button').allInnerTexts();
  assert.ok(
    names.findIndex((n) => n.includes('"step":2')) < names.findIndex((n) => n.includes('"step":1')),
    'newest first',
  );
  assert.ok(Number(await list().getAttribute('data-rendered')) >= Number(rendered) + 2, 'data-rendered counts them');
});

test('HTML in a payload stays text, binary data shows as hex with its size; no token in a WebSocket URL', async () => {
  await openEvents();
  const row = await publishUntilShown('sensor-1', 'hostile', XSS, '<img src=x onerror=alert(1)>');
  // Only this channel's events, so that the row does not move under the click when the publisher's disconnect
  // event comes in.
  const channel = h.page.getByLabel('Channel');
  await channel.fill('hostile');
  await row.click();
  const json = h.page.getByTestId('event-json');
  assert.equal(await json.textContent(), '{\n  "x": "<img src=x onerror=alert(1)>"\n}');
  assert.equal(await h.page.locator('[data-page="events"] img').count(), 0, 'no element made of the payload');

  const bytes = Buffer.concat([Buffer.from([0x00, 0xff, 0x3c, 0x62, 0x3e]), randomBytes(27)]);
  const hex = [...bytes.subarray(0, 16)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  await channel.fill('binary');
  await publish('sensor-2', 'binary', bytes);
  await rowWith('32 bytes').first().click();
  const dump = (await h.page.getByTestId('event-hex').textContent()) ?? '';
  assert.equal(dump.split('\n')[0], `000000  ${hex}`);
  assert.equal(dump.split('\n').length, 2);
  await h.page.getByText('32 bytes (hex)').waitFor();
  await channel.fill('');
  assert.deepEqual(dialogs, [], 'no script ran');

  assert.ok(socketUrls.length > 0, 'the page opened WebSockets');
  for (const url of socketUrls) {
    assert.equal(new URL(url).search, '', `no query in ${url}`);
    assert.ok(!url.includes(token), 'no access token in the URL');
  }
  const jwtLike = /eyJ[\w-]+\.[\w-]+\./;
  for (const url of socketUrls) assert.doesNotMatch(url, jwtLike);
});

test('before the access token expires, a fresh one goes over the socket, and the stream goes on', async () => {
  // The page's clock, faked from here on: a stream opened now has its timers on it.
  await h.page.clock.install();
  await h.go(`apps/${APP}/firmware`);
  const opened = tokensSent.length;
  const firstSent = new Promise<void>((resolve) => {
    tokenWaiter = () => tokensSent.length > opened && resolve();
  });
  await openEvents();
  await firstSent;
  const before = tokensSent.length;
  const sockets = socketUrls.length;
  const sentAgain = new Promise<void>((resolve) => {
    tokenWaiter = () => tokensSent.length > before && resolve();
  });
  await h.page.clock.fastForward('10:00');
  await sentAgain;
  assert.equal(socketUrls.length, sockets, 'on the same socket');
  assert.notEqual(tokensSent.at(-1), tokensSent[before - 1], 'a fresh one');
  await publishUntilShown('sensor-1', 'after-refresh', '{"still":"live"}', '"still":"live"');
});

test('a stream the server closes (its token expired while the page slept) shows why, reconnects, and replays what came meanwhile, once', async () => {
  const short = await startConsole({ accessTokenTtl: 4 });
  try {
    const asAliceThere = short.callAs('alice');
    await short.login();
    assert.equal((await asAliceThere('POST', `${REGISTRY}/apps`, { metadata: { name: 'sleepy' } })).status, 201);
    const device = {
      metadata: { name: 'bed', application: 'sleepy' },
      spec: { authentication: { credentials: [{ pass: PASSWORD }] } },
    };
    assert.equal((await asAliceThere('POST', `${REGISTRY}/apps/sleepy/devices`, device)).status, 201);
    const send = async (body: string) => {
      const response = await fetch(`${short.server.url}/v1/telemetry`, {
        method: 'POST',
        headers: { authorization: basic('bed@sleepy', PASSWORD), 'content-type': 'application/json' },
        body,
      });
      assert.equal(response.status, 202);
    };
    const rows = (text: string) =>
      short.page.getByRole('list', { name: 'Events, newest first' }).getByRole('button').filter({ hasText: text });
    // The page's timers stop: no fresh token goes out, as on a laptop put to sleep.
    await short.page.clock.install();
    await short.go('apps/sleepy/events');
    await short.page.locator('[data-state="live"]').waitFor();
    // Live once an event sent now shows (the server takes the token a moment after the socket opens).
    for (let n = 1; ; n++) {
      await send(`{"before":${n}}`);
      const shown = await rows(`"before":${n}`)
        .waitFor({ timeout: 1_000 })
        .then(
          () => true,
          () => n >= 5 && Promise.reject(new Error('no event showed')),
        );
      if (shown) break;
    }
    await short.page.clock.pauseAt(Date.now() + 1_000);
    await short.page
      .locator('[data-state="reconnecting"]')
      .filter({ hasText: 'the access token has expired' })
      .waitFor({ timeout: 15_000 });
    await send('{"while":"away"}');
    await short.page.clock.resume();
    await short.page.locator('[data-state="live"]').waitFor();
    await rows('"while":"away"').waitFor();
    const before = await rows('"before"').allInnerTexts();
    assert.equal(new Set(before).size, before.length, 'what came before the gap shows once');
  } finally {
    await short.close();
  }
});

test('the events page at phone size', async () => {
  await h.page.setViewportSize(PHONE);
  await openEvents();
  await publishUntilShown('sensor-1', 'temperature', '{"celsius":22}', '"celsius":22');
  await rowWith('"celsius":22').first().click();
  await h.page.getByTestId('event-detail').waitFor();
  const width = await h.page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= PHONE.width, `no horizontal scrolling (${width}px)`);
  await h.screenshot('events-phone');
});
