// Discovery, authentication and access tokens over a real socket against an in-process server.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { basic } from '../helpers/config.js';
import { tempDir } from '../helpers/serve.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
before(async () => {
  // A built console of its own, whatever dist/ holds.
  const consoleDir = join(tempDir('drg-console-'), 'console');
  mkdirSync(consoleDir);
  writeFileSync(join(consoleDir, 'index.html'), '<!DOCTYPE html>\n');
  s = await startTestServer(undefined, { consoleDir });
});
after(() => s.close());

const WHOAMI = '/api/admin/v1alpha1/user/whoami';
const TOKENS = '/api/tokens/v1alpha1';

function call(path: string, init: RequestInit = {}) {
  return fetch(`${s.url}${path}`, init);
}
const withAuth = (authorization: string, init: RequestInit = {}): RequestInit => ({
  ...init,
  headers: { ...(init.headers as Record<string, string>), authorization },
});

async function createToken(description?: string): Promise<{ prefix: string; token: string }> {
  const query = description === undefined ? '' : `?description=${encodeURIComponent(description)}`;
  const res = await call(`${TOKENS}${query}`, withAuth(s.authorization, { method: 'POST' }));
  assert.equal(res.status, 200);
  return res.json();
}

describe('discovery', () => {
  test('version and endpoints are anonymous and list only what runs', async () => {
    let res = await call('/.well-known/drogue-version');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await res.json(), { version: '0.11.0' });

    res = await call('/.well-known/drogue-endpoints');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await res.json(), served());
  });

  /** What an in-process server without MQTT ports serves: the API port's services. */
  const served = () => ({
    api: s.url,
    console: `${s.url}/console/`,
    issuer_url: `${s.url}/oidc`,
    registry: { url: s.url },
    http: { url: s.url },
    command_url: s.url,
    websocket_integration: { url: `${s.url.replace(/^http/, 'ws')}/api/integration/ws/v1alpha1/` },
    event_replay: true,
  });

  test('console info needs authentication and adds demos', async () => {
    let res = await call('/api/console/v1alpha1/info');
    assert.equal(res.status, 401);
    res = await call('/api/console/v1alpha1/info', withAuth(s.authorization));
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ...served(), demos: [] });
  });
});

describe('authentication', () => {
  test('Basic user:token and ?username=&api_key= both authenticate', async () => {
    let res = await call(WHOAMI, withAuth(s.authorization));
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { id: 'admin' });

    res = await call(`${WHOAMI}?username=admin&api_key=${encodeURIComponent(s.token)}`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { id: 'admin' });
  });

  test('no credentials: 401 saying how to authenticate, on every authenticated API', async () => {
    for (const path of [WHOAMI, TOKENS, '/api/registry/v1alpha1/apps', '/api/registry/v1alpha1/apps/a/devices/d']) {
      const res = await call(path);
      assert.equal(res.status, 401, path);
      const body = await res.json();
      assert.equal(body.error, 'Unauthorized');
      assert.match(body.message, /Authorization: Basic/);
      assert.match(body.message, /api_key/);
    }
  });

  test('invalid credentials of every kind: 403 {"error":"Forbidden"}', async () => {
    const wrongSecret = `${s.token.slice(0, -4)}AAAA`;
    const cases: [string, RequestInit][] = [
      [WHOAMI, withAuth(basic('admin', wrongSecret))],
      [WHOAMI, withAuth(basic('admin', 'not-a-token'))],
      [WHOAMI, withAuth(basic('someone-else', s.token))],
      [WHOAMI, withAuth(`Bearer ${s.token}`)],
      [WHOAMI, withAuth('Basic !!!')],
      [WHOAMI, withAuth('Digest abc')],
      [`${WHOAMI}?username=admin&api_key=${encodeURIComponent(wrongSecret)}`, {}],
      [`${WHOAMI}?username=admin`, {}],
      [`${WHOAMI}?token=${encodeURIComponent(s.token)}`, {}],
      // more than one kind of credentials at once
      [`${WHOAMI}?username=admin&api_key=${encodeURIComponent(s.token)}`, withAuth(s.authorization)],
    ];
    for (const [path, init] of cases) {
      const res = await call(path, init);
      assert.equal(res.status, 403, `${path} ${JSON.stringify(init.headers)}`);
      assert.deepEqual(await res.json(), { error: 'Forbidden' });
    }
  });
});

describe('access tokens', () => {
  test('create, use, list, delete: a deleted token stops working', async () => {
    const created = await createToken('for tests');
    assert.match(created.prefix, /^drg_[A-Za-z0-9]{6}$/);
    assert.ok(created.token.startsWith(`${created.prefix}_`));
    assert.ok(created.token.length - created.prefix.length - 1 >= 43, 'secret of at least 256 bits in base62');

    const auth = basic('admin', created.token);
    assert.equal((await call(WHOAMI, withAuth(auth))).status, 200);

    const list = await (await call(TOKENS, withAuth(auth))).json();
    const entry = list.find((t: { prefix: string }) => t.prefix === created.prefix);
    assert.equal(entry.description, 'for tests');
    assert.ok(!Number.isNaN(Date.parse(entry.created)));
    assert.deepEqual(Object.keys(entry).sort(), ['created', 'description', 'prefix']);
    assert.ok(!JSON.stringify(list).includes(created.token), 'the list never shows a token');

    let res = await call(`${TOKENS}/${created.prefix}`, withAuth(s.authorization, { method: 'DELETE' }));
    assert.equal(res.status, 204);
    res = await call(WHOAMI, withAuth(auth));
    assert.equal(res.status, 403);
    res = await call(`${TOKENS}/${created.prefix}`, withAuth(s.authorization, { method: 'DELETE' }));
    assert.equal(res.status, 404);
    assert.equal((await res.json()).error, 'NotFound');
  });

  test('a token without description is listed without one', async () => {
    const created = await createToken();
    const list = await (await call(TOKENS, withAuth(s.authorization))).json();
    const entry = list.find((t: { prefix: string }) => t.prefix === created.prefix);
    assert.deepEqual(Object.keys(entry).sort(), ['created', 'prefix']);
  });

  test('tokens belong to their user: others cannot list, use or delete them', async () => {
    s.server.users.ensure('bob');
    const bob = s.server.accessTokens.create('bob');
    const mine = await createToken('admin only');

    const bobList = await (await call(TOKENS, withAuth(basic('bob', bob.token)))).json();
    assert.deepEqual(
      bobList.map((t: { prefix: string }) => t.prefix),
      [bob.prefix],
    );
    assert.equal((await call(WHOAMI, withAuth(basic('bob', mine.token)))).status, 403);
    const res = await call(`${TOKENS}/${mine.prefix}`, withAuth(basic('bob', bob.token), { method: 'DELETE' }));
    assert.equal(res.status, 404);
    assert.equal((await call(WHOAMI, withAuth(basic('admin', mine.token)))).status, 200);
    assert.deepEqual(await (await call(WHOAMI, withAuth(basic('bob', bob.token)))).json(), { id: 'bob' });
  });

  test('the store holds only hashes, never a token', async () => {
    const created = await createToken('hashed');
    const files = readdirSync(s.dataDir, { recursive: true, encoding: 'utf8' })
      .map((f) => join(s.dataDir, f))
      .filter((f) => statSync(f).isFile());
    assert.ok(files.some((f) => f.endsWith('drg.sqlite')));
    for (const file of files) {
      const bytes = readFileSync(file);
      assert.ok(!bytes.includes(created.token), `${file} contains the token`);
      assert.ok(!bytes.includes(created.token.slice(created.prefix.length + 1)), `${file} contains the secret`);
    }
    const db = new Database(join(s.dataDir, 'drg.sqlite'), { readonly: true });
    try {
      const row = db.prepare('SELECT hash FROM access_tokens WHERE prefix = ?').get(created.prefix) as { hash: string };
      assert.equal(row.hash, createHash('sha256').update(created.token).digest('hex'));
    } finally {
      db.close();
    }
  });
});

test('request logs carry method, path and status, but no credentials or query strings', async () => {
  await call(`${WHOAMI}?username=admin&api_key=${encodeURIComponent(s.token)}`);
  await call(WHOAMI, withAuth(s.authorization));
  const created = await createToken('logged?');
  const lines = s
    .logs()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.ok(lines.some((l) => l.method === 'GET' && l.path === WHOAMI && l.status === 200));
  const text = s.logs();
  for (const secret of [s.token, created.token, s.authorization.slice(6), 'api_key']) {
    assert.ok(!text.includes(secret), `logs contain ${secret.slice(0, 8)}…`);
  }
});
