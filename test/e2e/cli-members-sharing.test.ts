// Sharing an application with `drg create|get|delete member`, driving the built binary against `drg serve`
// with several users: what each role may do, and that strangers see nothing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { drg, type ServeHandle, startServe } from '../helpers/serve.js';
import { loginAs, type TestUser } from '../helpers/users.js';

let serve: ServeHandle;
let bob: TestUser;
let carol: TestUser;

/** As the owner: the `admin` user `drg serve` logged its config in as. */
const owner = (...args: string[]) => drg(serve.configPath, args);
const asUser = (u: TestUser, ...args: string[]) => drg(u.configPath, args);

before(async () => {
  serve = await startServe();
  [bob, carol] = await Promise.all([loginAs(serve, 'bob'), loginAs(serve, 'carol')]);
});
after(async () => {
  await serve?.stop();
});

async function ok(p: ReturnType<typeof drg>) {
  const res = await p;
  assert.equal(res.code, 0, `exit ${res.code}: ${res.stderr}${res.stdout}`);
  return res;
}

async function fails(p: ReturnType<typeof drg>, stderr: RegExp) {
  const res = await p;
  assert.notEqual(res.code, 0, res.stdout);
  assert.match(res.stderr, stderr);
  return res;
}

test('members: add, list as a table and as JSON, change a role, remove', async () => {
  await ok(owner('create', 'app', 'team'));
  let res = await ok(owner('get', 'member', '--app', 'team'));
  assert.match(res.stdout, /no members/);

  res = await ok(owner('create', 'member', 'bob', '--role', 'reader', '--app', 'team'));
  assert.match(res.stdout, /Member bob added to application team as reader/);
  await ok(owner('add', 'member', 'carol', '--role', 'admin', '-a', 'team'));

  res = await ok(owner('get', 'members', '--app', 'team'));
  assert.deepEqual(
    res.stdout
      .trimEnd()
      .split('\n')
      .map((line) => line.split(/\s+/)),
    [
      ['USER', 'ROLE'],
      ['bob', 'reader'],
      ['carol', 'admin'],
    ],
  );
  res = await ok(owner('get', 'member', '--app', 'team', '-o', 'json'));
  const doc = JSON.parse(res.stdout);
  assert.deepEqual(doc.members, { bob: { role: 'reader' }, carol: { role: 'admin' } });
  assert.equal(typeof doc.resourceVersion, 'string');

  res = await ok(owner('create', 'member', 'bob', '--role', 'manager', '--app', 'team', '-o', 'json'));
  assert.equal(JSON.parse(res.stdout).status, 'success');
  res = await ok(owner('create', 'member', 'bob', '--role', 'manager', '--app', 'team'));
  assert.match(res.stdout, /already/);

  res = await ok(owner('delete', 'member', 'carol', '--app', 'team'));
  assert.match(res.stdout, /carol removed/);
  res = await ok(owner('get', 'member', '--app', 'team', '-o', 'json'));
  assert.deepEqual(JSON.parse(res.stdout).members, { bob: { role: 'manager' } });
  await fails(owner('delete', 'member', 'carol', '--app', 'team'), /carol is not a member of application 'team'/);
});

test('bad input: unknown role, missing role, unknown user, missing application', async () => {
  await ok(owner('create', 'app', 'checks'));
  let res = await fails(
    owner('create', 'member', 'bob', '--role', 'owner', '--app', 'checks'),
    /reader, manager, admin/,
  );
  assert.equal(res.code, 2);
  res = await fails(owner('create', 'member', 'bob', '--app', 'checks'), /--role must be one of/);
  assert.equal(res.code, 2);
  await fails(owner('create', 'member', 'nobody', '--role', 'reader', '--app', 'checks'), /unknown user "nobody"/);
  res = await owner('get', 'member', '--app', 'no-such-app', '-o', 'json');
  assert.notEqual(res.code, 0);
  assert.deepEqual(
    { ...JSON.parse(res.stdout), message: undefined },
    { status: 'failure', message: undefined, http_status: 404 },
  );
  await fails(owner('get', 'member'), /no application/);
});

test('a reader reads; a manager writes devices; neither manages members; a stranger sees nothing', async () => {
  await ok(owner('create', 'app', 'shared'));
  await ok(owner('create', 'device', 'd1', '--app', 'shared'));
  await ok(owner('create', 'member', 'bob', '--role', 'reader', '--app', 'shared'));

  // bob, a reader
  let res = await ok(asUser(bob, 'get', 'app', 'shared', '-o', 'json'));
  assert.equal(JSON.parse(res.stdout).metadata.name, 'shared');
  res = await ok(asUser(bob, 'get', 'devices', '--app', 'shared', '-o', 'json'));
  assert.deepEqual(
    JSON.parse(res.stdout).map((d: { metadata: { name: string } }) => d.metadata.name),
    ['d1'],
  );
  await fails(asUser(bob, 'create', 'device', 'd2', '--app', 'shared'), /forbidden/);
  await fails(asUser(bob, 'label', 'app', 'shared', 'by=bob'), /forbidden/);
  await fails(asUser(bob, 'get', 'member', '--app', 'shared'), /forbidden/);
  await fails(asUser(bob, 'create', 'member', 'carol', '--role', 'reader', '--app', 'shared'), /forbidden/);

  // bob, a manager
  await ok(owner('create', 'member', 'bob', '--role', 'manager', '--app', 'shared'));
  await ok(asUser(bob, 'create', 'device', 'd2', '--app', 'shared'));
  await ok(asUser(bob, 'label', 'app', 'shared', 'by=bob'));
  await fails(asUser(bob, 'get', 'member', '--app', 'shared'), /forbidden/);
  await fails(asUser(bob, 'delete', 'app', 'shared'), /forbidden/);

  // carol, a stranger: 403 on the application, 404 on its devices, nothing in lists
  res = await fails(asUser(carol, 'get', 'app', 'shared', '-o', 'json'), /^$/);
  assert.equal(JSON.parse(res.stdout).http_status, 403);
  res = await asUser(carol, 'get', 'device', 'd1', '--app', 'shared', '-o', 'json');
  assert.equal(JSON.parse(res.stdout).http_status, 404);
  res = await asUser(carol, 'get', 'devices', '--app', 'shared', '-o', 'json');
  assert.equal(JSON.parse(res.stdout).http_status, 404);
  res = await ok(asUser(carol, 'get', 'apps', '-o', 'json'));
  assert.deepEqual(JSON.parse(res.stdout), []);
  await fails(asUser(carol, 'get', 'member', '--app', 'shared'), /forbidden/);

  // bob removed: back to a stranger
  await ok(owner('delete', 'member', 'bob', '--app', 'shared'));
  res = await ok(asUser(bob, 'get', 'apps', '-o', 'json'));
  assert.ok(!JSON.parse(res.stdout).some((a: { metadata: { name: string } }) => a.metadata.name === 'shared'));
  await fails(asUser(bob, 'get', 'app', 'shared'), /forbidden/);
});

test('an admin member manages members and may delete the application', async () => {
  await ok(owner('create', 'app', 'delegated'));
  await ok(owner('create', 'member', 'bob', '--role', 'admin', '--app', 'delegated'));
  await ok(asUser(bob, 'create', 'member', 'carol', '--role', 'reader', '--app', 'delegated'));
  await ok(asUser(carol, 'get', 'app', 'delegated'));
  await ok(asUser(bob, 'delete', 'app', 'delegated'));
  await fails(owner('get', 'app', 'delegated'), /not found/);
});

test('whoami shows each user and the cluster', async () => {
  const res = await ok(asUser(bob, 'whoami', '-o', 'json'));
  const info = JSON.parse(res.stdout);
  assert.equal(info.user, 'bob');
  assert.equal(info.drogue_cloud_url, serve.url);
  const human = await ok(owner('whoami'));
  assert.match(human.stdout, new RegExp(`${serve.url.replace(/[.]/g, '\\.')} as admin`));
});
