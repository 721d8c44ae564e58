// `drg transfer init|accept|cancel` between users, and `drg create|get|delete token`, against `drg serve`.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { drg, type ServeHandle, startServe } from '../helpers/serve.js';
import { loginAs, type TestUser } from '../helpers/users.js';

let serve: ServeHandle;
let bob: TestUser;
let carol: TestUser;

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

/** Whoami through the API with Basic auth: the user, or the HTTP status when rejected. */
async function whoamiWith(user: string, token: string): Promise<string | number> {
  const res = await fetch(`${serve.url}/api/admin/v1alpha1/user/whoami`, {
    headers: { authorization: `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}` },
  });
  return res.status === 200 ? ((await res.json()) as { id: string }).id : res.status;
}

test('transfer: the owner offers, only the named user accepts, then owns the application', async () => {
  await ok(owner('create', 'app', 'handover'));
  await ok(owner('create', 'device', 'd1', '--app', 'handover'));

  let res = await ok(owner('transfer', 'init', 'bob', '--app', 'handover'));
  assert.match(res.stdout, /drg transfer accept handover/);

  await fails(
    asUser(carol, 'transfer', 'accept', 'handover'),
    /no transfer of application 'handover' to you is pending/,
  );
  await fails(asUser(carol, 'transfer', 'init', 'carol', '--app', 'handover'), /forbidden/);
  await fails(asUser(bob, 'get', 'app', 'handover'), /forbidden/);

  res = await ok(asUser(bob, 'transfer', 'accept', 'handover'));
  assert.match(res.stdout, /Transfer of application handover completed: you are now its owner/);

  res = await ok(asUser(bob, 'get', 'device', 'd1', '--app', 'handover', '-o', 'json'));
  assert.equal(JSON.parse(res.stdout).metadata.name, 'd1');
  await ok(asUser(bob, 'get', 'member', '--app', 'handover'));
  await fails(owner('get', 'app', 'handover'), /forbidden/);
  await fails(owner('transfer', 'init', 'carol', '--app', 'handover'), /forbidden/);
  await fails(asUser(bob, 'transfer', 'accept', 'handover'), /no transfer/);
});

test('transfer: cancel by the owner (also with -o json); a declined offer cannot be accepted', async () => {
  await ok(owner('create', 'app', 'kept'));
  await ok(owner('transfer', 'init', 'bob', '--app', 'kept'));
  const res = await ok(owner('transfer', 'cancel', 'kept', '-o', 'json'));
  assert.equal(JSON.parse(res.stdout).status, 'success');
  await fails(asUser(bob, 'transfer', 'accept', 'kept'), /no transfer/);

  await ok(owner('transfer', 'init', 'carol', '-a', 'kept'));
  await ok(asUser(carol, 'transfer', 'cancel', 'kept'));
  await fails(asUser(carol, 'transfer', 'accept', 'kept'), /no transfer/);
  await ok(owner('get', 'app', 'kept'));
});

test('transfer: unknown users and applications are clear errors', async () => {
  await ok(owner('create', 'app', 'offers'));
  await fails(owner('transfer', 'init', 'nobody', '--app', 'offers'), /unknown user "nobody"/);
  await fails(owner('transfer', 'init', 'admin', '--app', 'offers'), /already owns/);
  await fails(asUser(bob, 'transfer', 'accept', 'no-such-app'), /application 'no-such-app' not found/);
  const res = await fails(owner('transfer', 'accept', 'Not_An_App'), /./);
  assert.equal(res.code, 2);
});

test('tokens: created once (only the token on stdout), listed by prefix, usable, deleted', async () => {
  let res = await ok(asUser(bob, 'create', 'token', '--description', 'ci job'));
  const token = res.stdout.trim();
  assert.match(token, /^drg_[A-Za-z0-9]{6}_[A-Za-z0-9]+$/);
  assert.equal(res.stdout, `${token}\n`);
  assert.match(res.stderr, /will not be shown again/);
  const prefix = token.slice(0, 10);
  assert.equal(await whoamiWith('bob', token), 'bob');

  res = await ok(asUser(bob, 'get', 'tokens'));
  const lines = res.stdout.trimEnd().split('\n');
  assert.match(lines[0], /^PREFIX\s+CREATED\s+DESCRIPTION$/);
  const row = lines.find((l) => l.startsWith(prefix));
  assert.match(row ?? '', /^drg_\w{6}\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+ci job$/);
  assert.ok(!res.stdout.includes(token), 'the secret is never listed');

  res = await ok(asUser(bob, 'get', 'token', '-o', 'json'));
  const listed = JSON.parse(res.stdout) as { prefix: string; created: string; description?: string }[];
  const entry = listed.find((t) => t.prefix === prefix);
  assert.equal(entry?.description, 'ci job');
  assert.ok(Math.abs(Date.parse(entry?.created ?? '') - Date.now()) < 60_000, entry?.created);
  res = await ok(asUser(carol, 'get', 'token', '-o', 'json'));
  assert.ok(!JSON.parse(res.stdout).some((t: { prefix: string }) => t.prefix === prefix), "others don't see it");

  res = await ok(asUser(bob, 'delete', 'token', prefix));
  assert.match(res.stdout, new RegExp(`Access token ${prefix} deleted`));
  assert.equal(await whoamiWith('bob', token), 403);
  res = await asUser(bob, 'delete', 'token', prefix, '-o', 'json');
  assert.notEqual(res.code, 0);
  assert.equal(JSON.parse(res.stdout).http_status, 404);
});

test('tokens: -o json gives {prefix, token}; deleting by the whole token never echoes its secret', async () => {
  let res = await ok(asUser(carol, 'create', 'token', '-o', 'json'));
  const created = JSON.parse(res.stdout);
  assert.deepEqual(Object.keys(created).sort(), ['prefix', 'token']);
  assert.ok(created.token.startsWith(`${created.prefix}_`));
  assert.equal(await whoamiWith('carol', created.token), 'carol');

  res = await ok(asUser(carol, 'delete', 'token', created.token));
  assert.ok(!`${res.stdout}${res.stderr}`.includes(created.token));
  assert.equal(await whoamiWith('carol', created.token), 403);
  res = await asUser(carol, 'delete', 'token', created.token);
  assert.notEqual(res.code, 0);
  assert.ok(!`${res.stdout}${res.stderr}`.includes(created.token));
  assert.match(res.stderr, new RegExp(`access token '${created.prefix}' not found`));
});

test('deleting another user’s token prefix is not found and leaves it working', async () => {
  const res = await ok(asUser(bob, 'create', 'token', '-o', 'json'));
  const { prefix, token } = JSON.parse(res.stdout);
  await fails(asUser(carol, 'delete', 'token', prefix), /not found/);
  assert.equal(await whoamiWith('bob', token), 'bob');
});
