// Firmware rollout: DEVICES simulated devices (drg simulate, over MQTT) updated from 1.0.0 to a 256 KiB image at mtu
// 512 by the firmware agent of drg serve, one stage with every device (`--canary 100%`: the data path, not the
// stage logic), timed from `drg firmware rollout` until the rollout's status says every device is in sync; then
// (BENCH_FIRMWARE_STAGED=1) the same with the default stages. Against a baseline in the same run: as many
// request/response round trips (a report on `dfu`, answered with a fixed 512-byte command, as soon as it comes the
// next report) through a drg serve with --no-firmware-agent, the answers from a responder on the MQTT integration.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import mqtt from 'mqtt';
import { DEVICE_PASSWORD, now, registryOf, until } from './data-plane-lib.mjs';
import { benchEnv, DRG, report, rssMb, startServe } from './lib.mjs';

const DEVICES = Number(process.env.BENCH_FIRMWARE_DEVICES ?? 1000);
const STAGED = process.env.BENCH_FIRMWARE_STAGED === '1';
const IMAGE_BYTES = 256 * 1024;
const MTU = 512;
/** Per device: a Write for each block, the Swap, and the Sync of the new version. */
const ROUND_TRIPS = IMAGE_BYTES / MTU + 2;
const APP = 'fleet';
/** Devices connecting at once (the simulator's default). */
const CONNECTING = 8;
/** A baseline report unanswered this long is made again (the simulator's answer timeout). */
const ANSWER_TIMEOUT_MS = 10_000;
/** What a baseline device reports: the size of the simulator's packed CBOR report mid-update. */
const REPORT = { payload: randomBytes(28), contentType: 'application/cbor' };
const MiB = 1024 * 1024;

/** Runs `drg ARGS` against the server; resolves with its stdout. */
function drg(env, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DRG, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.once('exit', (code) =>
      code === 0
        ? resolve(stdout)
        : reject(new Error(`drg ${args[0]} ${args[1]} exited with ${code}: ${stderr.trim()}`)),
    );
  });
}

/** The peak resident memory of `pid` in MiB, sampled every 100 ms from `reset()` on. */
function rssPeak(pid) {
  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, rssMb(pid));
  };
  const timer = setInterval(sample, 100);
  return {
    reset() {
      peak = 0;
      sample();
    },
    peak() {
      sample();
      return peak;
    },
    stop: () => clearInterval(timer),
  };
}

/** Runs `fn` on each item, `concurrency` at a time. */
async function inTurns(items, concurrency, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/**
 * `drg simulate` with DEVICES devices at 1.0.0 (no telemetry); resolves once every one is connected and has reported.
 * `stop()` ends it and resolves with its JSON summary.
 */
async function startSimulator(env) {
  const args = ['simulate', '--app', APP, '--devices', String(DEVICES), '--rate', '0', '--mtu', String(MTU)];
  const child = spawn(process.execPath, [DRG, ...args, '-o', 'json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  const lines = [];
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await new Promise((resolve, reject) => {
    createInterface({ input: child.stderr }).on('line', (line) => {
      lines.push(line);
      if (lines.length > 5) lines.shift();
      if (line.startsWith('Simulating ')) resolve();
    });
    exited.then((code) => reject(new Error(`drg simulate exited with ${code}: ${lines.join(' / ')}`)));
  });
  return {
    /** Its last line on stderr (a status line every 5 s). */
    lastLine: () => lines.at(-1),
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      if (code !== 0) throw new Error(`drg simulate exited with ${code}: ${lines.join(' / ')}`);
      return JSON.parse(stdout);
    },
    /** Ends it, if it still runs, and forgets its summary (after a failure). */
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Polls the application until its rollout (the one in its spec) completed; rejects when it paused or failed. */
async function rolloutCompleted(server, simulator) {
  const url = `${server.url}/api/registry/v1alpha1/apps/${APP}`;
  let last = '';
  let since = now();
  for (;;) {
    const res = await fetch(url, { headers: { authorization: server.authorization } });
    if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
    const app = await res.json();
    const status = app.status?.rollout;
    if (status && status.id === app.spec?.rollout?.id) {
      if (status.phase === 'Completed') return;
      if (status.phase !== 'Running') throw new Error(`the rollout is ${status.phase}: ${status.reason ?? ''}`);
      // Counts stay the same while the devices download: the simulator's status line (every 5 s) moves then.
      const progress = `${JSON.stringify(status.counts)}; simulator: ${simulator.lastLine()}`;
      if (progress !== last) {
        last = progress;
        since = now();
      }
    }
    if (now() - since > 30_000) throw new Error(`the rollout made no progress for 30 s (${last})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One rollout of a fresh 256 KiB image `version` to every device; its wall time (s) and drg serve's peak RSS. */
async function rollOut({ server, env, dir, rss, simulator }, version, flags) {
  const file = join(dir, `fw-${version}.bin`);
  writeFileSync(file, randomBytes(IMAGE_BYTES));
  await drg(env, ['firmware', 'push', file, '--app', APP, '--name', 'fw', '--version', version]);
  rss.reset();
  const start = now();
  await drg(env, ['firmware', 'rollout', '--app', APP, '--name', 'fw', '--version', version, '--yes', ...flags]);
  await rolloutCompleted(server, simulator);
  return { seconds: (now() - start) / 1000, rssMb: rss.peak() };
}

/** The rollouts through a drg serve with its firmware agent (the default). */
async function rollouts() {
  const server = await startServe();
  const rss = rssPeak(server.pid);
  const dir = mkdtempSync(join(tmpdir(), 'drg-bench-firmware-'));
  let simulator;
  try {
    const env = benchEnv({ DRGCFG: server.configPath });
    await registryOf(server).createApp(APP);
    simulator = await startSimulator(env);
    const run = { server, env, dir, rss, simulator };
    const single = await rollOut(run, '2.0.0', ['--canary', '100%']);
    const staged = STAGED ? await rollOut(run, '3.0.0', []) : undefined;
    const summary = await simulator.stop();
    const version = staged ? '3.0.0' : '2.0.0';
    const failed = summary.failures.reverted + summary.failures.mismatched;
    if (summary.versions[version] !== DEVICES || failed > 0) {
      throw new Error(`the simulator ended with ${JSON.stringify(summary.versions)}, ${failed} failed updates`);
    }
    return { single, staged };
  } finally {
    rss.stop();
    await simulator?.kill();
    rmSync(dir, { recursive: true, force: true });
    await server.stop();
  }
}

/** Connects the devices as the simulator's do (own inbox at QoS 0; they report on `dfu` at QoS 1). */
async function connectDevices(server, devices) {
  const { host, port } = server.endpoints.mqtt;
  await inTurns(devices, CONNECTING, async (device) => {
    device.client = await mqtt.connectAsync({
      host,
      port,
      protocolVersion: 5,
      clean: true,
      clientId: `${APP}.${device.name}`,
      username: `${device.name}@${APP}`,
      password: DEVICE_PASSWORD,
      keepalive: 30,
      reconnectPeriod: 0,
      queueQoSZero: false,
    });
    await device.client.subscribeAsync('command/inbox//#', { qos: 0 });
  });
}

/**
 * Each device reports, and reports again as soon as a command comes, until it had ROUND_TRIPS answers; resolves
 * with the seconds until the last one had its last, and how many reports were made again after the timeout.
 */
async function echoRoundTrips(devices) {
  let answers = 0;
  let again = 0;
  const send = (device) => {
    clearTimeout(device.timer);
    device.client.publish('dfu', REPORT.payload, { qos: 1, properties: { contentType: REPORT.contentType } });
    device.timer = setTimeout(() => {
      again++;
      send(device);
    }, ANSWER_TIMEOUT_MS);
  };
  for (const device of devices) {
    device.answers = 0;
    device.client.on('message', (topic) => {
      if (topic !== 'command/inbox//dfu') return;
      answers++;
      if (++device.answers < ROUND_TRIPS) send(device);
      else clearTimeout(device.timer);
    });
  }
  const start = now();
  for (const device of devices) send(device);
  const total = DEVICES * ROUND_TRIPS;
  await until(() => answers >= total, `baseline: ${total} round trips`, { progress: () => answers, ms: 30_000 });
  return { seconds: (now() - start) / 1000, again };
}

/** The baseline: as many round trips through a drg serve without firmware agent, answered by firmware-echo.mjs. */
async function baseline() {
  const server = await startServe({ args: ['--no-firmware-agent'] });
  const rss = rssPeak(server.pid);
  const devices = Array.from({ length: DEVICES }, (_, i) => ({ name: `d${i}` }));
  let echo;
  try {
    const registry = registryOf(server);
    await registry.createApp(APP);
    await registry.createDevices(APP, DEVICES);
    const { host, port } = server.endpoints.mqttIntegration;
    echo = new Worker(new URL('./firmware-echo.mjs', import.meta.url), {
      workerData: {
        host,
        port,
        username: server.user.name,
        password: server.user.token,
        app: APP,
        group: 'bench',
        commandBytes: MTU,
      },
    });
    const ready = new Promise((resolve, reject) => {
      echo.on('message', (message) => {
        if (message.error) reject(new Error(`the echo responder: ${message.error}`));
        else if (message.ready) resolve();
      });
      echo.once('error', reject);
    });
    await ready;
    await connectDevices(server, devices);
    rss.reset();
    const result = await echoRoundTrips(devices);
    return { ...result, rssMb: rss.peak() };
  } finally {
    rss.stop();
    for (const device of devices) clearTimeout(device.timer);
    await Promise.all(devices.map((d) => d.client?.endAsync()));
    await echo?.terminate();
    await server.stop();
  }
}

export async function benchFirmware() {
  const devices = DEVICES.toLocaleString('en-US');
  const trips = DEVICES * ROUND_TRIPS;
  const base = await baseline();
  const bytesPerS = (s) => (DEVICES * IMAGE_BYTES) / s / MiB;
  report(
    `baseline: ${trips.toLocaleString('en-US')} round trips of ${devices} devices through drg serve, no firmware logic`,
    trips / base.seconds,
    'round trips/s',
  );
  if (base.again > 0) console.log(`  (${base.again} baseline reports were made again after ${ANSWER_TIMEOUT_MS} ms)`);
  const { single, staged } = await rollouts();
  const name = `firmware rollout to ${devices} devices (256 KiB, mtu ${MTU}, MQTT)`;
  report(`${name}, one stage: wall time`, single.seconds, 's', base.seconds, 'baseline');
  report(
    `${name}, one stage: round trips/s`,
    trips / single.seconds,
    'round trips/s',
    trips / base.seconds,
    'baseline',
  );
  report(`${name}, one stage: firmware`, bytesPerS(single.seconds), 'MiB/s', bytesPerS(base.seconds), 'baseline', {
    text: '>= 50% of baseline',
    met: (v, b) => v >= 0.5 * b,
  });
  report(`drg serve peak RSS during the rollout`, single.rssMb, 'MiB', base.rssMb, 'baseline', {
    text: '< 500 MiB',
    met: (v) => v < 500,
  });
  if (staged) {
    report(`${name}, default stages: wall time`, staged.seconds, 's', base.seconds, 'baseline');
    report(
      `${name}, default stages: firmware`,
      bytesPerS(staged.seconds),
      'MiB/s',
      bytesPerS(base.seconds),
      'baseline',
    );
  }
}
