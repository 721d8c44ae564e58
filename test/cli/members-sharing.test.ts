// Sharing an application with `drg create|get|delete member` against `drg serve` with several users: what each role may do, and that strangers see nothing.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { runDrg as drg, localServerDuringTests } from '../helpers/drg.js';
import { fails, ok } from '../helpers/serve.js';
import { asUser, loginAs, type TestUser } from '../helpers/users.js';

const serve = localServerDuringTests();
let bob: TestUser;
let carol: TestUser;

/** As the owner: the `admin` user `drg serve` logged its config in as. */
const owner = (...args: string[]) => drg(serve.configPath, args);

before(async () => {
  await serve.ready();
  [bob, carol] = await Promise.all([loginAs(serve, 'bob'), loginAs(serve, 'carol')]);
});

test('members: add, list as a table and as JSON, change a role, remove', async () => {
  ok(await owner('create', 'app', 'team'));
  let res = ok(await owner('get', 'member', '--app', 'team'));
  assert.equal(res.stdout, '', 'no table without members');
  assert.match(res.stderr, /no members/);

  res = ok(await owner('create', 'member', 'bob', '--role', 'reader', '--app', 'team'));
  assert.match(res.stdout, /Member bob added to application team as reader/);
  ok(await owner('add', 'member', 'carol', '--role', 'admin', '-a', 'team'));

  res = ok(await owner('get', 'members', '--app', 'team'));
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
  res = ok(await owner('get', 'member', '--app', 'team', '-o', 'json'));
  const doc = JSON.parse(res.stdout);
  assert.deepEqual(doc.members, { bob: { role: 'reader' }, carol: { role: 'admin' } });
  assert.equal(typeof doc.resourceVersion, 'string');

  res = ok(await owner('create', 'member', 'bob', '--role', 'manager', '--app', 'team', '-o', 'json'));
  assert.equal(JSON.parse(res.stdout).status, 'success');
  res = ok(await owner('create', 'member', 'bob', '--role', 'manager', '--app', 'team'));
  assert.match(res.stdout, /already/);

  res = ok(await owner('delete', 'member', 'carol', '--app', 'team'));
  assert.match(res.stdout, /carol removed/);
  res = ok(await owner('get', 'member', '--app', 'team', '-o', 'json'));
  assert.deepEqual(JSON.parse(res.stdout).members, { bob: { role: 'manager' } });
  fails(await owner('delete', 'member', 'carol', '--app', 'team'), /carol is not a member of application 'team'/);
});

test('bad input: unknown role, missing role, unknown user, missing application', async () => {
  ok(await owner('create', 'app', 'checks'));
  let res = fails(
    await owner('create', 'member', 'bob', '--role', 'owner', '--app', 'checks'),
    /reader, manager, admin/,
  );
  assert.equal(res.code, 2);
  res = fails(await owner('create', 'member', 'bob', '--app', 'checks'), /--role must be one of/);
  assert.equal(res.code, 2);
  fails(await owner('create', 'member', 'nobody', '--role', 'reader', '--app', 'checks'), /unknown user "nobody"/);
  res = await owner('get', 'member', '--app', 'no-such-app', '-o', 'json');
  assert.notEqual(res.code, 0);
  assert.deepEqual(
    { ...JSON.parse(res.stdout), message: undefined },
    { status: 'failure', message: undefined, http_status: 404 },
  );
  fails(await owner('get', 'member'), /no application/);
});

test('a reader reads; a manager writes devices; neither manages members; a stranger sees nothing', async () => {
  ok(await owner('create', 'app', 'shared'));
  ok(await owner('create', 'device', 'd1', '--app', 'shared'));
  ok(await owner('create', 'member', 'bob', '--role', 'reader', '--app', 'shared'));

  // bob, a reader
  let res = ok(await asUser(bob, 'get', 'app', 'shared', '-o', 'json'));
  assert.equal(JSON.parse(res.stdout).metadata.name, 'shared');
  res = ok(await asUser(bob, 'get', 'devices', '--app', 'shared', '-o', 'json'));
  assert.deepEqual(
    JSON.parse(res.stdout).map((d: { metadata: { name: string } }) => d.metadata.name),
    ['d1'],
  );
  fails(await asUser(bob, 'create', 'device', 'd2', '--app', 'shared'), /forbidden/);
  fails(await asUser(bob, 'label', 'app', 'shared', 'by=bob'), /forbidden/);
  fails(await asUser(bob, 'get', 'member', '--app', 'shared'), /forbidden/);
  fails(await asUser(bob, 'create', 'member', 'carol', '--role', 'reader', '--app', 'shared'), /forbidden/);

  // bob, a manager
  ok(await owner('create', 'member', 'bob', '--role', 'manager', '--app', 'shared'));
  ok(await asUser(bob, 'create', 'device', 'd2', '--app', 'shared'));
  ok(await asUser(bob, 'label', 'app', 'shared', 'by=bob'));
  fails(await asUser(bob, 'get', 'member', '--app', 'shared'), /forbidden/);
  fails(await asUser(bob, 'delete', 'app', 'shared'), /forbidden/);

  // carol, a stranger: 403 on the application, 404 on its devices, nothing in lists
  res = fails(await asUser(carol, 'get', 'app', 'shared', '-o', 'json'), /^$/);
  assert.equal(JSON.parse(res.stdout).http_status, 403);
  res = await asUser(carol, 'get', 'device', 'd1', '--app', 'shared', '-o', 'json');
  assert.equal(JSON.parse(res.stdout).http_status, 404);
  res = await asUser(carol, 'get', 'devices', '--app', 'shared', '-o', 'json');
  assert.equal(JSON.parse(res.stdout).http_status, 404);
  res = ok(await asUser(carol, 'get', 'apps', '-o', 'json'));
  assert.deepEqual(JSON.parse(res.stdout), []);
  fails(await asUser(carol, 'get', 'member', '--app', 'shared'), /forbidden/);

  // bob removed: back to a stranger
  ok(await owner('delete', 'member', 'bob', '--app', 'shared'));
  res = ok(await asUser(bob, 'get', 'apps', '-o', 'json'));
  assert.ok(!JSON.parse(res.stdout).some((a: { metadata: { name: string } }) => a.metadata.name === 'shared'));
  fails(await asUser(bob, 'get', 'app', 'shared'), /forbidden/);
});

test('an admin member manages members and may delete the application', async () => {
  ok(await owner('create', 'app', 'delegated'));
  ok(await owner('create', 'member', 'bob', '--role', 'admin', '--app', 'delegated'));
  ok(await asUser(bob, 'create', 'member', 'carol', '--role', 'reader', '--app', 'delegated'));
  ok(await asUser(carol, 'get', 'app', 'delegated'));
  ok(await asUser(bob, 'delete', 'app', 'delegated'));
  fails(await owner('get', 'app', 'delegated'), /not found/);
});

test('whoami shows each user and the cluster', async () => {
  const res = ok(await asUser(bob, 'whoami', '-o', 'json'));
  const info = JSON.parse(res.stdout);
  assert.equal(info.user, 'bob');
  assert.equal(info.drogue_cloud_url, serve.url);
  const human = ok(await owner('whoami'));
  assert.match(human.stdout, new RegExp(`${serve.url.replace(/[.]/g, '\\.')} as admin`));
});
