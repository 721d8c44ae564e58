// `drg firmware push|list|show|delete` in-process against a real drg serve (also in-process): what each prints
// (tables, -o json), the immutability of images as the CLI words it, roles, the progress bar (only on a terminal,
// never with -o json), and bad input refused before any request.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { localServerDuringTests, type RunOptions, runDrg } from '../helpers/drg.js';
import { fails, ok, tempDir } from '../helpers/serve.js';
import { asUser, loginAs, type TestUser } from '../helpers/users.js';

const serve = localServerDuringTests();
const files = tempDir('drg-firmware-files-');
let bob: TestUser;

/** As admin, the owner of the applications, in the directory of the image files. */
const drg = (args: string[], opts: RunOptions = {}) => runDrg(serve.configPath, args, { cwd: files, ...opts });
const ESC = '\u001b';
const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

function imageFile(name: string, data: Buffer): Buffer {
  writeFileSync(join(files, name), data);
  return data;
}

before(async () => {
  await serve.ready();
  bob = await loginAs(serve, 'bob');
  ok(await drg(['create', 'app', 'fleet']));
  ok(await drg(['create', 'member', 'bob', '--role', 'reader', '--app', 'fleet']));
});

test('push, then list and show; the same push again changes nothing', async () => {
  ok(await drg(['create', 'app', 'shown']));
  const v1 = imageFile('fw.bin', Buffer.alloc(3000, 1));
  let res = ok(await drg(['firmware', 'push', 'fw.bin', '--version', '1.0.0', '--app', 'shown']));
  assert.equal(res.stdout, `Pushed firmware fw 1.0.0 (2.9 KiB, ${sha256(v1)}) to application shown\n`);
  const v2 = imageFile('other.img', Buffer.from('version two'));
  res = ok(
    await drg(['firmware', 'push', 'other.img', '--name', 'fw', '--version', '1.1.0', '-a', 'shown', '-o', 'json']),
  );
  const pushed = JSON.parse(res.stdout);
  assert.equal(pushed.status, 'success');
  assert.deepEqual(
    { ...pushed.image, created: undefined },
    {
      name: 'fw',
      version: '1.1.0',
      size: v2.length,
      checksum: sha256(v2),
      created: undefined,
    },
  );

  const listed = JSON.parse(ok(await drg(['firmware', 'list', '--app', 'shown', '-o', 'json'])).stdout);
  assert.deepEqual(listed, [pushed.image, { ...listed[1], name: 'fw', version: '1.0.0', checksum: sha256(v1) }]);
  const table = ok(await drg(['firmware', 'list', '--app', 'shown']))
    .stdout.trimEnd()
    .split('\n');
  assert.deepEqual(
    table.map((line) => line.split(/\s{2,}/)),
    [
      ['NAME', 'VERSION', 'SIZE', 'CHECKSUM', 'AGE'],
      ['fw', '1.1.0', '11 B', sha256(v2).slice(0, 19), '0s'],
      ['fw', '1.0.0', '2.9 KiB', sha256(v1).slice(0, 19), '0s'],
    ],
  );
  const wide = ok(await drg(['firmware', 'list', '--app', 'shown', '-o', 'wide', '--no-headers'])).stdout;
  assert.match(wide, new RegExp(`^fw +1\\.1\\.0 +11 B +${sha256(v2)} +0s\n`));

  assert.deepEqual(
    JSON.parse(ok(await drg(['firmware', 'show', 'fw', '1.1.0', '-a', 'shown', '-o', 'json'])).stdout),
    pushed.image,
  );
  const versions = JSON.parse(ok(await drg(['firmware', 'show', 'fw', '-a', 'shown', '-o', 'json'])).stdout);
  assert.deepEqual(
    versions.map((i: { version: string }) => i.version),
    ['1.1.0', '1.0.0'],
  );
  assert.equal(
    ok(await drg(['firmware', 'list', '-a', 'shown', '-o', 'name'])).stdout,
    'firmware/fw:1.1.0\nfirmware/fw:1.0.0\n',
  );

  res = ok(await drg(['firmware', 'push', 'fw.bin', '--version', '1.0.0', '--app', 'shown']));
  assert.equal(
    res.stdout,
    `Application shown has firmware fw 1.0.0 (2.9 KiB, ${sha256(v1)}) already: nothing changed\n`,
  );
});

test('pushing other bytes as an existing version fails, and says to push a new version', async () => {
  ok(await drg(['create', 'app', 'immutable']));
  imageFile('fw.bin', Buffer.from('the first bytes'));
  ok(await drg(['firmware', 'push', 'fw.bin', '--version', '2.0', '--app', 'immutable']));
  imageFile('fw.bin', Buffer.from('other bytes'));
  const res = fails(
    await drg(['firmware', 'push', 'fw.bin', '--version', '2.0', '--app', 'immutable']),
    /^error: firmware fw 2\.0 already exists with different content: push a new version\n$/,
  );
  assert.equal(res.code, 1);
  assert.equal(res.stdout, '');
  const json = await drg(['firmware', 'push', 'fw.bin', '--version', '2.0', '--app', 'immutable', '-o', 'json']);
  assert.equal(json.code, 1);
  assert.deepEqual(JSON.parse(json.stdout), {
    status: 'failure',
    message: 'firmware fw 2.0 already exists with different content: push a new version',
    http_status: 409,
  });
});

test('delete an image; then it is not found', async () => {
  ok(await drg(['create', 'app', 'deleting']));
  imageFile('fw.bin', Buffer.from('to be deleted'));
  ok(await drg(['firmware', 'push', 'fw.bin', '--version', '1', '--app', 'deleting']));
  const res = ok(await drg(['firmware', 'delete', 'fw', '1', '--app', 'deleting']));
  assert.equal(res.stdout, 'Deleted firmware fw 1 from application deleting\n');
  fails(
    await drg(['firmware', 'show', 'fw', '1', '--app', 'deleting']),
    /no firmware "fw" version "1" in application "deleting"/,
  );
  fails(await drg(['firmware', 'delete', 'fw', '1', '--app', 'deleting']), /no firmware "fw" version "1"/);
  const empty = ok(await drg(['firmware', 'list', '--app', 'deleting']));
  assert.equal(empty.stdout, '');
  assert.match(empty.stderr, /Application deleting has no firmware images/);
});

test("a reader reads the application's images, but may not push or delete", async () => {
  const data = imageFile('reader.bin', Buffer.from('firmware bob may read'));
  ok(await drg(['firmware', 'push', 'reader.bin', '--version', '1', '--app', 'fleet']));
  const listed = JSON.parse(ok(await asUser(bob, 'firmware', 'list', '--app', 'fleet', '-o', 'json')).stdout);
  assert.deepEqual(
    listed.map((i: { name: string; checksum: string }) => [i.name, i.checksum]),
    [['reader', sha256(data)]],
  );
  const refused = await runDrg(bob.configPath, ['firmware', 'push', 'reader.bin', '--version', '2', '--app', 'fleet'], {
    cwd: files,
  });
  fails(refused, /forbidden: the reader of application "fleet" may not do this/);
  assert.equal(refused.code, 1);
  fails(await asUser(bob, 'firmware', 'delete', 'reader', '1', '--app', 'fleet'), /forbidden/);
  assert.equal(JSON.parse(ok(await drg(['firmware', 'list', '--app', 'fleet', '-o', 'json'])).stdout).length, 1);
});

test('the progress bar: on a terminal only, and never with -o json', async () => {
  ok(await drg(['create', 'app', 'progress']));
  imageFile('big.bin', Buffer.alloc(256 * 1024, 3));
  const piped = ok(await drg(['firmware', 'push', 'big.bin', '--version', '1', '--app', 'progress']));
  assert.equal(piped.stderr, '');
  const terminal = ok(await drg(['firmware', 'push', 'big.bin', '--version', '2', '--app', 'progress'], { tty: true }));
  const bar = `\r${ESC}[Kbig 2 [${'#'.repeat(30)}] 100% 256 KiB/256 KiB\n`;
  assert.ok(terminal.stderr.endsWith(bar), JSON.stringify(terminal.stderr));
  const json = ok(
    await drg(['firmware', 'push', 'big.bin', '--version', '3', '--app', 'progress', '-o', 'json'], { tty: true }),
  );
  assert.equal(json.stderr, '');
  assert.equal(JSON.parse(json.stdout).image.version, '3');
});

test('bad input is refused before any request: no file, a directory, an empty file, no version, bad names', async () => {
  ok(await drg(['create', 'app', 'refusals']));
  mkdirSync(join(files, 'a-directory'), { recursive: true });
  imageFile('empty.bin', Buffer.alloc(0));
  imageFile('fine.bin', Buffer.from('fine'));
  const usage = async (args: string[], message: RegExp) => {
    const res = fails(await drg(['firmware', ...args, '--app', 'refusals']), message);
    assert.equal(res.code, 2, res.stderr);
  };
  await usage(['push', 'missing.bin', '--version', '1'], /cannot read missing\.bin: no such file/);
  await usage(['push', 'a-directory', '--version', '1'], /a-directory is not a file/);
  await usage(['push', 'empty.bin', '--version', '1'], /empty\.bin is empty/);
  await usage(['push', 'fine.bin'], /give the version of the image with --version/);
  await usage(['push', 'fine.bin', '--version', 'has space'], /the firmware version "has space" is invalid/);
  await usage(['push', 'fine.bin', '--version', '1', '--name', '..'], /the firmware name must not be "\.\."/);
  await usage(['push', 'fine.bin', '--version', 'x'.repeat(129)], /longer than 128 characters/);
  await usage(['push', 'fine.bin', '--version', '1', '--name', 'n', '--image', 'localhost:5000/fw:1'], /--name/);
  await usage(['show', 'a/b'], /the firmware name "a\/b" is invalid/);
  await usage(['delete', 'fw', ''], /the firmware version must not be empty/);
  assert.deepEqual(JSON.parse(ok(await drg(['firmware', 'list', '--app', 'refusals', '-o', 'json'])).stdout), []);
});
