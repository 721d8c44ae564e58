// Passwords for `drg serve` without putting them in its argv, where `ps` shows them to every user: admin's from
// DRG_ADMIN_PASSWORD, --admin-password-file FILE or stdin; users' from --user-file FILE or stdin. Argv still
// works, with a warning.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { assertLoginRefused, issuerAt, logInWithCode } from '../helpers/oidc.js';
import { ADMIN_PASSWORD_LINE, drg, type ServeHandle, startServe, tempDir } from '../helpers/serve.js';

/** What `ps` shows of the process: its argv, from /proc. */
function commandLine(serve: ServeHandle): string {
  return readFileSync(`/proc/${serve.process.pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
}

async function assertLogsIn(serve: ServeHandle, user: string, password: string): Promise<void> {
  const tokens = await logInWithCode(issuerAt(`${serve.url}/oidc`), { user, password });
  assert.ok(tokens.access_token);
}

function secretFile(dir: string, name: string, text: string, mode = 0o600): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

/** stderr without the log lines (JSON in a pipe) and the generated admin password's line. */
function plainLines(serve: ServeHandle): string[] {
  return serve
    .logs()
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('{') && !ADMIN_PASSWORD_LINE.test(l));
}

test("admin's password from DRG_ADMIN_PASSWORD: not in argv, nothing shown, and it logs in", async () => {
  const password = 'admin password from the environment';
  const serve = await startServe({ env: { DRG_ADMIN_PASSWORD: password } });
  try {
    assert.ok(!commandLine(serve).includes(password));
    assert.equal(serve.adminPassword, undefined, 'none generated');
    assert.deepEqual(plainLines(serve), [], 'no warning');
    await assertLogsIn(serve, 'admin', password);
  } finally {
    await serve.stop();
  }
  assert.ok(!serve.logs().includes(password));
});

test("admin's password from --admin-password-file, its one line; a restart with another file changes it", async () => {
  const dir = tempDir();
  const dataDir = join(dir, 'data');
  const first = 'first password, with spaces ';
  let serve = await startServe({ dataDir, args: ['--admin-password-file', secretFile(dir, 'pw1', `${first}\n`)] });
  try {
    assert.ok(!commandLine(serve).includes(first.trim()));
    assert.deepEqual(plainLines(serve), []);
    await assertLogsIn(serve, 'admin', first);
  } finally {
    await serve.stop();
  }

  const second = 'second password';
  serve = await startServe({ dataDir, args: ['--admin-password-file', secretFile(dir, 'pw2', `${second}\r\n`)] });
  try {
    await assertLogsIn(serve, 'admin', second);
    await assertLoginRefused(`${serve.url}/oidc`, 'admin', first);
  } finally {
    await serve.stop();
  }
});

test("admin's password and users' from stdin (-) and from a user file", async () => {
  const dir = tempDir();
  const admin = 'admin password on stdin';
  const users = secretFile(dir, 'users', '# NAME:PASSWORD\n\nbob:bob pass: with colon\ncarol:carol password\n');
  const serve = await startServe({ args: ['--admin-password-file', '-', '--user-file', users], input: `${admin}\n` });
  try {
    assert.deepEqual(plainLines(serve), []);
    const argv = commandLine(serve);
    for (const secret of [admin, 'bob pass', 'carol password']) assert.ok(!argv.includes(secret));
    await assertLogsIn(serve, 'admin', admin);
    await assertLogsIn(serve, 'bob', 'bob pass: with colon');
    await assertLogsIn(serve, 'carol', 'carol password');
  } finally {
    await serve.stop();
  }

  const fromStdin = await startServe({ args: ['--user-file', '-'], input: 'dave:dave password\n' });
  try {
    assert.ok(!commandLine(fromStdin).includes('dave password'));
    await assertLogsIn(fromStdin, 'dave', 'dave password');
  } finally {
    await fromStdin.stop();
  }
});

test('passwords in argv still work, with one warning line each; a file others can read gets one too', async () => {
  const dir = tempDir();
  const readable = secretFile(dir, 'users', 'erin:erin password\n', 0o644);
  const serve = await startServe({
    args: ['--admin-password', 'admin password in argv', '--user', 'bob:bob pw 1', '--user', 'carol:carol pw'],
  });
  try {
    assert.deepEqual(plainLines(serve), [
      'warning: --admin-password is visible to other users of this machine (ps): use --admin-password-file FILE or DRG_ADMIN_PASSWORD',
      'warning: --user passwords are visible to other users of this machine (ps): use --user-file FILE',
    ]);
    await assertLogsIn(serve, 'admin', 'admin password in argv');
    await assertLogsIn(serve, 'carol', 'carol pw');
  } finally {
    await serve.stop();
  }

  const shared = await startServe({ args: ['--user-file', readable] });
  try {
    assert.deepEqual(plainLines(shared), [`warning: ${readable} can be read by other users: chmod 600 ${readable}`]);
    await assertLogsIn(shared, 'erin', 'erin password');
  } finally {
    await shared.stop();
  }
});

test('bad password input: one line, exit 2, no password repeated, nothing started', async () => {
  const dir = tempDir();
  const dataDir = join(dir, 'data');
  const twoLines = secretFile(dir, 'two-lines', 'secret-one\nsecret-two\n');
  const noColon = secretFile(dir, 'no-colon', '# users\nbob secret-pw\n');
  const badName = secretFile(dir, 'bad-name', 'ok:secret-pw\nb b:secret-pw\n');
  const cases: Array<[string[], string, string?]> = [
    [
      ['--admin-password', 'secret-pw', '--admin-password-file', twoLines],
      'error: use only one of --admin-password and --admin-password-file',
    ],
    [['--admin-password-file', twoLines], "error: admin's password file must hold the password on one line"],
    [
      ['--admin-password-file', join(dir, 'missing')],
      `error: cannot read admin's password file ${join(dir, 'missing')}: no such file`,
    ],
    [['--admin-password-file', '-'], 'error: the password of admin is empty', ''],
    [['--user-file', noColon], `error: ${noColon}:2: expected NAME:PASSWORD`],
    [['--user-file', '-'], 'error: stdin:1: the password of bob is empty', 'bob:\n'],
    [
      ['--user-file', badName],
      `error: ${badName}:2: invalid user name "b b": use 1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit`,
    ],
    [
      ['--admin-password-file', '-', '--user-file', '-'],
      'error: only one of --admin-password-file and --user-file can read stdin (-)',
    ],
    [
      ['--issuer-url', 'https://sso.example.com', '--admin-password-file', twoLines, '--user-file', noColon],
      'error: --issuer-url replaces the built-in OIDC issuer, which --admin-password-file, --user-file configure: users log in at https://sso.example.com',
    ],
  ];
  for (const [args, message, input] of cases) {
    const res = await drg(join(dir, 'config.yaml'), ['serve', '--port', '0', '--data-dir', dataDir, ...args], {
      input,
    });
    assert.equal(res.code, 2, args.join(' '));
    assert.equal(res.stderr, `${message}\n`, args.join(' '));
    assert.ok(!res.stderr.includes('secret-'));
  }
  assert.ok(!existsSync(dataDir), 'nothing was created');
});

test('--help says where passwords can come from', async () => {
  const { stdout } = await drg(join(tempDir(), 'config.yaml'), ['serve', '--help']);
  const help = stdout.replace(/\s+/g, ' ');
  for (const text of [
    '--admin-password <password> set the password of the built-in user "admin" (visible in the process list: prefer --admin-password-file)',
    "--admin-password-file <file> set admin's password to the one line of this file (- for stdin); else $DRG_ADMIN_PASSWORD",
    '--user <name:password> create a user, or set their password (repeatable; visible in the process list: prefer --user-file)',
    '--user-file <file> create users, or set their passwords, from NAME:PASSWORD lines of this file (- for stdin',
    "are visible to other users of the machine (ps): give admin's with --admin-password-file FILE (- for stdin) or DRG_ADMIN_PASSWORD, and users' with --user-file FILE",
  ]) {
    assert.ok(help.includes(text), text);
  }
});
