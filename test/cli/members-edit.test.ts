// `drg edit member` against `drg serve` (with $EDITOR a small node script), and the read-modify-write of
// `drg create|delete member` meeting a concurrent change (a fake server that answers the PUT with 409).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { before, test } from 'node:test';
import { runDrg as drg, localServerDuringTests } from '../helpers/drg.js';
import { DRG_BIN, tempDir } from '../helpers/serve.js';
import { loginAs } from '../helpers/users.js';

const serve = localServerDuringTests();
let editor: string;

/**
 * `node editor.mjs LOG FILE`: records FILE's path and text in LOG, then runs EDIT_JS, a function body given
 * `doc` (the parsed YAML) and `drg(...args)` (the binary, with the same config); a returned value is written
 * back as YAML, undefined leaves the file alone.
 */
const EDITOR_SCRIPT = `
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const YAML = createRequire(${JSON.stringify(resolve('package.json'))})('yaml');
const [, , log, file] = process.argv;
const raw = readFileSync(file, 'utf8');
writeFileSync(log, JSON.stringify({ file, raw }));
const drg = (...args) => execFileSync(process.execPath, [${JSON.stringify(DRG_BIN)}, ...args], { stdio: 'ignore' });
const result = new Function('doc', 'drg', process.env.EDIT_JS)(YAML.parse(raw), drg);
if (result !== undefined) writeFileSync(file, YAML.stringify(result));
`;

before(async () => {
  await serve.ready();
  await Promise.all([loginAs(serve, 'bob'), loginAs(serve, 'carol')]);
  editor = join(tempDir('drg-editor-'), 'editor.mjs');
  writeFileSync(editor, EDITOR_SCRIPT);
});

const owner = (...args: string[]) => drg(serve.configPath, args);

async function editMembers(app: string, js: string) {
  const log = join(tempDir(), 'log.json');
  const res = await drg(serve.configPath, ['edit', 'member', '--app', app], {
    env: { EDITOR: `"${process.execPath}" "${editor}" "${log}"`, EDIT_JS: js },
  });
  const seen: { file: string; raw: string } | undefined = existsSync(log)
    ? JSON.parse(readFileSync(log, 'utf8'))
    : undefined;
  return { ...res, seen };
}

async function membersOf(app: string): Promise<Record<string, { role: string }>> {
  const res = await owner('get', 'member', '--app', app, '-o', 'json');
  assert.equal(res.code, 0, res.stderr);
  return JSON.parse(res.stdout).members;
}

test('members edited in the editor are saved; the temp file is removed', async () => {
  assert.equal((await owner('create', 'app', 'edited')).code, 0);
  assert.equal((await owner('create', 'member', 'bob', '--role', 'reader', '--app', 'edited')).code, 0);
  const res = await editMembers(
    'edited',
    'doc.members.bob.role = "manager"; doc.members.carol = { role: "admin" }; return doc;',
  );
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /Members of application edited updated/);
  assert.match(res.seen?.raw ?? '', /^# /);
  assert.match(res.seen?.raw ?? '', /resourceVersion: /);
  assert.ok(!existsSync(res.seen!.file));
  assert.deepEqual(await membersOf('edited'), { bob: { role: 'manager' }, carol: { role: 'admin' } });
});

test('an unchanged file cancels the edit', async () => {
  assert.equal((await owner('create', 'app', 'untouched')).code, 0);
  const res = await editMembers('untouched', 'return undefined;');
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /Edit cancelled, no changes made/);
  assert.deepEqual(await membersOf('untouched'), {});
});

test('a change made by someone else while editing is a conflict: nothing lost, the edit kept', async () => {
  assert.equal((await owner('create', 'app', 'raced')).code, 0);
  const res = await editMembers(
    'raced',
    'drg("create", "member", "carol", "--role", "reader", "--app", "raced"); doc.members = { bob: { role: "admin" } }; return doc;',
  );
  assert.notEqual(res.code, 0);
  assert.match(res.stderr, /changed by someone else since you started editing; your version is saved in /);
  assert.deepEqual(await membersOf('raced'), { carol: { role: 'reader' } });
  const kept = readFileSync(res.seen!.file, 'utf8');
  assert.match(kept, /bob:\s+role: admin/);
  rmSync(dirname(res.seen!.file), { recursive: true, force: true });
});

test('an invalid role in the editor is rejected before any write; the edit is kept', async () => {
  assert.equal((await owner('create', 'app', 'invalid')).code, 0);
  const res = await editMembers('invalid', 'doc.members = { bob: { role: "owner" } }; return doc;');
  assert.notEqual(res.code, 0);
  assert.match(res.stderr, /member bob: role must be one of reader, manager, admin; your version is saved in /);
  assert.ok(existsSync(res.seen!.file));
  rmSync(dirname(res.seen!.file), { recursive: true, force: true });
  assert.deepEqual(await membersOf('invalid'), {});
});

/** A registry whose members change between drg's GET and PUT: the PUT with the old resourceVersion gets 409. */
async function racingServer(): Promise<{ server: Server; url: string; puts: unknown[] }> {
  const puts: unknown[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.method === 'GET' && req.url === '/api/admin/v1alpha1/apps/app1/members') {
        res.end(JSON.stringify({ resourceVersion: 'v1', members: { ann: { role: 'reader' } } }));
      } else if (req.method === 'PUT' && req.url === '/api/admin/v1alpha1/apps/app1/members') {
        puts.push(JSON.parse(body));
        res.statusCode = 409;
        res.end(JSON.stringify({ error: 'OptimisticLockFailed', message: 'changed meanwhile' }));
      } else {
        res.statusCode = 404;
        res.end(JSON.stringify({ error: 'NotFound', message: `${req.method} ${req.url}` }));
      }
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, puts };
}

test('create and delete member send the resourceVersion they read; a 409 is a clear conflict', async () => {
  const { server, url, puts } = await racingServer();
  try {
    const config = join(tempDir('drg-race-'), 'config.yaml');
    writeFileSync(
      config,
      `active_context: race\ncontexts:\n  - name: race\n    drogue_cloud_url: ${url}\n    default_app: app1\n    token: {id: u, token: t}\n`,
    );
    let res = await drg(config, ['create', 'member', 'bob', '--role', 'manager', '-o', 'json']);
    assert.notEqual(res.code, 0);
    const failure = JSON.parse(res.stdout);
    assert.equal(failure.status, 'failure');
    assert.equal(failure.http_status, 409);
    assert.match(failure.message, /members of application 'app1' were changed by someone else/);

    res = await drg(config, ['delete', 'member', 'ann']);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /changed by someone else meanwhile/);
    assert.match(res.stderr, /nothing was changed: run the command again/);

    assert.deepEqual(puts, [
      { resourceVersion: 'v1', members: { ann: { role: 'reader' }, bob: { role: 'manager' } } },
      { resourceVersion: 'v1', members: {} },
    ]);
  } finally {
    server.close();
  }
});
