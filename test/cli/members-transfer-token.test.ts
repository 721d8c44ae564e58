// `drg transfer init|accept|cancel` between users, and `drg create|get|delete token`, against `drg serve`.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { basic } from '../helpers/config.js';
import { runDrg as drg, localServerDuringTests } from '../helpers/drg.js';
import { fails, ok } from '../helpers/serve.js';
import { asUser, loginAs, type TestUser } from '../helpers/users.js';

const serve = localServerDuringTests();
let bob: TestUser;
let carol: TestUser;

const owner = (...args: string[]) => drg(serve.configPath, args);

before(async () => {
  await serve.ready();
  [bob, carol] = await Promise.all([loginAs(serve, 'bob'), loginAs(serve, 'carol')]);
});

/** Whoami through the API with Basic auth: the user, or the HTTP status when rejected. */
async function whoamiWith(user: string, token: string): Promise<string | number> {
  const res = await fetch(`${serve.url}/api/admin/v1alpha1/user/whoami`, {
    headers: { authorization: basic(user, token) },
  });
  return res.status === 200 ? ((await res.json()) as { id: string }).id : res.status;
}

test('transfer: the owner offers, only the named user accepts, then owns the application', async () => {
  ok(await owner('create', 'app', 'handover'));
  ok(await owner('create', 'device', 'd1', '--app', 'handover'));

  let res = ok(await owner('transfer', 'init', 'bob', '--app', 'handover'));
  assert.match(res.stdout, /drg transfer accept handover/);

  // Drogue Cloud: nothing pending to the caller, or not the owner, is a 404 (the server says no more than that).
  fails(
    await asUser(carol, 'transfer', 'accept', 'handover'),
    /application 'handover' not found, or no transfer of application 'handover' to you is pending/,
  );
  fails(
    await asUser(carol, 'transfer', 'init', 'carol', '--app', 'handover'),
    /application 'handover' not found, or you are not its owner/,
  );
  fails(await asUser(bob, 'get', 'app', 'handover'), /forbidden/);

  res = ok(await asUser(bob, 'transfer', 'accept', 'handover'));
  assert.match(res.stdout, /Transfer of application handover completed: you are now its owner/);

  res = ok(await asUser(bob, 'get', 'device', 'd1', '--app', 'handover', '-o', 'json'));
  assert.equal(JSON.parse(res.stdout).metadata.name, 'd1');
  ok(await asUser(bob, 'get', 'member', '--app', 'handover'));
  fails(await owner('get', 'app', 'handover'), /forbidden/);
  fails(await owner('transfer', 'init', 'carol', '--app', 'handover'), /you are not its owner/);
  fails(await asUser(bob, 'transfer', 'accept', 'handover'), /no transfer of application 'handover' to you is pending/);
});

test('transfer: cancel by the owner (also with -o json); a declined offer cannot be accepted', async () => {
  ok(await owner('create', 'app', 'kept'));
  ok(await owner('transfer', 'init', 'bob', '--app', 'kept'));
  const res = ok(await owner('transfer', 'cancel', 'kept', '-o', 'json'));
  assert.equal(JSON.parse(res.stdout).status, 'success');
  fails(await asUser(bob, 'transfer', 'accept', 'kept'), /no transfer/);

  ok(await owner('transfer', 'init', 'carol', '-a', 'kept'));
  ok(await asUser(carol, 'transfer', 'cancel', 'kept'));
  fails(await asUser(carol, 'transfer', 'accept', 'kept'), /no transfer/);
  ok(await owner('get', 'app', 'kept'));
});

test('transfer: unknown users and applications are clear errors', async () => {
  ok(await owner('create', 'app', 'offers'));
  fails(await owner('transfer', 'init', 'nobody', '--app', 'offers'), /unknown user "nobody"/);
  fails(await owner('transfer', 'init', 'admin', '--app', 'offers'), /already owns/);
  fails(await asUser(bob, 'transfer', 'accept', 'no-such-app'), /application 'no-such-app' not found/);
  const res = fails(await owner('transfer', 'accept', 'Not_An_App'), /./);
  assert.equal(res.code, 2);
});

test('tokens: created once (only the token on stdout), listed by prefix, usable, deleted', async () => {
  let res = ok(await asUser(bob, 'create', 'token', '--description', 'ci job'));
  const token = res.stdout.trim();
  assert.match(token, /^drg_[A-Za-z0-9]{6}_[A-Za-z0-9]+$/);
  assert.equal(res.stdout, `${token}\n`);
  assert.match(res.stderr, /will not be shown again/);
  const prefix = token.slice(0, 10);
  assert.equal(await whoamiWith('bob', token), 'bob');

  res = ok(await asUser(bob, 'get', 'tokens'));
  const lines = res.stdout.trimEnd().split('\n');
  assert.match(lines[0], /^PREFIX\s+CREATED\s+DESCRIPTION$/);
  const row = lines.find((l) => l.startsWith(prefix));
  assert.match(row ?? '', /^drg_\w{6}\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+ci job$/);
  assert.ok(!res.stdout.includes(token), 'the secret is never listed');

  res = ok(await asUser(bob, 'get', 'token', '-o', 'json'));
  const listed = JSON.parse(res.stdout) as { prefix: string; created: string; description?: string }[];
  const entry = listed.find((t) => t.prefix === prefix);
  assert.equal(entry?.description, 'ci job');
  assert.ok(Math.abs(Date.parse(entry?.created ?? '') - Date.now()) < 60_000, entry?.created);
  res = ok(await asUser(carol, 'get', 'token', '-o', 'json'));
  assert.ok(!JSON.parse(res.stdout).some((t: { prefix: string }) => t.prefix === prefix), "others don't see it");

  res = ok(await asUser(bob, 'delete', 'token', prefix));
  assert.match(res.stdout, new RegExp(`Access token ${prefix} deleted`));
  assert.equal(await whoamiWith('bob', token), 403);
  res = await asUser(bob, 'delete', 'token', prefix, '-o', 'json');
  assert.notEqual(res.code, 0);
  assert.equal(JSON.parse(res.stdout).http_status, 404);
});

test('tokens: -o json gives {prefix, token}; deleting by the whole token never echoes its secret', async () => {
  let res = ok(await asUser(carol, 'create', 'token', '-o', 'json'));
  const created = JSON.parse(res.stdout);
  assert.deepEqual(Object.keys(created).sort(), ['prefix', 'token']);
  assert.ok(created.token.startsWith(`${created.prefix}_`));
  assert.equal(await whoamiWith('carol', created.token), 'carol');

  res = ok(await asUser(carol, 'delete', 'token', created.token));
  assert.ok(!`${res.stdout}${res.stderr}`.includes(created.token));
  assert.equal(await whoamiWith('carol', created.token), 403);
  res = await asUser(carol, 'delete', 'token', created.token);
  assert.notEqual(res.code, 0);
  assert.ok(!`${res.stdout}${res.stderr}`.includes(created.token));
  assert.match(res.stderr, new RegExp(`access token '${created.prefix}' not found`));
});

test('deleting another user’s token prefix is not found and leaves it working', async () => {
  const res = ok(await asUser(bob, 'create', 'token', '-o', 'json'));
  const { prefix, token } = JSON.parse(res.stdout);
  fails(await asUser(carol, 'delete', 'token', prefix), /not found/);
  assert.equal(await whoamiWith('bob', token), 'bob');
});
