// Shared pieces of the benchmarks: a drg serve in a temp dir, timing helpers, and a result table.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parse } from 'yaml';

export const DRG = resolve(import.meta.dirname, '../bin/drg.cjs');

/** The environment every timed child runs in: no extra CA bundle (it adds ~45 ms per Node start). */
export function benchEnv(extra = {}) {
  const env = { ...process.env, NO_COLOR: '1', ...extra };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/**
 * Starts `drg serve` on ephemeral ports (every listener: API, MQTT, MQTT integration, MQTTS, HTTPS); resolves with
 * its URL, config path, Basic credentials and the device and integration endpoints from its discovery.
 * `args` are more `drg serve` flags, `nodeArgs` flags for its Node, `drg` the launcher (another checkout's, to compare
 * builds), `env` more environment variables; with BENCH_CPU_PROF=DIR, each server writes a CPU profile into DIR when
 * it stops (open it in Chrome's DevTools, or sum its self times).
 */
export async function startServe({ args = [], nodeArgs = [], drg = DRG, env = {} } = {}) {
  const profile = process.env.BENCH_CPU_PROF;
  if (profile) nodeArgs = [...nodeArgs, '--cpu-prof', `--cpu-prof-dir=${resolve(profile)}`];
  const dir = mkdtempSync(join(tmpdir(), 'drg-bench-'));
  const configPath = join(dir, 'config.yaml');
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      drg,
      'serve',
      '--port',
      '0',
      '--mqtt-port',
      '0',
      '--mqtt-integration-port',
      '0',
      '--mqtts-port',
      '0',
      '--https-port',
      '0',
      '--data-dir',
      join(dir, 'data'),
      '--config',
      configPath,
      ...args,
    ],
    { env: benchEnv(env), stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const url = await new Promise((res, rej) => {
    const errors = [];
    createInterface({ input: child.stderr }).on('line', (line) => {
      try {
        const entry = JSON.parse(line);
        if (entry.msg === 'drg serve ready') res(entry.url);
      } catch {
        if (errors.length < 5) errors.push(line);
      }
    });
    child.once('exit', (code) => rej(new Error(`drg serve exited with ${code}: ${errors.join(' / ')}`)));
  });
  const cfg = parse(readFileSync(configPath, 'utf8'));
  const ctx = cfg.contexts.find((c) => c.name === cfg.active_context);
  const authorization = `Basic ${Buffer.from(`${ctx.token.id}:${ctx.token.token}`).toString('base64')}`;
  const discovery = await (await fetch(`${url}/.well-known/drogue-endpoints`)).json();
  return {
    url,
    pid: child.pid,
    configPath,
    authorization,
    /** The user and access token behind `authorization` (MQTT integration credentials). */
    user: { name: ctx.token.id, token: ctx.token.token },
    /** From discovery; a field is undefined when this server does not serve it. */
    endpoints: {
      /** `{ host, port }` */
      mqtt: discovery.mqtt,
      /** `{ host, port }` */
      mqttIntegration: discovery.mqtt_integration,
      /** The HTTP device endpoint's URL. */
      http: discovery.http?.url,
      /** The WebSocket integration's URL; the application name goes after it. */
      websocketIntegration: discovery.websocket_integration?.url,
    },
    stop: () => stopChild(child, dir),
  };
}

/** SIGTERM to a server the benchmarks started; once it exited, its temp dir goes. */
export async function stopChild(child, dir) {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  rmSync(dir, { recursive: true, force: true });
}

/** CPU time in ms (user + system) of process `pid`: its main thread's, and all its threads' (Linux). */
export function cpuMs(pid) {
  const ticks = (path) => {
    const fields = readFileSync(path, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * (1000 / CLOCK_TICKS);
  };
  return { main: ticks(`/proc/${pid}/task/${pid}/stat`), all: ticks(`/proc/${pid}/stat`) };
}

/** USER_HZ: /proc's unit of CPU time (100 on every Linux this runs on). */
const CLOCK_TICKS = 100;

/** The resident memory of process `pid` in MB (Linux). */
export function rssMb(pid) {
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
}

/**
 * Median wall times in ms of commands run in turns (`runs` rounds, after `warmup` untimed ones), so that what else
 * the machine does weighs on each of them alike: their ratios are fair even when the absolute times drift.
 * `commands` maps a name to [cmd, args, env].
 */
export function medianWallTimes(commands, { runs = 31, warmup = 3 } = {}) {
  const times = Object.fromEntries(Object.keys(commands).map((name) => [name, []]));
  for (let i = 0; i < warmup + runs; i++) {
    for (const [name, [cmd, args, env = benchEnv()]] of Object.entries(commands)) {
      const start = process.hrtime.bigint();
      const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
      if (i >= warmup) times[name].push(ms);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([name, list]) => [name, median(list)]));
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const rows = [];

/** Records one figure with its baseline; `goal` is a predicate text shown next to it. */
export function report(name, value, unit, baseline, baselineName, goal) {
  rows.push({ name, value, unit, baseline, baselineName, goal });
  const ratio = baseline ? ` (${(value / baseline).toFixed(2)}x ${baselineName})` : '';
  console.log(
    `${name}: ${fmt(value)} ${unit}${ratio}${goal ? `  [goal: ${goal.text}: ${goal.met(value, baseline) ? 'met' : 'NOT met'}]` : ''}`,
  );
}

export function summary() {
  console.log('\nsummary');
  const lines = rows.map((r) => [
    r.name,
    `${fmt(r.value)} ${r.unit}`,
    r.baseline ? `${(r.value / r.baseline).toFixed(2)}x ${r.baselineName} (${fmt(r.baseline)} ${r.unit})` : '',
    r.goal ? `${r.goal.text}: ${r.goal.met(r.value, r.baseline) ? 'met' : 'NOT met'}` : '',
  ]);
  const widths = [0, 1, 2].map((i) => Math.max(...lines.map((cells) => cells[i].length)));
  for (const cells of lines) {
    console.log(`  ${cells.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]) : cell)).join('  ')}`.trimEnd());
  }
}

function fmt(v) {
  return v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1);
}
