// What `drg serve` shows: on a terminal (a pseudo-terminal from util-linux `script`) a summary once it is ready and
// log lines as text; in a pipe JSON lines, as scripts and the other tests read them; --log-format chooses.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { basic } from '../helpers/config.js';
import { issuerAt, logInWithCode } from '../helpers/oidc.js';
import { DRG_BIN, drgEnv, localToken, serveArgs, startServe, tempDir } from '../helpers/serve.js';

interface Terminal {
  child: ChildProcess;
  /** Everything the terminal showed so far, with its \r\n line ends as \n. */
  output: () => string;
  /** Resolves once the terminal showed text matching `pattern`. */
  shows: (pattern: RegExp) => Promise<RegExpExecArray>;
  exited: Promise<number | null>;
  /** Ctrl+C; resolves with drg's exit code. */
  interrupt: () => Promise<number | null>;
  /** Ends the terminal session (and drg in it) unless it has ended. */
  close: () => Promise<void>;
}

const quote = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`;

/** `drg ARGS` with its stdin, stdout and stderr on a pseudo-terminal. */
function onTerminal(configPath: string, args: string[]): Terminal {
  const command = [process.execPath, DRG_BIN, ...args].map(quote).join(' ');
  const child = spawn('script', ['-qfc', command, '/dev/null'], {
    env: drgEnv(configPath),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let text = '';
  const waiting: Array<() => void> = [];
  child.stdout!.on('data', (chunk) => {
    text += String(chunk).replaceAll('\r\n', '\n');
    for (const check of waiting.splice(0)) check();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  // A test that fails by its timeout leaves no drg serve behind (script ends it on SIGTERM).
  const ended = () => child.kill('SIGTERM');
  process.once('exit', ended);
  exited.then(() => process.off('exit', ended));
  const shows = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(text);
        if (match) resolve(match);
        else waiting.push(check);
      };
      exited.then(() => reject(new Error(`the terminal closed without showing ${pattern}:\n${text}`)));
      check();
    });
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const interrupt = () => {
    child.stdin!.write('\x03');
    return exited;
  };
  return { child, output: () => text, shows, exited, interrupt, close };
}

/** `drg serve` in `dir`, then `more` arguments. */
function serveIn(dir: string, ...more: string[]): string[] {
  return [...serveArgs({ dataDir: join(dir, 'data'), configPath: join(dir, 'config.yaml') }), ...more];
}

test('on a terminal: a summary once ready (URLs, data, context, the new admin password), then text log lines', {
  timeout: 30_000,
}, async (t) => {
  const dir = tempDir();
  const configPath = join(dir, 'config.yaml');
  const terminal = onTerminal(configPath, serveIn(dir));
  t.after(terminal.close);
  const [summary] = await terminal.shows(/drg serve is ready\n(?: {2}.*\n)+Press Ctrl\+C to stop it\.\n/);
  const cfg = parse(readFileSync(configPath, 'utf8'));
  const url = cfg.contexts[0].drogue_cloud_url;
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const rows = Object.fromEntries(
    summary
      .split('\n')
      .map((line) => /^ {2}(\S.*?) {2,}(.*)$/.exec(line)?.slice(1) ?? [])
      .filter((row) => row.length === 2),
  );
  assert.equal(rows.API, url);
  assert.equal(rows['OpenID Provider'], `${url}/oidc`);
  assert.equal(rows.health, `${url}/health`);
  assert.equal(rows.data, join(dir, 'data'));
  assert.equal(rows.context, 'local, active: drg commands use this server');
  assert.equal(cfg.active_context, 'local');
  assert.equal((await fetch(rows.health)).status, 200);
  const password = /^(\S+) {2}\(shown once; set one with --admin-password-file or DRG_ADMIN_PASSWORD\)$/.exec(
    rows['admin password'],
  )?.[1];
  assert.ok(password, summary);
  await logInWithCode(issuerAt(`${url}/oidc`), { user: 'admin', password });

  assert.equal(await terminal.interrupt(), 0);
  const after = terminal.output().slice(terminal.output().indexOf('Press Ctrl+C'));
  // The terminal echoes the ^C.
  assert.match(after, /^(?:\^C)?\d\d:\d\d:\d\d INFO {2}stopping signal=SIGINT$/m);
  assert.match(after, /^\d\d:\d\d:\d\d INFO {2}stopped$/m);
  assert.doesNotMatch(terminal.output(), /^\{/m, 'no JSON line');
  assert.equal(terminal.output().split(password).length, 2, 'the password is shown once');
  assert.ok(!terminal.output().includes('\x1b['), 'no colours with NO_COLOR');
});

test('on a terminal, a restart shows no password; --log-format json there gives the JSON lines', {
  timeout: 30_000,
}, async (t) => {
  const dir = tempDir();
  const configPath = join(dir, 'config.yaml');
  const first = onTerminal(configPath, serveIn(dir));
  t.after(first.close);
  await first.shows(/Press Ctrl\+C/);
  assert.equal(await first.interrupt(), 0);

  const second = onTerminal(configPath, serveIn(dir));
  t.after(second.close);
  await second.shows(/Press Ctrl\+C/);
  assert.doesNotMatch(second.output(), /admin password/);
  assert.equal(await second.interrupt(), 0);

  const json = onTerminal(configPath, serveIn(dir, '--log-format', 'json'));
  t.after(json.close);
  const [line] = await json.shows(/^\{.*"msg":"drg serve ready".*\}$/m);
  assert.equal(await json.interrupt(), 0);
  const ready = JSON.parse(line);
  assert.equal(ready.healthUrl, `${ready.url}/health`);
  assert.equal(ready.context, 'local');
  assert.doesNotMatch(json.output(), /drg serve is ready/);
});

test('in a pipe: JSON lines by default; --log-format text gives people the summary there too', async () => {
  const json = await startServe({ args: ['--no-login'] });
  assert.equal(await json.stop(), 0);
  const records = json
    .logs()
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('admin password'))
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    records.map((r) => r.msg),
    ['drg serve ready', 'stopping', 'stopped'],
  );
  assert.equal(records[0].context, undefined);

  const dir = tempDir();
  const text = spawn(process.execPath, [DRG_BIN, ...serveIn(dir, '--log-format', 'text', '--no-login')], {
    env: drgEnv(join(dir, 'config.yaml')),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => text.once('exit', resolve));
  const ready = new Promise<void>((resolve, reject) => {
    text.stderr!.on('data', (chunk) => {
      stderr += chunk;
      if (stderr.includes('Press Ctrl+C')) resolve();
    });
    exited.then((code) => reject(new Error(`drg serve exited with ${code} before it was ready:\n${stderr}`)));
  });
  await ready;
  text.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.match(stderr, /^ {2}context +none written \(--no-login\)$/m);
  assert.match(stderr, /^\d\d:\d\d:\d\d INFO {2}stopping signal=SIGTERM$/m);
});

test('no log line holds a secret: passwords, the context token', async () => {
  const dir = tempDir();
  const passwordFile = join(dir, 'admin-password');
  const adminPassword = 'admin secret from a file';
  const userPassword = 'user secret from stdin';
  writeFileSync(passwordFile, `${adminPassword}\n`, { mode: 0o600 });
  const serve = await startServe({
    args: ['-v', '--admin-password-file', passwordFile, '--user-file', '-'],
    input: `bob:${userPassword}\n`,
  });
  const token = localToken(serve.configPath);
  await fetch(`${serve.url}/api/registry/v1alpha1/apps`, { headers: { authorization: basic('admin', token) } });
  await logInWithCode(issuerAt(`${serve.url}/oidc`), { user: 'bob', password: userPassword });
  assert.equal(await serve.stop(), 0);
  const logs = serve.logs();
  assert.match(logs, /"msg":"request"/, 'request lines were logged');
  for (const secret of [adminPassword, userPassword, token]) assert.ok(!logs.includes(secret));
});
