// The built drg binary itself, end to end: the launcher, the version baked in at build time, exit codes, stack
// traces mapped to the sources with -v, a reader that goes away, and help. (Command behaviour is tested in-process
// in test/cli/.)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { localServerDuringTests } from '../helpers/drg.js';
import { DRG_BIN, drg, drgEnv, newConfigPath, ok, tempDir, unreachableConfig } from '../helpers/serve.js';

const serve = localServerDuringTests();
const VERSION = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

test('--version and -V print the client version', async () => {
  for (const flag of ['--version', '-V']) {
    assert.equal(ok(await drg(newConfigPath(), [flag])).stdout, `${VERSION}\n`);
  }
});

test('version: the client alone without a context (exit 0); with one also the server', async () => {
  const none = ok(await drg(newConfigPath(), ['version']));
  assert.equal(none.stdout, `Drg Version: ${VERSION}\n`);
  assert.equal(none.stderr, '');

  const withServer = ok(await drg(serve.configPath, ['version']));
  assert.equal(withServer.stdout, `Drg Version: ${VERSION}\nConnected drogue-cloud service: v0.11.0\n`);
  assert.deepEqual(JSON.parse(ok(await drg(serve.configPath, ['version', '-o', 'json'])).stdout), {
    client: VERSION,
    server: '0.11.0',
    server_url: serve.url,
  });
});

test('exit codes: 0, 1 error, 2 usage, 4 authentication; with -o json a failure document', async () => {
  const human = await drg(serve.configPath, ['get', 'widgets']);
  assert.equal(human.code, 2);
  assert.match(human.stderr, /unknown command 'widgets'/);
  const json = await drg(serve.configPath, ['-o', 'json', 'get', 'apps', '--bogus']);
  assert.equal(json.code, 2);
  assert.deepEqual(Object.keys(JSON.parse(json.stdout)), ['status', 'message']);
  assert.match(JSON.parse(json.stdout).message, /unknown option '--bogus'/);

  const missing = await drg(serve.configPath, ['get', 'app', 'no-such-app']);
  assert.equal(missing.code, 1);
  const none = await drg(newConfigPath(), ['get', 'apps']);
  assert.equal(none.code, 4);
  assert.equal(none.stderr, 'error: no context: run `drg login URL` (or `drg serve`)\n');
});

test('bare drg and a bare group print their help, with exit 0', async () => {
  const root = ok(await drg(serve.configPath, []));
  assert.match(root.stdout, /^Usage: drg /);
  for (const word of ['create', 'get', 'config', 'transfer']) assert.match(root.stdout, new RegExp(`\\n  ${word}\\b`));
  assert.match(root.stdout.replace(/\s+/g, ' '), /members, access tokens and certificates/);
  const group = ok(await drg(serve.configPath, ['get']));
  assert.match(group.stdout, /^Usage: drg get /);
  assert.equal(group.stderr, '');
});

test('the stack trace only with -v, mapped to the TypeScript sources, with the HTTP call of an API failure', async () => {
  const config = await unreachableConfig();
  const quiet = await drg(config, ['get', 'apps']);
  assert.ok(!quiet.stderr.includes('    at '), quiet.stderr);
  const verbose = await drg(config, ['get', 'apps', '-v']);
  assert.match(verbose.stderr, /^error: cannot reach/);
  assert.match(verbose.stderr, /\n\s+at .*src\/client\/http\.ts:\d+:\d+/);

  const api = await drg(serve.configPath, ['get', 'app', 'no-such-app', '-v']);
  assert.match(api.stderr, new RegExp(`HTTP GET ${serve.url}/api/registry/v1alpha1/apps/no-such-app → 404 NotFound`));
  assert.ok(!api.stderr.includes(serve.token), 'no credentials in the details');
});

test('a reader that goes away (| head -1) ends drg quietly: no EPIPE, no stack trace', async () => {
  ok(await drg(serve.configPath, ['create', 'app', 'piped']));
  // About 1 MB of output: far more than a pipe holds, so drg is still writing when the reader goes.
  for (let i = 0; i < 100; i++) serve.server.accessTokens.create('admin', `padding ${i} ${'x'.repeat(10_000)}`);
  const child = spawn(process.execPath, [DRG_BIN, 'get', 'tokens', '-o', 'json'], {
    env: drgEnv(serve.configPath),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  // Read the first chunk, then stop reading: as `head -1` does.
  await new Promise<void>((resolve) =>
    child.stdout.once('data', () => {
      child.stdout.pause();
      resolve();
    }),
  );
  child.stdout.destroy();
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  assert.equal(stderr, '', 'nothing on stderr');
  assert.equal(code, 141, 'the status of a process ended by SIGPIPE, as other tools');
});

test('the launcher runs the CLI from its code cache, and without one, or with a broken one, all the same', async () => {
  const root = tempDir();
  cpSync(join(import.meta.dirname, '../../bin'), join(root, 'bin'), { recursive: true });
  cpSync(join(import.meta.dirname, '../../dist'), join(root, 'dist'), { recursive: true });
  symlinkSync(join(import.meta.dirname, '../../node_modules'), join(root, 'node_modules'));
  const cache = join(root, 'dist', 'cli.cjs.cache');
  const listContexts = () =>
    drg(serve.configPath, ['config', 'list', '-o', 'name'], { bin: join(root, 'bin', 'drg.cjs') });
  const expected = { code: 0, stdout: 'local\n', stderr: '' };
  assert.deepEqual(await listContexts(), expected, 'with the cache the build wrote');
  writeFileSync(cache, 'not a code cache');
  assert.deepEqual(await listContexts(), expected, 'with a broken cache');
  rmSync(cache);
  assert.deepEqual(await listContexts(), expected, 'without a cache');
});
