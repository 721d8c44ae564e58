// Session resolution: config file, context, application, and the clients' base URLs.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import type { GlobalOptions } from '../../src/cli.js';
import { openSession, requireApp, resolveApp, resolveContext } from '../../src/client/session.js';
import type { Config, Context } from '../../src/config/config.js';
import { CliError, UsageError } from '../../src/output/errors.js';
import { tempDir } from '../helpers/serve.js';

const ENV = ['DRGCFG', 'DRG_CONTEXT', 'DRG_APP'] as const;
let saved: Record<string, string | undefined>;
beforeEach(() => {
  saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
  for (const k of ENV) delete process.env[k];
});
afterEach(() => {
  for (const k of ENV) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

const ctx = (name: string, extra: Partial<Context> = {}): Context => ({
  name,
  drogue_cloud_url: `https://${name}.example`,
  ...extra,
});
const config: Config = {
  active_context: 'one',
  contexts: [ctx('one', { default_app: 'app-one' }), ctx('two', { registry_url: 'https://registry.two.example/' })],
};

function writeConfig(text: string): string {
  const path = join(tempDir(), 'config.yaml');
  writeFileSync(path, text);
  return path;
}

test('context: -c, else DRG_CONTEXT, else the active one', () => {
  assert.equal(resolveContext({}, config).name, 'one');
  process.env.DRG_CONTEXT = 'two';
  assert.equal(resolveContext({}, config).name, 'two');
  assert.equal(resolveContext({ context: 'one' }, config).name, 'one');
});

test('context errors say what to do', () => {
  assert.throws(
    () => resolveContext({}, { contexts: [] }),
    (err: unknown) => err instanceof CliError && err.message === 'no context: run `drg login URL` (or `drg serve`)',
  );
  assert.throws(
    () => resolveContext({ context: 'three' }, config),
    (err: unknown) => err instanceof CliError && err.message === 'context three not found (known: one, two)',
  );
  assert.throws(
    () => resolveContext({}, { active_context: 'x', contexts: [{ name: 'x' } as Context] }),
    /context x has no drogue_cloud_url/,
  );
});

test('app: --app, else --application, else DRG_APP, else the context default; validated', () => {
  const one = config.contexts[0];
  assert.equal(resolveApp({}, one), 'app-one');
  assert.equal(resolveApp({}, config.contexts[1]), undefined);
  process.env.DRG_APP = 'from-env';
  assert.equal(resolveApp({}, one), 'from-env');
  assert.equal(resolveApp({ application: 'long-form' }, one), 'long-form');
  assert.equal(resolveApp({ app: 'short', application: 'long-form' }, one), 'short');
  assert.throws(() => resolveApp({ app: 'Not_Valid' }, one), UsageError);
});

test('requireApp: a UsageError naming the three ways to set it', () => {
  assert.throws(
    () => requireApp({}, config.contexts[1]),
    (err: unknown) =>
      err instanceof UsageError &&
      err.exitCode === 2 &&
      err.message === 'no application: pass --app NAME, set DRG_APP, or `drg context default-app NAME`',
  );
});

test('openSession reads --config, else DRGCFG; the registry uses registry_url when set', async () => {
  const text = `active_context: one
contexts:
  - name: one
    drogue_cloud_url: https://one.example/
    default_app: app-one
    token: { id: alice, token: drg_secret }
  - name: two
    drogue_cloud_url: https://two.example
    registry_url: https://registry.two.example/
`;
  const path = writeConfig(text);
  const globals: GlobalOptions = { config: path };
  const one = await openSession(globals);
  assert.equal(one.configPath, path);
  assert.equal(one.context.name, 'one');
  assert.equal(one.api.baseUrl, 'https://one.example');
  assert.equal(one.registry.api.baseUrl, 'https://one.example');
  assert.equal(one.requireApp(), 'app-one');
  assert.equal(await one.api.tokens?.authorization(), `Basic ${Buffer.from('alice:drg_secret').toString('base64')}`);

  process.env.DRGCFG = path;
  const two = await openSession({ context: 'two' });
  assert.equal(two.configPath, path);
  assert.equal(two.registry.api.baseUrl, 'https://registry.two.example');
  assert.equal(await two.api.tokens?.authorization(), undefined);
  assert.throws(() => two.requireApp(), UsageError);
});

test('openSession: a broken config file is a one-line CliError', async () => {
  const path = writeConfig('contexts: [unclosed');
  await assert.rejects(
    openSession({ config: path }),
    (err: unknown) => err instanceof CliError && /not valid YAML/.test(err.message),
  );
});
