// `drg serve` start-up failures: one line on stderr, non-zero exit, no stack trace.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { drg, startServe, tempDir } from '../helpers/serve.js';

function serveArgs(dir: string, ...args: string[]): string[] {
  return ['serve', '--data-dir', join(dir, 'data'), '--mqtt-port', '0', '--mqtt-integration-port', '0', ...args];
}

test('a port in use: exit 1 with one line naming it', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const { port } = blocker.address() as { port: number };
  try {
    const dir = tempDir();
    const result = await drg(join(dir, 'config.yaml'), serveArgs(dir, '--port', String(port)));
    assert.equal(result.code, 1);
    assert.equal(result.stderr, `error: port ${port} on 127.0.0.1 is already in use; pick another with --port\n`);
    assert.equal(result.stdout, '');
  } finally {
    blocker.close();
  }
});

test('a data dir that cannot be created: exit 1 with one line naming it', async () => {
  const dir = tempDir();
  const file = join(dir, 'a-file');
  writeFileSync(file, 'not a directory');
  const dataDir = join(file, 'data');
  const result = await drg(join(dir, 'config.yaml'), [
    'serve',
    '--port',
    '0',
    '--data-dir',
    dataDir,
    '--mqtt-port',
    '0',
    '--mqtt-integration-port',
    '0',
  ]);
  assert.equal(result.code, 1);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.ok(lines[0].startsWith(`error: cannot use the data directory ${dataDir}: `), lines[0]);
});

test('a second drg serve on the same data directory: exit 1 at once with one line; the first keeps serving', async () => {
  const first = await startServe({ args: ['--no-login'] });
  try {
    const dir = tempDir();
    const configPath = join(dir, 'config.yaml');
    const result = await drg(configPath, [
      'serve',
      '--port',
      '0',
      '--data-dir',
      first.dataDir,
      '--mqtt-port',
      '0',
      '--mqtt-integration-port',
      '0',
    ]);
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      `error: the data directory ${first.dataDir} is in use by another drg serve; stop it, or give another --data-dir\n`,
    );
    assert.equal(result.stdout, '');
    assert.equal(existsSync(configPath), false, 'no context was written for it');
    assert.equal((await fetch(`${first.url}/.well-known/drogue-version`)).status, 200);
  } finally {
    assert.equal(await first.stop(), 0);
  }
});

test('invalid port flags: a one-line usage error', async () => {
  const dir = tempDir();
  for (const [flag, value] of [
    ['--port', '70000'],
    ['--port', 'http'],
    ['--port', '-1'],
    ['--port', '80.5'],
    ['--mqtt-port', '65536'],
  ]) {
    const result = await drg(join(dir, 'config.yaml'), [...serveArgs(dir), flag, value]);
    assert.equal(result.code, 2, `${flag} ${value}`);
    assert.equal(result.stderr, `error: ${flag} must be an integer from 0 to 65535, not "${value}"\n`);
  }
});
