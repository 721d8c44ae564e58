// Crash durability of `drg serve`, and secrets kept out of its logs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accessTokenOf, activeContext, basic, contextAuthorization } from '../helpers/config.js';
import { startServe } from '../helpers/serve.js';

function contextAuth(configPath: string): { token: string; authorization: string } {
  const context = activeContext(configPath);
  return { token: accessTokenOf(context), authorization: contextAuthorization(context) };
}

test('everything acknowledged survives kill -9', async () => {
  const first = await startServe();
  const { authorization } = contextAuth(first.configPath);
  const headers = { authorization, 'content-type': 'application/json' };
  const api = `${first.url}/api/registry/v1alpha1`;

  assert.equal(
    (await fetch(`${api}/apps`, { method: 'POST', headers, body: '{"metadata":{"name":"durable"}}' })).status,
    201,
  );
  const names = Array.from({ length: 200 }, (_, i) => `dev ${i}/ü`);
  const created = await Promise.all(
    names.map(async (name) => {
      const body = JSON.stringify({ metadata: { name, labels: { n: String(name.length) } }, spec: { i: name } });
      const res = await fetch(`${api}/apps/durable/devices`, { method: 'POST', headers, body });
      return res.status === 201 ? name : undefined;
    }),
  );
  assert.deepEqual(created, names, 'all creates acknowledged');
  const tokenRes = await fetch(`${first.url}/api/tokens/v1alpha1?description=survivor`, { method: 'POST', headers });
  const survivor = await tokenRes.json();
  await first.kill9();

  const second = await startServe({ dataDir: first.dataDir, configPath: first.configPath });
  try {
    const again = { authorization: contextAuth(second.configPath).authorization };
    const list = await (
      await fetch(`${second.url}/api/registry/v1alpha1/apps/durable/devices`, { headers: again })
    ).json();
    assert.deepEqual(list.map((d: { metadata: { name: string } }) => d.metadata.name).sort(), [...names].sort());
    for (const d of list) assert.equal(d.spec.i, d.metadata.name);
    const whoami = await fetch(`${second.url}/api/admin/v1alpha1/user/whoami`, {
      headers: { authorization: basic('admin', survivor.token) },
    });
    assert.equal(whoami.status, 200, 'a token created before the crash still works');
  } finally {
    await second.stop();
  }
});

test('the logs contain none of the tokens used, even with request logging on', async () => {
  const serve = await startServe({ args: ['--verbose'] });
  const { token, authorization } = contextAuth(serve.configPath);
  let res = await fetch(`${serve.url}/api/tokens/v1alpha1?description=extra`, {
    method: 'POST',
    headers: { authorization },
  });
  const extra = (await res.json()).token as string;
  res = await fetch(`${serve.url}/api/admin/v1alpha1/user/whoami?username=admin&api_key=${encodeURIComponent(extra)}`);
  assert.equal(res.status, 200);
  res = await fetch(`${serve.url}/api/admin/v1alpha1/user/whoami`, {
    headers: { authorization: basic('admin', `${token}x`) },
  });
  assert.equal(res.status, 403);
  await fetch(`${serve.url}/api/registry/v1alpha1/apps`, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body: '{"metadata":{"name":"logged"}}',
  });
  assert.equal(await serve.stop(), 0);

  const logs = serve.logs();
  assert.match(logs, /"path":"\/api\/admin\/v1alpha1\/user\/whoami"/, 'request logging is on');
  for (const secret of [token, extra, authorization.slice('Basic '.length), 'api_key']) {
    assert.ok(!logs.includes(secret), `the logs contain ${secret.slice(0, 8)}…`);
  }
});
