// Session resolution: config file, context, application, and the clients' base URLs, from flags and environment.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { selectionOf } from '../../src/cli/context.js';
import type { GlobalValues } from '../../src/cli/globals.js';
import { exitCodeOf } from '../../src/cli/report.js';
import { openSession, requireApp, resolveApp, resolveContext } from '../../src/client/session.js';
import type { Config, Context } from '../../src/config/config.js';
import { DrgError, UsageError } from '../../src/errors.js';
import { tempDir } from '../helpers/serve.js';

type Env = Record<string, string | undefined>;
const at = (globals: GlobalValues = {}, env: Env = {}) => selectionOf(globals, { HOME: '/nowhere', ...env });

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
  assert.equal(resolveContext(at(), config).name, 'one');
  assert.equal(resolveContext(at({}, { DRG_CONTEXT: 'two' }), config).name, 'two');
  assert.equal(resolveContext(at({ context: 'one' }, { DRG_CONTEXT: 'two' }), config).name, 'one');
  assert.equal(resolveContext(at({}, { DRG_CONTEXT: '' }), config).name, 'one', 'an empty variable is unset');
});

test('context errors say what to do; no context at all is an authentication failure (exit 4)', () => {
  assert.throws(
    () => resolveContext(at(), { contexts: [] }),
    (err: unknown) =>
      err instanceof DrgError &&
      exitCodeOf(err) === 4 &&
      err.message === 'no context: run `drg login URL` (or `drg serve`)',
  );
  assert.throws(
    () => resolveContext(at({ context: 'three' }), config),
    (err: unknown) => err instanceof DrgError && err.message === 'context three not found (known: one, two)',
  );
  assert.throws(
    () => resolveContext(at(), { active_context: 'x', contexts: [{ name: 'x' } as Context] }),
    /context x has no drogue_cloud_url/,
  );
});

test('app: --app, else --application, else DRG_APP, else the context default; validated', () => {
  const one = config.contexts[0];
  assert.equal(resolveApp(at(), one), 'app-one');
  assert.equal(resolveApp(at(), config.contexts[1]), undefined);
  const env = { DRG_APP: 'from-env' };
  assert.equal(resolveApp(at({}, env), one), 'from-env');
  assert.equal(resolveApp(at({ application: 'long-form' }, env), one), 'long-form');
  assert.equal(resolveApp(at({ app: 'short', application: 'long-form' }, env), one), 'short');
  assert.throws(() => resolveApp(at({ app: 'Not_Valid' }), one), UsageError);
  assert.throws(
    () => resolveApp(at(), ctx('bad', { default_app: 'Not_Valid' })),
    /the default app of context bad: application name "Not_Valid" is invalid/,
  );
});

test('-a "" is a usage error, not the default application', () => {
  for (const globals of [{ app: '' }, { application: '' }]) {
    assert.throws(
      () => at(globals),
      (err: unknown) => err instanceof UsageError && err.message === '--app must not be empty',
    );
  }
});

test('requireApp: a UsageError naming the three ways to set it', () => {
  assert.throws(
    () => requireApp(at(), config.contexts[1]),
    (err: unknown) =>
      err instanceof UsageError &&
      exitCodeOf(err) === 2 &&
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
  const one = await openSession(at({ config: path }));
  assert.equal(one.configPath, path);
  assert.equal(one.context.name, 'one');
  assert.equal(one.api.baseUrl, 'https://one.example');
  assert.equal(one.registry.api.baseUrl, 'https://one.example');
  assert.equal(one.requireApp(), 'app-one');
  assert.equal(await one.api.tokens?.authorization(), `Basic ${Buffer.from('alice:drg_secret').toString('base64')}`);

  const two = await openSession(at({ context: 'two' }, { DRGCFG: path }));
  assert.equal(two.configPath, path);
  assert.equal(two.registry.api.baseUrl, 'https://registry.two.example');
  assert.equal(await two.api.tokens?.authorization(), undefined);
  assert.throws(() => two.requireApp(), UsageError);
});

test('openSession: a broken config file is a one-line DrgError', async () => {
  const path = writeConfig('contexts: [unclosed');
  await assert.rejects(
    openSession(at({ config: path })),
    (err: unknown) => err instanceof DrgError && /not valid YAML/.test(err.message),
  );
});
