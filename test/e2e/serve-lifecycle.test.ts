// `drg serve` as a process: the context it writes, token reuse across restarts, graceful stop on signals.
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { updateConfig } from '../../src/config/config.js';
import { accessTokenOf, contextAuthorization, readConfigFile, type StoredContext } from '../helpers/config.js';
import { halfSentPost, readUntilClosed } from '../helpers/raw-http.js';
import { ADMIN_PASSWORD_LINE, startServe, tempDir } from '../helpers/serve.js';

async function whoami(url: string, ctx: StoredContext): Promise<number> {
  const res = await fetch(`${url}/api/admin/v1alpha1/user/whoami`, {
    headers: { authorization: contextAuthorization(ctx) },
  });
  return res.status;
}

test('drg serve writes a working, active "local" context (mode 0600) and keeps other contexts', async () => {
  const configPath = join(tempDir(), 'config.yaml');
  await updateConfig(configPath, (cfg) => {
    cfg.contexts.push({ name: 'cloud', drogue_cloud_url: 'https://api.example.com' });
    cfg.active_context = 'cloud';
  });
  const serve = await startServe({ configPath });
  try {
    assert.equal(statSync(configPath).mode & 0o777, 0o600);
    const cfg = readConfigFile(configPath);
    assert.equal(cfg.active_context, 'local');
    assert.deepEqual(
      cfg.contexts.map((c) => c.name),
      ['cloud', 'local'],
    );
    const ctx = cfg.contexts.find((c) => c.name === 'local')!;
    assert.equal(ctx.drogue_cloud_url, serve.url);
    assert.equal(ctx.registry_url, serve.url);
    assert.equal(ctx.token?.id, 'admin');
    assert.equal(await whoami(serve.url, ctx), 200);
    const me = await fetch(`${serve.url}/api/admin/v1alpha1/user/whoami`, {
      headers: { authorization: contextAuthorization(ctx) },
    });
    assert.deepEqual(await me.json(), { id: 'admin' });
  } finally {
    assert.equal(await serve.stop(), 0);
  }
  assert.match(serve.logs(), /"msg":"stopped"/);
});

test('a restart reuses the context token and keeps default_app; a fresh data dir gets a new token', async () => {
  const base = tempDir();
  const configPath = join(base, 'config.yaml');
  const dataDir = join(base, 'data');

  let serve = await startServe({ configPath, dataDir });
  const first = readConfigFile(configPath).contexts[0];
  await updateConfig(configPath, (cfg) => {
    cfg.contexts[0].default_app = 'my-app';
  });
  assert.equal(await serve.stop(), 0);

  serve = await startServe({ configPath, dataDir });
  try {
    const second = readConfigFile(configPath).contexts[0];
    assert.equal(accessTokenOf(second), accessTokenOf(first));
    assert.equal(second.default_app, 'my-app');
    assert.equal(await whoami(serve.url, second), 200);
    const tokens = await (
      await fetch(`${serve.url}/api/tokens/v1alpha1`, { headers: { authorization: contextAuthorization(second) } })
    ).json();
    assert.deepEqual(
      tokens.map((t: { description?: string }) => t.description),
      ['drg serve (context local)'],
    );
  } finally {
    assert.equal(await serve.stop(), 0);
  }

  serve = await startServe({ configPath, dataDir: join(base, 'other-data') });
  try {
    const third = readConfigFile(configPath).contexts[0];
    assert.notEqual(accessTokenOf(third), accessTokenOf(first));
    assert.equal(await whoami(serve.url, third), 200);
    assert.equal(await whoami(serve.url, first), 403);
  } finally {
    assert.equal(await serve.stop(), 0);
  }
});

test('--context names the context; --no-login leaves the config alone', async () => {
  const named = await startServe({ args: ['--context', 'mine'] });
  try {
    const cfg = readConfigFile(named.configPath);
    assert.equal(cfg.active_context, 'mine');
    assert.equal(await whoami(named.url, cfg.contexts[0]), 200);
  } finally {
    await named.stop();
  }

  const anonymous = await startServe({ args: ['--no-login'] });
  try {
    assert.equal(existsSync(anonymous.configPath), false);
    const res = await fetch(`${anonymous.url}/.well-known/drogue-version`);
    assert.equal(res.status, 200);
  } finally {
    await anonymous.stop();
  }
});

test('SIGINT stops gracefully with exit code 0, and stdout stays empty', async () => {
  const serve = await startServe({ args: ['--no-login'] });
  let stdout = '';
  serve.process.stdout!.on('data', (d) => {
    stdout += d;
  });
  const exited = new Promise<number | null>((resolve) => serve.process.once('exit', (code) => resolve(code)));
  serve.process.kill('SIGINT');
  assert.equal(await exited, 0);
  assert.equal(stdout, '');
  const lines = serve
    .logs()
    .trim()
    .split('\n')
    .filter((l) => !ADMIN_PASSWORD_LINE.test(l))
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.map((l) => l.msg),
    ['drg serve ready', 'stopping', 'stopped'],
  );
  assert.equal(lines[0].url, serve.url);
  assert.match(serve.url, /^http:\/\/127\.0\.0\.1:\d+$/);
});

test('SIGTERM lets an in-flight request finish before exiting 0', async () => {
  const serve = await startServe();
  const ctx = readConfigFile(serve.configPath).contexts[0];
  const api = `${serve.url}/api/registry/v1alpha1/apps`;
  const headers = { authorization: contextAuthorization(ctx), 'content-type': 'application/json' };
  // The server answers "100 Continue" once it has the request's headers; only then comes SIGTERM, and the
  // body follows after the server has begun stopping.
  const response = new Promise<number | undefined>((resolve, reject) => {
    const req = request(api, { method: 'POST', headers: { ...headers, expect: '100-continue' } }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', reject);
    req.on('continue', () => {
      serve.process.stderr!.once('data', () => req.end('{"metadata":{"name":"in-flight"}}'));
      serve.process.kill('SIGTERM');
    });
    req.flushHeaders();
  });
  assert.equal(await response, 201);
  const exited = await new Promise<number | null>((resolve) =>
    serve.process.exitCode !== null ? resolve(serve.process.exitCode) : serve.process.once('exit', resolve),
  );
  assert.equal(exited, 0);
});

test('SIGTERM exits 0 even while a client holds a half-sent body, after the grace period', async () => {
  const serve = await startServe();
  const ctx = readConfigFile(serve.configPath).contexts[0];
  const socket = await halfSentPost({ url: serve.url, authorization: contextAuthorization(ctx) });
  const closed = readUntilClosed(socket);
  assert.equal(await serve.stop(), 0);
  await closed;
  assert.match(serve.logs(), /closing 1 request\(s\) not finished within 5000 ms of the stop/);
});

test('the firmware agent runs by default; --no-firmware-agent leaves it out', async () => {
  const components = async (args: string[]) => {
    const serve = await startServe({ args: ['--no-login', ...args] });
    try {
      const health = (await (await fetch(`${serve.url}/health`)).json()) as { components: { name: string }[] };
      return health.components.map((c) => c.name);
    } finally {
      await serve.stop();
    }
  };
  assert.ok((await components([])).includes('firmware-agent'));
  const without = await components(['--no-firmware-agent']);
  assert.ok(!without.includes('firmware-agent'));
  assert.ok(without.includes('firmware-store'), 'the store stays');
});
