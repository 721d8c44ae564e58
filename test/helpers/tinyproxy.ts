// Debian's tinyproxy (a proxy nobody here wrote) on an ephemeral port, with its config and logs in a temp dir.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { freePort, tempDir } from './serve.js';

export interface Tinyproxy {
  /** `http://127.0.0.1:PORT`, without credentials. */
  url: string;
  port: number;
  /** Resolves once tinyproxy has logged `text` (it logs the request line of each request it handles). */
  logged: (text: string) => Promise<void>;
  stop: () => Promise<void>;
}

const READY = 'Accepting connections';

/** Starts tinyproxy; with `basicAuth`, it asks for those credentials (BasicAuth). */
export async function startTinyproxy(options: { basicAuth?: [string, string] } = {}): Promise<Tinyproxy> {
  if (spawnSync('tinyproxy', ['-v']).error) {
    throw new Error('tinyproxy is not installed: apt-get install -y tinyproxy');
  }
  // tinyproxy needs a fixed port in its config: take a free one, and another if someone took it meanwhile.
  for (let tries = 0; ; tries++) {
    const dir = tempDir('drg-tinyproxy-');
    try {
      return await start(dir, await freePort(), options.basicAuth);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      if (tries === 2) throw err;
    }
  }
}

async function start(dir: string, port: number, basicAuth?: [string, string]): Promise<Tinyproxy> {
  const config = join(dir, 'tinyproxy.conf');
  const lines = [`Port ${port}`, 'Listen 127.0.0.1', 'Timeout 30', 'LogLevel Info', 'MaxClients 20'];
  lines.push('Allow 127.0.0.1');
  if (basicAuth) lines.push(`BasicAuth ${basicAuth[0]} ${basicAuth[1]}`);
  writeFileSync(config, `${lines.join('\n')}\n`);
  const child: ChildProcess = spawn('tinyproxy', ['-d', '-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  let waiting: { text: string; resolve: () => void }[] = [];
  const onData = (chunk: Buffer) => {
    log += chunk;
    for (const waiter of waiting.filter((w) => log.includes(w.text))) waiter.resolve();
    waiting = waiting.filter((w) => !log.includes(w.text));
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const logged = (text: string) =>
    log.includes(text) ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ text, resolve }));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await Promise.race([
    logged(READY),
    exited.then(() => Promise.reject(new Error(`tinyproxy exited before it was ready:\n${log}`))),
  ]);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    logged,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A name of this machine other than `localhost` that resolves to loopback addresses only (its host name here):
 * requests to `localhost` and loopback addresses never go through a proxy, so tests of proxying need another name.
 */
export async function proxiedHostName(): Promise<string> {
  const name = hostname();
  const addresses = await lookup(name, { all: true }).catch(() => []);
  if (addresses.length === 0 || !addresses.every((a) => a.address.startsWith('127.') || a.address === '::1')) {
    throw new Error(`the proxy tests need this machine's name (${name}) to resolve to 127.0.0.1, e.g. in /etc/hosts`);
  }
  return name;
}
