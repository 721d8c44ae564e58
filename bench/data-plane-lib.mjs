// Shared pieces of the data-plane benchmarks: a Mosquitto broker as the baseline, applications and devices in a
// drg serve, a line-counting mosquitto_sub consumer, and waiting helpers.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { stopChild } from './lib.mjs';

export const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
export const DEVICE_PASSWORD = 'bench-secret';
const MOSQUITTO = '/usr/sbin/mosquitto';

export const now = () => performance.now();

/** A free loopback TCP port (free when asked: taken by whoever binds it first). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Resolves once `port` on loopback accepts connections (within `ms`). */
async function waitForPort(port, ms = 5000) {
  const deadline = now() + ms;
  for (;;) {
    const open = await new Promise((resolve) => {
      const socket = tcpConnect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (now() > deadline) throw new Error(`nothing listens on port ${port}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Mosquitto 2 on a free loopback port, anonymous, with no queue limit (it would drop QoS 1 messages for a busy
 * consumer otherwise) and the same window of unacknowledged QoS 1 messages towards a consumer as drg serve's.
 */
export async function startMosquitto() {
  const dir = mkdtempSync(join(tmpdir(), 'drg-bench-mosquitto-'));
  const port = await freePort();
  const config = join(dir, 'mosquitto.conf');
  writeFileSync(
    config,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      'max_queued_messages 0',
      'max_inflight_messages 64',
      'log_dest stderr',
      'log_type error',
      '',
    ].join('\n'),
  );
  const child = spawn(MOSQUITTO, ['-c', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  await Promise.race([
    waitForPort(port),
    new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`mosquitto exited with ${code}`)))),
  ]);
  return {
    host: '127.0.0.1',
    port,
    pid: child.pid,
    stop: () => stopChild(child, dir),
  };
}

/** The registry of a drg serve started by startServe: applications and devices with a `pass` credential. */
export function registryOf(server) {
  const api = `${server.url}/api/registry/v1alpha1`;
  const headers = { authorization: server.authorization, 'content-type': 'application/json' };
  return {
    async createApp(app) {
      const res = await fetch(`${api}/apps`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ metadata: { name: app } }),
      });
      if (res.status !== 201) throw new Error(`create app ${app}: ${res.status} ${await res.text()}`);
    },
    /** Devices `<prefix>0` to `<prefix>(count-1)` in `app`, all with the password DEVICE_PASSWORD. */
    createDevices(app, count, prefix = 'd') {
      let next = 0;
      const credentials = { credentials: [{ pass: DEVICE_PASSWORD }] };
      return new Promise((resolve, reject) => {
        const run = autocannon(
          {
            url: `${api}/apps/${app}/devices`,
            connections: Math.min(16, count),
            amount: count,
            method: 'POST',
            headers,
            requests: [
              {
                setupRequest: (req) => ({
                  ...req,
                  body: JSON.stringify({ metadata: { name: `${prefix}${next++}` }, spec: { credentials } }),
                }),
              },
            ],
          },
          (err, result) =>
            err
              ? reject(err)
              : result.non2xx || result.errors || result['2xx'] !== count
                ? reject(new Error(`creating ${count} devices in ${app}: ${result['2xx']} created`))
                : resolve(),
        );
        run.on('error', reject);
      });
    },
  };
}

/** Resolves when `condition()` holds (checked every `every` ms); rejects after `ms` without progress of `progress()`. */
export async function until(condition, what, { progress = () => 0, ms = 10_000, every = 2 } = {}) {
  let last = progress();
  let since = now();
  while (!condition()) {
    await new Promise((r) => setTimeout(r, every));
    const p = progress();
    if (p !== last) {
      last = p;
      since = now();
    } else if (now() - since > ms) {
      throw new Error(`${what}: no progress for ${ms / 1000} s`);
    }
  }
}

/**
 * A mosquitto_sub consumer counting the messages it receives (one line each: structured CloudEvents and the
 * benchmark's JSON payloads have no newline), with the time of each count; `args` say where and what.
 */
export function lineCounter(args) {
  const child = spawn('mosquitto_sub', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const counter = {
    count: 0,
    /** The time the count last grew. */
    lastAt: 0,
    /** While set, each complete line is also given to it (warm-up messages are looked for there). */
    onLine: undefined,
    exited: false,
    stderr: () => stderr,
    stop() {
      if (counter.exited) return Promise.resolve();
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      return exited;
    },
  };
  let partial = '';
  child.stdout.on('data', (chunk) => {
    let lines = 0;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    if (counter.onLine) {
      const text = partial + chunk.toString();
      const parts = text.split('\n');
      partial = parts.pop();
      for (const line of parts) counter.onLine(line);
    }
    if (lines > 0) {
      counter.count += lines;
      counter.lastAt = now();
    }
  });
  child.once('exit', () => {
    counter.exited = true;
  });
  return counter;
}

/** Percentile `p` (0..1) of ascending `sorted` values. */
export function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}
