// HTTP telemetry through drg serve: autocannon posting a small JSON document to POST /v1/telemetry as a device, the
// events counted by a plain WebSocket client on the WebSocket integration (every accepted request's event must
// arrive), against node's own HTTP server answering 202 to the same load, in the same run. Both rates are the
// accepted requests over the time from the start until the last of them is done (for drg serve: its event received),
// the median of ROUNDS runs of each, in turns, after a warm-up run of each (JIT-compiling the code paths: a first
// run was a third slower, for both).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import autocannon from 'autocannon';
import { DEVICE_PASSWORD, now, registryOf, SECONDS, until } from './data-plane-lib.mjs';
import { benchEnv, median, report, startServe } from './lib.mjs';

/**
 * Devices posting at once, each one request after the other: every request waits for its event's disk sync, so
 * the rate is bounded by the devices in flight per sync, as a fleet's would be; a few dozen is a small fleet.
 */
const CONNECTIONS = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 64);
/** Runs of each, in turns (node:http, drg serve, ...), so that what else the machine does weighs on both. */
const ROUNDS = 5;
/** Each run's length, at least 2 s: the rates of shorter runs swung more. */
const ROUND_SECONDS = Math.max(2, SECONDS / ROUNDS);
const APP = 'http';
const BODY = '{"temp":21.5,"hum":40}';

/** autocannon's POSTs for `seconds`; resolves with the accepted count, how many were sent, and when it ended. */
async function post(url, authorization, seconds) {
  const result = await autocannon({
    url,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    headers: { authorization, 'content-type': 'application/json' },
    body: BODY,
  });
  const failures = result.non2xx + result.errors + result.timeouts;
  if (failures > 0) {
    throw new Error(`${url}: ${failures} failed requests (non2xx ${result.non2xx}, errors ${result.errors})`);
  }
  return { accepted: result['2xx'], sent: result.requests.sent, endedAt: now() };
}

/** The baseline: node's own HTTP server reading the body and answering 202, in a process of its own as drg serve. */
async function startBaseline() {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `require('node:http')
        .createServer((req, res) => req.resume().on('end', () => res.writeHead(202).end()))
        .listen(0, '127.0.0.1', function () { console.log(this.address().port); });`,
    ],
    { env: benchEnv(), stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [line] = await once(createInterface({ input: child.stdout }), 'line');
  const url = `http://127.0.0.1:${line}/v1/telemetry`;
  return {
    async rate(seconds) {
      const start = now();
      const { accepted, endedAt } = await post(url, 'Basic eA==', seconds);
      return accepted / ((endedAt - start) / 1000);
    },
    async close() {
      const exited = once(child, 'exit');
      child.kill();
      await exited;
    },
  };
}

/** The most frames the consumer keeps arrival times of. */
const MAX_FRAMES = 2_000_000;

/**
 * A WebSocket integration consumer of APP on a worker thread: `arrivals` reads like an array of the frames' arrival
 * times (on this thread's clock, `now()`).
 */
async function consume(server) {
  const shared = new SharedArrayBuffer(8 + 8 * MAX_FRAMES);
  const count = new Int32Array(shared, 0, 1);
  const times = new Float64Array(shared, 8);
  const worker = new Worker(new URL('./data-plane-consumer.mjs', import.meta.url), {
    workerData: { url: `${server.endpoints.websocketIntegration}${APP}`, authorization: server.authorization, shared },
  });
  let warm = false;
  await new Promise((resolve, reject) => {
    worker.on('message', (message) => {
      if (message === 'open') resolve();
      else if (message === 'warm') warm = true;
      else reject(new Error(message));
    });
  });
  const arrivals = {
    get length() {
      return Atomics.load(count, 0);
    },
    at: (i) => times[i] - performance.timeOrigin,
  };
  return { socket: { terminate: () => worker.terminate() }, arrivals, warm: () => warm };
}

/** Resolves once the consumer's count has not grown for 300 ms; returns it. */
async function quiet(arrivals) {
  let count = -1;
  while (count !== arrivals.length) {
    count = arrivals.length;
    await new Promise((r) => setTimeout(r, 300));
  }
  return count;
}

/**
 * One run through drg serve: the accepted requests, and their rate over the time until the consumer had all their
 * events.
 */
export async function rateThrough(url, authorization, { arrivals }, seconds) {
  const before = await quiet(arrivals);
  const start = now();
  const { accepted, sent, endedAt } = await post(url, authorization, seconds);
  await until(() => arrivals.length >= before + accepted, `${accepted} events at the WebSocket consumer`, {
    progress: () => arrivals.length,
  });
  const doneAt = Math.max(endedAt, arrivals.at(before + accepted - 1));
  await new Promise((r) => setTimeout(r, 100));
  // Requests autocannon gave up on at the end may have been accepted too, but no more than it sent.
  if (arrivals.length > before + sent) throw new Error(`${arrivals.length - before} events for ${sent} requests sent`);
  return { rate: accepted / ((doneAt - start) / 1000), accepted };
}

/**
 * Makes `server` a target of the HTTP load: application APP with one device, and a WebSocket consumer of it that
 * has received an event; resolves with the URL to post to, the device's credentials and the consumer.
 */
export async function telemetryTarget(server) {
  const registry = registryOf(server);
  await registry.createApp(APP);
  await registry.createDevices(APP, 1);
  const url = `${server.endpoints.http}/v1/telemetry`;
  const authorization = `Basic ${Buffer.from(`d0@${APP}:${DEVICE_PASSWORD}`).toString('base64')}`;
  const consumer = await consume(server);
  try {
    // Until an event gets through (the consumer's subscription follows its handshake).
    const deadline = now() + 15_000;
    while (!consumer.warm()) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: '{"warmup":0}',
      });
      if (res.status !== 202) throw new Error(`POST ${url}: ${res.status} ${await res.text()}`);
      if (now() > deadline) throw new Error('the WebSocket consumer received no event');
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    consumer.socket.terminate();
    throw err;
  }
  return { url, authorization, consumer };
}

export async function benchHttpTelemetry() {
  const baseline = await startBaseline();
  const server = await startServe();
  try {
    const { url, authorization, consumer } = await telemetryTarget(server);
    try {
      await baseline.rate(1);
      await rateThrough(url, authorization, consumer, 1);
      const base = [];
      const drg = [];
      for (let round = 0; round < ROUNDS; round++) {
        base.push(await baseline.rate(ROUND_SECONDS));
        drg.push((await rateThrough(url, authorization, consumer, ROUND_SECONDS)).rate);
      }
      report(
        'HTTP telemetry through drg serve to a WebSocket consumer',
        median(drg),
        'req/s',
        median(base),
        'node:http 202',
        {
          text: '>= 30% of node:http',
          met: (v, b) => v >= 0.3 * b,
        },
      );
    } finally {
      consumer.socket.terminate();
    }
  } finally {
    await server.stop();
    await baseline.close();
  }
}
