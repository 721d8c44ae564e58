// Every name the server accepts is addressable by every command, and what other users named never reaches the
// terminal raw.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contextApi } from '../helpers/context-api.js';
import { localServerDuringTests } from '../helpers/drg.js';
import { ok } from '../helpers/serve.js';
import { controlCharacters } from '../helpers/text.js';
import { loginAs } from '../helpers/users.js';

const serve = localServerDuringTests();
const api = contextApi(serve);
const run = (...args: string[]) => serve.run(args);

test('devices named ".", "..", "%2E%2E", "a/../b" and "?#%" are created, read, labelled, edited and deleted', async () => {
  ok(await run('create', 'app', 'odd-names'));
  for (const name of ['.', '..', '%2E%2E', '.%2e', 'a/../b', '../..', '?#%', ' .. ', '\\..']) {
    assert.equal(ok(await run('create', 'device', name, '--app', 'odd-names')).stdout, `Device ${name} created\n`);
    const got = JSON.parse(ok(await run('get', 'device', name, '--app', 'odd-names', '-o', 'json')).stdout);
    assert.equal(got.metadata.name, name, `get ${JSON.stringify(name)}`);
    ok(await run('label', 'device', name, 'seen=yes', '--app', 'odd-names'));
    ok(await run('set', 'alias', name, 'alias-1', '--app', 'odd-names'));
    ok(await run('edit', 'device', name, '--app', 'odd-names', '-s', '{"core":{"disabled":true}}'));
    const device = await api.getDevice('odd-names', name);
    assert.deepEqual(device?.metadata.labels, { seen: 'yes' }, `label ${JSON.stringify(name)}`);
    assert.deepEqual(device?.spec, { core: { disabled: true } });
    assert.equal(ok(await run('delete', 'device', name, '--app', 'odd-names')).stdout, `Device ${name} deleted\n`);
    assert.equal(await api.getDevice('odd-names', name), undefined, `deleted ${JSON.stringify(name)}`);
  }
  assert.ok(await api.getApp('odd-names'), 'the application is still there (no request went to it by mistake)');
});

test("another member's device names cannot clear the screen, set the title or forge a table row", async () => {
  ok(await run('create', 'app', 'shared-names'));
  const bob = await loginAs(serve, 'bob-escapes');
  ok(await run('create', 'member', bob.user, '--role', 'manager', '--app', 'shared-names'));
  const evil = 'x\u001b[2J\u001b]0;pwned\u0007\nforged-row   0s';
  const bobs = await serve.run(['create', 'device', evil, '--app', 'shared-names'], {
    env: { DRGCFG: bob.configPath },
  });
  ok(bobs);
  assert.ok(!bobs.stdout.includes('\u001b'), 'not even in his own success message');

  const table = ok(await run('get', 'devices', '--app', 'shared-names'));
  assert.deepEqual(controlCharacters(table.stdout), [], JSON.stringify(table.stdout));
  const lines = table.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 2, 'a header and one row');
  assert.match(lines[1], /^x\\x1b\[2J\\x1b\]0;pwned\\x07\\x0aforged-row {3}0s\s+\d+s$/);
  const names = ok(await run('get', 'devices', '--app', 'shared-names', '-o', 'name'));
  assert.equal(names.stdout.split('\n').length, 2, 'one name, one line');
  const json = JSON.parse(ok(await run('get', 'devices', '--app', 'shared-names', '-o', 'json')).stdout);
  assert.equal(json[0].metadata.name, evil, 'JSON carries the name as it is');

  // And a server message that says so is escaped too (here: the name in a 404 message).
  const missing = await run('get', 'device', 'no\u001b[31mred', '--app', 'shared-names');
  assert.equal(missing.code, 1);
  assert.ok(!missing.stderr.includes('\u001b'), missing.stderr);
});
