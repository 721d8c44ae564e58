// The web console in headless Chromium (Debian's, through playwright-core) against the built drg serve:
// - time to first render of the devices table of an application with DEVICES devices, against the same page of an
//   application without devices (the empty page): from the click on the Devices tab to the first frame painted
//   with rows; the median of RUNS each, taken in turns;
// - events rendered per second by the live view while devices publish as fast as the server takes, with its long
//   frames (over 50 ms, i.e. dropped frames at 60 Hz of three or more), against the raw WebSocket rate: as many
//   seconds of the same stream received by a bare WebSocket in the same browser.
import { spawnSync } from 'node:child_process';
import mqtt from 'mqtt';
import { chromium } from 'playwright-core';
import { DEVICE_PASSWORD, registryOf } from './data-plane-lib.mjs';
import { median, report, startServe } from './lib.mjs';

const DEVICES = Number(process.env.BENCH_CONSOLE_DEVICES ?? 10_000);
const RUNS = Number(process.env.BENCH_CONSOLE_RUNS ?? 7);
const EVENT_SECONDS = Number(process.env.BENCH_CONSOLE_EVENT_SECONDS ?? 5);
const PUBLISHERS = 4;
const ADMIN_PASSWORD = 'bench admin password';

function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

async function logIn(page, url) {
  await page.goto(`${url}/console/`);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.fill('#username', 'admin');
  await page.fill('#password', ADMIN_PASSWORD);
  await page.click('button[type=submit]');
  await page.locator('[data-page="apps"]').waitFor();
}

/** ms from a click on the app's Devices tab to the first frame painted with the table loaded. */
async function timeDevicesTable(page, url, app) {
  await page.goto(`${url}/console/apps/${app}`);
  await page.locator('[data-page="app-overview"]').waitFor();
  return page.evaluate(
    () =>
      new Promise((resolve) => {
        const tab = [...document.querySelectorAll('nav.tabs a')].find((a) => a.textContent === 'Devices');
        const start = performance.now();
        tab.click();
        const loaded = () => {
          const page = document.querySelector('[data-page="devices"]');
          const body = page?.querySelector('table tbody');
          return Boolean(body && !page.querySelector('[aria-busy="true"]') && body.querySelector('tr'));
        };
        const check = () => {
          if (!loaded()) return requestAnimationFrame(check);
          // The frame after the one the rows went into: they are painted.
          requestAnimationFrame(() => resolve(performance.now() - start));
        };
        check();
      }),
  );
}

/** Devices publishing QoS 0 telemetry as fast as their sockets drain, until stop(). */
async function publishers(server, app) {
  const { host, port } = server.endpoints.mqtt;
  const clients = await Promise.all(
    Array.from({ length: PUBLISHERS }, (_, i) =>
      mqtt.connectAsync({
        host,
        port,
        username: `d${i}@${app}`,
        password: DEVICE_PASSWORD,
        protocolVersion: 4,
        reconnectPeriod: 0,
      }),
    ),
  );
  let running = true;
  const payload = JSON.stringify({ temperature: 21.5, humidity: 40, note: 'console benchmark' });
  for (const client of clients) {
    const pump = () => {
      while (running && client.stream.writableLength < 64 * 1024) client.publish('telemetry', payload, { qos: 0 });
      if (running) client.stream.once('drain', pump);
    };
    pump();
  }
  return async () => {
    running = false;
    await Promise.all(clients.map((c) => c.endAsync()));
  };
}

/** Counts, in the page, what arrives on a bare WebSocket of the app for `seconds`: events per second. */
function rawWebSocketRate(page, url, app, token, seconds) {
  return page.evaluate(
    ({ wsUrl, seconds }) =>
      new Promise((resolve, reject) => {
        const socket = new WebSocket(wsUrl);
        let count = 0;
        let start = 0;
        socket.onopen = () => {
          start = performance.now();
          setTimeout(() => {
            socket.close();
            resolve(count / ((performance.now() - start) / 1000));
          }, seconds * 1000);
        };
        socket.onmessage = () => {
          count++;
        };
        socket.onerror = () => reject(new Error('the WebSocket failed'));
      }),
    {
      wsUrl: `${url.replace(/^http/, 'ws')}/api/integration/ws/v1alpha1/${app}?username=admin&api_key=${token}`,
      seconds,
    },
  );
}

/** Events the live view rendered per second over `seconds`, and its frames longer than 50 ms. */
async function liveViewRate(page, url, app, seconds) {
  await page.goto(`${url}/console/apps/${app}/events`);
  await page.locator('[data-rendered]').waitFor();
  return page.evaluate(
    (seconds) =>
      new Promise((resolve) => {
        const list = document.querySelector('[data-rendered]');
        const rendered = () => Number(list.getAttribute('data-rendered'));
        const first = rendered();
        const start = performance.now();
        let last = start;
        let longFrames = 0;
        let frames = 0;
        const frame = (t) => {
          frames++;
          if (t - last > 50) longFrames++;
          last = t;
          if (t - start < seconds * 1000) return requestAnimationFrame(frame);
          resolve({ rate: (rendered() - first) / ((t - start) / 1000), longFrames, frames });
        };
        requestAnimationFrame(frame);
      }),
    seconds,
  );
}

export async function benchConsole() {
  if (spawnSync('test', ['-x', '/usr/bin/chromium']).status !== 0) {
    console.log('console: skipped (no /usr/bin/chromium)');
    return;
  }
  const server = await startServe({ args: ['--admin-password', ADMIN_PASSWORD] });
  const browser = await launch();
  try {
    const registry = registryOf(server);
    await registry.createApp('fleet');
    await registry.createApp('empty');
    await registry.createDevices('fleet', DEVICES);
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await logIn(page, server.url);

    // The empty app's table has no device rows: its loaded state is the empty message's row.
    const full = [];
    const empty = [];
    for (let i = 0; i < RUNS + 1; i++) {
      const e = await timeDevicesTable(page, server.url, 'empty');
      const f = await timeDevicesTable(page, server.url, 'fleet');
      // The first round warms the browser and the server up.
      if (i > 0) {
        empty.push(e);
        full.push(f);
      }
    }
    report(
      `console: devices table, ${DEVICES.toLocaleString('en-US')} devices, first render`,
      median(full),
      'ms',
      median(empty),
      'empty table',
    );

    const token = server.user.token;
    const stop = await publishers(server, 'fleet');
    try {
      const raw = await rawWebSocketRate(page, server.url, 'fleet', token, EVENT_SECONDS);
      const live = await liveViewRate(page, server.url, 'fleet', EVENT_SECONDS);
      report('console: live view, events rendered', live.rate, 'events/s', raw, 'raw WebSocket');
      report('console: live view, frames over 50 ms', live.longFrames, `of ${live.frames} frames`);
    } finally {
      await stop();
    }
  } finally {
    await browser.close();
    await server.stop();
  }
}
