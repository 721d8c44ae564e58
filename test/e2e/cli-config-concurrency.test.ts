// Several drg processes (and drg serve) writing one config file at the same time: nothing is lost or corrupted.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { drg, newConfigPath, serveDuringTests, startServe } from '../helpers/serve.js';

const serve = serveDuringTests();

test('concurrent logins and default-app changes from separate drg processes all land', async () => {
  const config = newConfigPath();
  const names = Array.from({ length: 6 }, (_, i) => `ctx-${i}`);
  const logins = await Promise.all(
    names.map((name) => drg(config, ['login', serve.url, '--access-token', `admin:${serve.token}`, '-c', name, '-k'])),
  );
  for (const r of logins) assert.equal(r.code, 0, r.stderr);

  const updates = await Promise.all(
    names.map((name) => drg(config, ['config', 'default-app', `app-of-${name}`, '-c', name])),
  );
  for (const r of updates) assert.equal(r.code, 0, r.stderr);

  const cfg = parse(readFileSync(config, 'utf8'));
  const byName = new Map(cfg.contexts.map((c: { name: string }) => [c.name, c]));
  assert.deepEqual([...byName.keys()].sort(), names);
  for (const name of names) {
    const ctx = byName.get(name) as { default_app?: string; token: { id: string; token: string } };
    assert.equal(ctx.default_app, `app-of-${name}`);
    assert.deepEqual(ctx.token, { id: 'admin', token: serve.token });
  }
  assert.equal(statSync(config).mode & 0o777, 0o600);
});

test('drg serve and drg login writing the same config at once keep both contexts', async () => {
  const config = newConfigPath();
  const [second, login] = await Promise.all([
    startServe({ configPath: config, args: ['-c', 'second'] }),
    drg(config, ['login', serve.url, '--access-token', `admin:${serve.token}`, '-c', 'remote', '-k']),
  ]);
  try {
    assert.equal(login.code, 0, login.stderr);
    const cfg = parse(readFileSync(config, 'utf8'));
    assert.deepEqual(cfg.contexts.map((c: { name: string }) => c.name).sort(), ['remote', 'second']);
    for (const name of ['remote', 'second']) {
      const apps = await drg(config, ['get', 'apps', '-c', name, '-o', 'json']);
      assert.equal(apps.code, 0, apps.stderr);
      assert.ok(Array.isArray(JSON.parse(apps.stdout)));
    }
  } finally {
    await second.stop();
  }
});
