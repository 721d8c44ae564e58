// The context `drg serve` writes when more than one runs: a running instance's context is never taken over, the
// active context is given back on stop, and each context has one valid serve token, also after `drg logout`.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { updateConfig } from '../../src/config/config.js';
import { accessTokenOf, basic, readConfigFile, readContext } from '../helpers/config.js';
import { ADMIN_PASSWORD_LINE, drg, ok, startServe, tempDir } from '../helpers/serve.js';

async function whoami(url: string, token: string): Promise<number> {
  const res = await fetch(`${url}/api/admin/v1alpha1/user/whoami`, {
    headers: { authorization: basic('admin', token) },
  });
  return res.status;
}

/** The descriptions of admin's access tokens on the server, in order of creation. */
async function tokenDescriptions(url: string, token: string): Promise<Array<string | undefined>> {
  const res = await fetch(`${url}/api/tokens/v1alpha1`, { headers: { authorization: basic('admin', token) } });
  assert.equal(res.status, 200);
  return ((await res.json()) as Array<{ description?: string }>).map((t) => t.description);
}

const portOf = (url: string) => Number(new URL(url).port);

test('a second drg serve writes local-PORT while the first runs, says so, and gives the active context back', async () => {
  const base = tempDir();
  const configPath = join(base, 'config.yaml');
  const first = await startServe({ configPath, dataDir: join(base, 'first') });
  try {
    const local = readContext(configPath, 'local');
    const second = await startServe({ configPath, dataDir: join(base, 'second') });
    const own = `local-${portOf(second.url)}`;
    try {
      const cfg = readConfigFile(configPath);
      assert.equal(cfg.active_context, own);
      assert.deepEqual(readContext(configPath, 'local'), local, 'the first instance keeps its context');
      const theirs = readContext(configPath, own);
      assert.equal(theirs.drogue_cloud_url, second.url);
      assert.equal(await whoami(second.url, accessTokenOf(theirs)), 200);
      assert.equal(await whoami(first.url, accessTokenOf(local)), 200);
      const warning = second
        .logs()
        .split('\n')
        .map((l) => (l.startsWith('{') ? JSON.parse(l) : {}))
        .find((r) => r.level === 40);
      assert.deepEqual(
        { context: warning?.context, inUse: warning?.inUse, at: warning?.at },
        { context: own, inUse: 'local', at: first.url },
      );
      const ready = JSON.parse(
        second
          .logs()
          .split('\n')
          .find((l) => l.includes('"drg serve ready"'))!,
      );
      assert.equal(ready.context, own);
    } finally {
      assert.equal(await second.stop(), 0);
    }
    assert.equal(readConfigFile(configPath).active_context, 'local', 'given back');
    assert.match(second.logs(), /"context":"local","msg":"active context given back"/);
    assert.deepEqual(readContext(configPath, 'local'), local);
  } finally {
    assert.equal(await first.stop(), 0);
  }
  // Nothing was active before the first started: local stays active, as when drg serve runs alone.
  assert.equal(readConfigFile(configPath).active_context, 'local');
});

test('-c NAME of another running instance: exit 1 with one line (after a new password), the config unchanged', async () => {
  const base = tempDir();
  const configPath = join(base, 'config.yaml');
  const first = await startServe({ configPath, dataDir: join(base, 'first'), args: ['-c', 'dev'] });
  try {
    const before = readFileSync(configPath, 'utf8');
    // The generated password is stored by now: it is shown before the error, as nobody would see it otherwise.
    const second = startServe({ configPath, dataDir: join(base, 'second'), args: ['-c', 'dev'] });
    const failure = await second.then(
      async (started) => {
        await started.stop();
        assert.fail('the second drg serve started');
      },
      (err: Error) => err.message,
    );
    const [exit, ...lines] = failure.trimEnd().split('\n');
    assert.equal(exit, 'drg serve exited with 1 before it was ready:');
    assert.equal(lines.length, 2, failure);
    assert.match(lines[0], ADMIN_PASSWORD_LINE);
    assert.equal(
      lines[1],
      `error: the context dev belongs to the server running at ${first.url}; give another name with -c NAME, or use --no-login`,
    );
    assert.equal(readFileSync(configPath, 'utf8'), before);
    assert.equal((await fetch(`${first.url}/health`)).status, 200);
  } finally {
    await first.stop();
  }
});

test('the context active before drg serve started is active again after it stops, unless changed meanwhile', async () => {
  const base = tempDir();
  const configPath = join(base, 'config.yaml');
  const dataDir = join(base, 'data');
  await updateConfig(configPath, (cfg) => {
    cfg.contexts.push({ name: 'cloud', drogue_cloud_url: 'https://api.example.com' });
    cfg.active_context = 'cloud';
  });
  let serve = await startServe({ configPath, dataDir });
  assert.equal(readConfigFile(configPath).active_context, 'local');
  assert.equal(await serve.stop(), 0);
  assert.equal(readConfigFile(configPath).active_context, 'cloud');

  serve = await startServe({ configPath, dataDir });
  await updateConfig(configPath, (cfg) => {
    cfg.contexts.push({ name: 'other', drogue_cloud_url: 'https://other.example.com' });
    cfg.active_context = 'other';
  });
  assert.equal(await serve.stop(), 0);
  assert.equal(readConfigFile(configPath).active_context, 'other', 'the user chose another context: it stays');
});

test('a context whose server stopped, or that points at something else than a Drogue Cloud, is taken over', async () => {
  const base = tempDir();
  const configPath = join(base, 'config.yaml');
  const first = await startServe({ configPath, dataDir: join(base, 'first') });
  assert.equal(await first.stop(), 0);
  const stale = readContext(configPath, 'local');

  const second = await startServe({ configPath, dataDir: join(base, 'second') });
  try {
    const local = readContext(configPath, 'local');
    assert.equal(local.drogue_cloud_url, second.url);
    assert.notEqual(accessTokenOf(local), accessTokenOf(stale));
    assert.deepEqual(
      readConfigFile(configPath).contexts.map((c) => c.name),
      ['local'],
    );
  } finally {
    await second.stop();
  }

  const web = createServer((_req, res) => res.end('<html>a web page</html>'));
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  try {
    const elsewhere = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
    await updateConfig(configPath, (cfg) => {
      cfg.contexts[0].drogue_cloud_url = elsewhere;
    });
    const third = await startServe({ configPath, dataDir: join(base, 'third') });
    try {
      assert.equal(readContext(configPath, 'local').drogue_cloud_url, third.url);
      assert.equal(readConfigFile(configPath).contexts.length, 1);
    } finally {
      await third.stop();
    }
  } finally {
    web.close();
  }
});

test('a restart on another port takes back its own context, even when another instance now has the old port', async () => {
  const base = tempDir();
  const configPath = join(base, 'config.yaml');
  const dataDir = join(base, 'data');
  const first = await startServe({ configPath, dataDir });
  const { token } = readContext(configPath, 'local');
  assert.equal(await first.stop(), 0);

  const squatter = await startServe({ port: portOf(first.url), args: ['--no-login'] });
  try {
    const again = await startServe({ configPath, dataDir });
    try {
      const local = readContext(configPath, 'local');
      assert.equal(local.drogue_cloud_url, again.url);
      assert.deepEqual(local.token, token, 'its token still holds on its data directory');
      assert.equal(readConfigFile(configPath).contexts.length, 1);
    } finally {
      await again.stop();
    }
  } finally {
    await squatter.stop();
  }
});

test('a restart after drg logout creates one new token and deletes the old one; other tokens stay', async () => {
  const base = tempDir();
  const configPath = join(base, 'config.yaml');
  const dataDir = join(base, 'data');
  let serve = await startServe({ configPath, dataDir });
  let old = accessTokenOf(readContext(configPath, 'local'));
  const mine = await fetch(`${serve.url}/api/tokens/v1alpha1?description=my+own`, {
    method: 'POST',
    headers: { authorization: basic('admin', old) },
  });
  assert.equal(mine.status, 200);
  const mineToken = ((await mine.json()) as { token: string }).token;
  assert.equal(await serve.stop(), 0);

  for (let restart = 0; restart < 2; restart++) {
    ok(await drg(configPath, ['logout']));
    assert.equal(readContext(configPath, 'local').token, undefined);
    serve = await startServe({ configPath, dataDir });
    try {
      const current = accessTokenOf(readContext(configPath, 'local'));
      assert.notEqual(current, old);
      assert.equal(await whoami(serve.url, current), 200);
      assert.equal(await whoami(serve.url, old), 403, 'the token from before is deleted');
      assert.equal(await whoami(serve.url, mineToken), 200);
      assert.deepEqual(await tokenDescriptions(serve.url, current), ['my own', 'drg serve (context local)']);
      old = current;
    } finally {
      assert.equal(await serve.stop(), 0);
    }
  }
});
