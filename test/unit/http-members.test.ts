// Ownership and sharing over HTTP (in-process server, real socket): the role matrix, members with optimistic
// locking, ownership transfer.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { basic } from '../helpers/config.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const REGISTRY = '/api/registry/v1alpha1';
const ADMIN = '/api/admin/v1alpha1';

type Caller = (method: string, path: string, body?: unknown) => Promise<Response>;

let s: TestServer;
const as: Record<string, Caller> = {};
/** Each call of the tests gets its own application names. */
let run = 0;

function callerFor(authorization: string, server?: TestServer): Caller {
  return (method, path, body) => {
    const headers: Record<string, string> = { authorization };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetch(`${(server ?? s).url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  };
}

before(async () => {
  s = await startTestServer();
  for (const user of ['alice', 'ada', 'manny', 'rita', 'sam']) {
    s.server.users.ensure(user);
    as[user] = callerFor(basic(user, s.server.accessTokens.create(user).token));
  }
});
after(() => s.close());

async function status(res: Promise<Response>): Promise<number> {
  const r = await res;
  await r.arrayBuffer();
  return r.status;
}

async function members(caller: Caller, app: string) {
  const res = await caller('GET', `${ADMIN}/apps/${app}/members`);
  assert.equal(res.status, 200);
  return (await res.json()) as { resourceVersion: string; members: Record<string, { role: string }> };
}

/** alice's application shared with ada (admin), manny (manager) and rita (reader), with device d1. */
async function sharedApp(): Promise<string> {
  const app = `shared-${++run}`;
  assert.equal(await status(as.alice('POST', `${REGISTRY}/apps`, { metadata: { name: app } })), 201);
  assert.equal(await status(as.alice('POST', `${REGISTRY}/apps/${app}/devices`, { metadata: { name: 'd1' } })), 201);
  const roles = { ada: { role: 'admin' }, manny: { role: 'manager' }, rita: { role: 'reader' } };
  assert.equal(await status(as.alice('PUT', `${ADMIN}/apps/${app}/members`, { members: roles })), 204);
  return app;
}

describe('role matrix', () => {
  let app: string;
  beforeEach(async () => {
    app = await sharedApp();
  });

  const users = ['alice', 'ada', 'manny', 'rita', 'sam'] as const;
  /** Expected status per user, in the order of `users`. */
  const matrix: [string, (user: string, app: string) => Promise<number>, number[]][] = [
    ['read the application', (u, a) => status(as[u]('GET', `${REGISTRY}/apps/${a}`)), [200, 200, 200, 200, 403]],
    [
      'update the application',
      (u, a) => status(as[u]('PUT', `${REGISTRY}/apps/${a}`, { metadata: { name: a, labels: { by: u } } })),
      [204, 204, 204, 403, 403],
    ],
    ['list devices', (u, a) => status(as[u]('GET', `${REGISTRY}/apps/${a}/devices`)), [200, 200, 200, 200, 404]],
    ['read a device', (u, a) => status(as[u]('GET', `${REGISTRY}/apps/${a}/devices/d1`)), [200, 200, 200, 200, 404]],
    [
      'create a device',
      (u, a) => status(as[u]('POST', `${REGISTRY}/apps/${a}/devices`, { metadata: { name: `by-${u}` } })),
      [201, 201, 201, 403, 404],
    ],
    [
      'update a device',
      (u, a) =>
        status(as[u]('PUT', `${REGISTRY}/apps/${a}/devices/d1`, { metadata: { name: 'd1', labels: { by: u } } })),
      [204, 204, 204, 403, 404],
    ],
    ['read members', (u, a) => status(as[u]('GET', `${ADMIN}/apps/${a}/members`)), [200, 200, 403, 403, 403]],
    [
      'write members',
      (u, a) =>
        status(
          as[u]('PUT', `${ADMIN}/apps/${a}/members`, {
            members: { ada: { role: 'admin' }, manny: { role: 'manager' }, rita: { role: 'reader' } },
          }),
        ),
      [204, 204, 403, 403, 403],
    ],
    [
      'start an ownership transfer',
      (u, a) => status(as[u]('PUT', `${ADMIN}/apps/${a}/transfer-ownership`, { newUser: 'sam' })),
      [202, 404, 404, 404, 404],
    ],
  ];

  for (const [what, call, expected] of matrix) {
    test(what, async () => {
      const got: number[] = [];
      for (const user of users) got.push(await call(user, app));
      assert.deepEqual(
        Object.fromEntries(users.map((u, i) => [u, got[i]])),
        Object.fromEntries(users.map((u, i) => [u, expected[i]])),
      );
    });
  }

  test('delete a device: owner, admin, manager; reader 403; stranger 404', async () => {
    for (const user of ['alice', 'ada', 'manny']) {
      await as.alice('POST', `${REGISTRY}/apps/${app}/devices`, { metadata: { name: `gone-${user}` } });
      assert.equal(await status(as[user]('DELETE', `${REGISTRY}/apps/${app}/devices/gone-${user}`)), 204, user);
    }
    assert.equal(await status(as.rita('DELETE', `${REGISTRY}/apps/${app}/devices/d1`)), 403);
    assert.equal(await status(as.sam('DELETE', `${REGISTRY}/apps/${app}/devices/d1`)), 404);
    assert.equal(await status(as.alice('GET', `${REGISTRY}/apps/${app}/devices/d1`)), 200);
  });

  test('delete the application: owner and admin only', async () => {
    for (const user of ['manny', 'rita', 'sam']) {
      assert.equal(await status(as[user]('DELETE', `${REGISTRY}/apps/${app}`)), 403, user);
    }
    assert.equal(await status(as.ada('DELETE', `${REGISTRY}/apps/${app}`)), 204);
    const own = await sharedApp();
    assert.equal(await status(as.alice('DELETE', `${REGISTRY}/apps/${own}`)), 204);
    assert.equal(await status(as.alice('GET', `${REGISTRY}/apps/${own}`)), 404);
  });

  test('lists contain only what the caller may read', async () => {
    const listed = async (user: string) => {
      const res = await as[user]('GET', `${REGISTRY}/apps`);
      return ((await res.json()) as { metadata: { name: string } }[]).map((a) => a.metadata.name);
    };
    for (const user of ['alice', 'ada', 'manny', 'rita']) assert.ok((await listed(user)).includes(app), user);
    assert.equal((await listed('sam')).includes(app), false);
    assert.ok((await listed('alice')).length > 0);
  });
});

describe('members', () => {
  test('read back as written; the resourceVersion changes and locks', async () => {
    const app = await sharedApp();
    const first = await members(as.alice, app);
    assert.deepEqual(first.members, { ada: { role: 'admin' }, manny: { role: 'manager' }, rita: { role: 'reader' } });

    // ada makes sam a reader with the resourceVersion she read …
    const next = { ...first.members, sam: { role: 'reader' } };
    assert.equal(
      await status(
        as.ada('PUT', `${ADMIN}/apps/${app}/members`, { resourceVersion: first.resourceVersion, members: next }),
      ),
      204,
    );
    // … so alice's write with the same, now stale, resourceVersion conflicts and loses nothing.
    const res = await as.alice('PUT', `${ADMIN}/apps/${app}/members`, {
      resourceVersion: first.resourceVersion,
      members: { ...first.members, manny: { role: 'admin' } },
    });
    assert.equal(res.status, 409);
    assert.equal((await res.json()).error, 'OptimisticLockFailed');
    const second = await members(as.alice, app);
    assert.notEqual(second.resourceVersion, first.resourceVersion);
    assert.deepEqual(second.members, next);
    assert.equal(await status(as.sam('GET', `${REGISTRY}/apps/${app}`)), 200);
  });

  test('an unknown role, an unknown user or a malformed body is a bad request', async () => {
    const app = await sharedApp();
    for (const body of [
      { members: { sam: { role: 'owner' } } },
      { members: { sam: 'reader' } },
      { members: { 'no-such-user': { role: 'reader' } } },
      { members: [] },
      {},
      { members: {}, resourceVersion: 7 },
      [],
    ]) {
      const res = await as.alice('PUT', `${ADMIN}/apps/${app}/members`, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal((await res.json()).error, 'BadRequest');
    }
    assert.deepEqual((await members(as.alice, app)).members, {
      ada: { role: 'admin' },
      manny: { role: 'manager' },
      rita: { role: 'reader' },
    });
  });

  test('a missing application is 404', async () => {
    assert.equal(await status(as.alice('GET', `${ADMIN}/apps/no-such-app/members`)), 404);
    assert.equal(await status(as.alice('PUT', `${ADMIN}/apps/no-such-app/members`, { members: {} })), 404);
  });
});

describe('ownership transfer', () => {
  const transfer = (app: string) => `${ADMIN}/apps/${app}/transfer-ownership`;
  const accept = (app: string) => `${ADMIN}/apps/${app}/accept-ownership`;

  test('init, read, accept: the new user owns the application, the old owner loses access', async () => {
    const app = await sharedApp();
    assert.equal(await status(as.alice('GET', transfer(app))), 204);
    assert.equal(await status(as.alice('PUT', transfer(app), { newUser: 'sam' })), 202);
    for (const user of ['alice', 'sam']) {
      const res = await as[user]('GET', transfer(app));
      assert.equal(res.status, 200, user);
      assert.deepEqual(await res.json(), { newUser: 'sam' });
    }
    for (const user of ['ada', 'rita']) assert.equal(await status(as[user]('GET', transfer(app))), 404, user);
    // Before accepting, sam has no access.
    assert.equal(await status(as.sam('GET', `${REGISTRY}/apps/${app}`)), 403);

    for (const user of ['alice', 'ada', 'rita']) assert.equal(await status(as[user]('PUT', accept(app))), 404, user);
    assert.equal(await status(as.sam('PUT', accept(app))), 204);

    assert.equal(await status(as.sam('GET', `${REGISTRY}/apps/${app}`)), 200);
    assert.equal(await status(as.sam('GET', `${REGISTRY}/apps/${app}/devices/d1`)), 200);
    assert.equal(await status(as.alice('GET', `${REGISTRY}/apps/${app}`)), 403);
    assert.equal(await status(as.alice('GET', `${REGISTRY}/apps/${app}/devices/d1`)), 404);
    assert.equal(await status(as.sam('GET', transfer(app))), 204);
    assert.equal(await status(as.sam('PUT', accept(app))), 404, 'accepting twice');
    // Members stay; the new owner administers them.
    assert.deepEqual(Object.keys((await members(as.sam, app)).members), ['ada', 'manny', 'rita']);
    assert.equal(await status(as.rita('GET', `${REGISTRY}/apps/${app}`)), 200);
  });

  test('cancel by the owner or decline by the offered user; then nobody can accept', async () => {
    const app = await sharedApp();
    assert.equal(await status(as.alice('PUT', transfer(app), { newUser: 'sam' })), 202);
    assert.equal(await status(as.ada('DELETE', transfer(app))), 404);
    assert.equal(await status(as.alice('DELETE', transfer(app))), 204);
    assert.equal(await status(as.alice('GET', transfer(app))), 204);
    assert.equal(await status(as.sam('PUT', accept(app))), 404);
    assert.equal(await status(as.alice('DELETE', transfer(app))), 204, 'cancelling nothing is fine');

    assert.equal(await status(as.alice('PUT', transfer(app), { newUser: 'rita' })), 202);
    assert.equal(await status(as.rita('DELETE', transfer(app))), 204);
    assert.equal(await status(as.rita('PUT', accept(app))), 404);
    assert.equal(await status(as.rita('PUT', `${REGISTRY}/apps/${app}`, { metadata: { name: app } })), 403);
  });

  test('anyone but the owner and the offered user learns nothing: 404, as for a missing application', async () => {
    const app = await sharedApp();
    assert.equal(await status(as.alice('PUT', transfer(app), { newUser: 'rita' })), 202);
    for (const user of ['ada', 'manny', 'sam']) {
      for (const [method, path, body] of [
        ['PUT', transfer(app), { newUser: 'sam' }],
        ['GET', transfer(app)],
        ['DELETE', transfer(app)],
        ['PUT', accept(app)],
      ] as const) {
        const res = await as[user](method, path, body);
        assert.equal(res.status, 404, `${user} ${method} ${path}`);
        assert.equal((await res.json()).error, 'NotFound');
      }
    }
    // the offered user reads and declines, but may not offer it on
    const offered = await as.rita('GET', transfer(app));
    assert.equal(offered.status, 200);
    assert.deepEqual(await offered.json(), { newUser: 'rita' });
    assert.equal(await status(as.rita('PUT', transfer(app), { newUser: 'sam' })), 404);
    assert.equal(await status(as.rita('DELETE', transfer(app))), 204);
    assert.equal(await status(as.alice('GET', transfer(app))), 204);
  });

  test('a new offer replaces the pending one', async () => {
    const app = await sharedApp();
    await as.alice('PUT', transfer(app), { newUser: 'sam' });
    await as.alice('PUT', transfer(app), { newUser: 'manny' });
    assert.equal(await status(as.sam('PUT', accept(app))), 404);
    assert.equal(await status(as.manny('PUT', accept(app))), 204);
    assert.equal(await status(as.manny('DELETE', `${REGISTRY}/apps/${app}`)), 204);
  });

  test('bad targets and missing applications', async () => {
    const app = await sharedApp();
    for (const body of [{ newUser: 'no-such-user' }, { newUser: 'alice' }, { newUser: '' }, {}, { newUser: 1 }]) {
      const res = await as.alice('PUT', transfer(app), body);
      assert.equal(res.status, 400, JSON.stringify(body));
    }
    assert.equal(await status(as.alice('GET', transfer(app))), 204);
    assert.equal(await status(as.alice('PUT', transfer('no-such-app'), { newUser: 'sam' })), 404);
    assert.equal(await status(as.sam('PUT', accept('no-such-app'))), 404);
    assert.equal(await status(as.alice('GET', transfer('no-such-app'))), 404);
  });
});

test('whoami answers the calling user', async () => {
  const res = await as.rita('GET', `${ADMIN}/user/whoami`);
  assert.deepEqual(await res.json(), { id: 'rita' });
});

test('a pending transfer survives a restart', async () => {
  const first = await startTestServer();
  first.server.users.ensure('sam');
  const samToken = first.server.accessTokens.create('sam').token;
  const admin = callerFor(first.authorization, first);
  const call = (c: Caller, method: string, path: string, body?: unknown) => status(c(method, path, body));
  try {
    assert.equal(await call(admin, 'POST', `${REGISTRY}/apps`, { metadata: { name: 'kept' } }), 201);
    assert.equal(await call(admin, 'PUT', `${ADMIN}/apps/kept/transfer-ownership`, { newUser: 'sam' }), 202);
  } finally {
    await first.close();
  }
  const second = await startTestServer(first.dataDir);
  try {
    const sam = (method: string, path: string) =>
      fetch(`${second.url}${path}`, { method, headers: { authorization: basic('sam', samToken) } });
    const res = await sam('GET', `${ADMIN}/apps/kept/transfer-ownership`);
    assert.deepEqual(await res.json(), { newUser: 'sam' });
    assert.equal((await sam('PUT', `${ADMIN}/apps/kept/accept-ownership`)).status, 204);
  } finally {
    await second.close();
  }
});
