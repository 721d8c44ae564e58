// For `drg login` e2e tests: a drg serve with a known user, drg processes to interact with while they run, a real
// headless browser (Debian's chromium through playwright-core; never a downloaded one), and reading the config.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { ServerOptions } from '../../src/server-lite/server.js';
import { readContext } from './config.js';
import { type LocalServer, startLocalServer } from './drg.js';
import { drg, type RunResult, type ServeHandle, startServe, tempDir } from './serve.js';

export const ALICE = { user: 'alice', password: 'alice pass: with colon' };

/** An in-process drg serve with the user alice; `options` e.g. `accessTokenTtl`. */
export function startServerWithAlice(options: Partial<ServerOptions> = {}): Promise<LocalServer> {
  return startLocalServer({ users: [{ name: ALICE.user, password: ALICE.password }], ...options });
}

/** The built drg serve with `-v` (request logs) and the user alice; `args` e.g. `--token-ttl`. */
export function startServeWithAlice(args: string[] = []): Promise<ServeHandle> {
  return startServe({ args: ['-v', '--user', `${ALICE.user}:${ALICE.password}`, ...args] });
}

export function launchChromium(): Promise<Browser> {
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

/** Fills in and submits the issuer's login form on `page`. */
export async function submitLoginForm(page: Page, user = ALICE.user, password = ALICE.password): Promise<void> {
  await page.fill('#username', user);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
}

/**
 * Collects every secret a test file used and everything drg printed, to check at the end that no token or password
 * ever appeared in drg's output or the server's logs.
 */
export class SecretsWatch {
  private readonly secrets = new Set<string>();
  private readonly outputs: string[] = [];

  secret(...values: (string | undefined)[]): void {
    for (const value of values) if (value) this.secrets.add(value);
  }

  /** Records a run's output, and the tokens the context holds afterwards. */
  run(result: RunResult, configPath?: string, contextName = 'default'): RunResult {
    this.outputs.push(result.stdout, result.stderr);
    if (configPath) this.context(configPath, contextName);
    return result;
  }

  context(configPath: string, name = 'default'): void {
    try {
      const token = readContext(configPath, name).token;
      this.secret(token?.access_token, token?.refresh_token, token?.token);
    } catch {
      // no such context (yet)
    }
  }

  /** Asserts that none of the secrets occurs in drg's output or in `serverLogs`. */
  assertNoneIn(serverLogs: string): void {
    assert.ok(this.secrets.size > 0, 'secrets were collected');
    const haystacks = { 'drg output': this.outputs.join('\n'), 'server logs': serverLogs };
    for (const secret of this.secrets) {
      assert.ok(secret.length >= 8, 'a secret is long enough to be recognised');
      for (const [where, text] of Object.entries(haystacks)) {
        assert.ok(!text.includes(secret), `${where} contain a secret (${secret.slice(0, 4)}…)`);
      }
    }
  }
}

const RECORD_LOADS = new URL('./record-loads.mjs', import.meta.url).href;

/**
 * Runs drg and lists the npm packages whose code it loaded: those imported from node_modules, and those bundled into
 * dist/cli.cjs (from its source map).
 */
export async function packagesLoadedBy(
  configPath: string,
  args: string[],
): Promise<{ result: RunResult; packages: Set<string> }> {
  const loads = join(tempDir(), 'loads.txt');
  const result = await drg(configPath, args, {
    env: { NODE_OPTIONS: `--import=${RECORD_LOADS}`, DRG_TEST_LOADS: loads },
  });
  const packages = new Set<string>();
  const addFrom = (path: string) => {
    const name = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1];
    if (name) packages.add(name);
  };
  for (const url of readFileSync(loads, 'utf8')
    .split('\n')
    .filter((u) => u.startsWith('file:'))) {
    const path = fileURLToPath(url);
    addFrom(path);
    if (path.includes('/dist/') && existsSync(`${path}.map`)) {
      for (const source of JSON.parse(readFileSync(`${path}.map`, 'utf8')).sources as string[]) addFrom(source);
    }
  }
  return { result, packages };
}
