import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { configPath, loadConfig, updateConfig, upsertContext } from '../../src/config/config.js';
import { ConfigError } from '../../src/errors.js';
import { tempDir } from '../helpers/serve.js';

const configModule = resolve(import.meta.dirname, '../../src/config/config.ts');

test('a missing config file is an empty config', async () => {
  const cfg = await loadConfig(join(tempDir(), 'none.yaml'));
  assert.deepEqual(cfg, { contexts: [] });
});

test('config path: explicit, then $DRGCFG, then XDG config home, then ~/.config', () => {
  const env = { DRGCFG: '/tmp/from-env.yaml', XDG_CONFIG_HOME: '/tmp/xdg', HOME: '/home/u' };
  assert.equal(configPath('/tmp/explicit.yaml', env), '/tmp/explicit.yaml');
  assert.equal(configPath(undefined, env), '/tmp/from-env.yaml');
  assert.equal(configPath(undefined, { ...env, DRGCFG: undefined }), '/tmp/xdg/drg_config.yaml');
  assert.equal(configPath(undefined, { HOME: '/home/u' }), '/home/u/.config/drg_config.yaml');
});

test('malformed YAML is a clear error and the file is left as it was', async () => {
  const path = join(tempDir(), 'bad.yaml');
  writeFileSync(path, 'contexts: [unclosed\n');
  await assert.rejects(
    loadConfig(path),
    (err: Error) => err instanceof ConfigError && /not valid YAML/.test(err.message),
  );
  await assert.rejects(
    updateConfig(path, () => {}),
    ConfigError,
  );
  assert.equal(readFileSync(path, 'utf8'), 'contexts: [unclosed\n');
});

test('updates are written with mode 0600 and keep unknown fields', async () => {
  const path = join(tempDir(), 'sub', 'config.yaml');
  await updateConfig(path, (cfg) => {
    cfg.extra_field = 'kept';
    upsertContext(cfg, { name: 'a', drogue_cloud_url: 'http://a', token: { id: 'u', token: 'secret' } });
    cfg.active_context = 'a';
  });
  assert.equal(statSync(path).mode & 0o777, 0o600);
  await updateConfig(path, (cfg) => {
    upsertContext(cfg, { name: 'a', drogue_cloud_url: 'http://a2' });
  });
  const cfg = parse(readFileSync(path, 'utf8'));
  assert.equal(cfg.extra_field, 'kept');
  assert.equal(cfg.active_context, 'a');
  assert.deepEqual(
    cfg.contexts.map((c: { name: string; drogue_cloud_url: string }) => [c.name, c.drogue_cloud_url]),
    [['a', 'http://a2']],
  );
});

test('concurrent updates from separate processes lose nothing', async () => {
  const path = join(tempDir(), 'config.yaml');
  const writers = 6;
  const perWriter = 5;
  const script = `
    const { updateConfig, upsertContext } = await import(${JSON.stringify(configModule)});
    const [path, id, n] = process.argv.slice(1);
    for (let i = 0; i < Number(n); i++) {
      await updateConfig(path, (cfg) => upsertContext(cfg, { name: 'ctx-' + id + '-' + i, drogue_cloud_url: 'http://x' }));
    }`;
  const runs = Array.from(
    { length: writers },
    (_, id) =>
      new Promise<number | null>((res) => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', '--input-type=module', '-e', script, path, String(id), String(perWriter)],
          {
            stdio: ['ignore', 'ignore', 'inherit'],
          },
        );
        child.on('exit', res);
      }),
  );
  assert.deepEqual(await Promise.all(runs), Array(writers).fill(0));
  const names = (await loadConfig(path)).contexts.map((c) => c.name).sort();
  const expected = Array.from({ length: writers }, (_, id) =>
    Array.from({ length: perWriter }, (_, i) => `ctx-${id}-${i}`),
  )
    .flat()
    .sort();
  assert.deepEqual(names, expected);
  assert.equal(statSync(path).mode & 0o777, 0o600);
});
