// Key and certificate files staged until the registry update succeeds: hidden temporary files, moved into place
// on commit (never over a file that appeared meanwhile, unless forced), removed on discard.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkOutputs, type OutputFile, stageOutputs } from '../../src/certs/output-files.js';
import { DrgError, UsageError } from '../../src/errors.js';
import { tempDir } from '../helpers/serve.js';

function files(dir: string): OutputFile[] {
  return [
    { path: join(dir, 'dev-cert.pem'), content: 'CERT\n', mode: 0o644, what: 'the certificate', flag: '--cert_output' },
    { path: join(dir, 'dev-key.pem'), content: 'KEY\n', mode: 0o600, what: 'the key', flag: '--key-output' },
  ];
}

test('staged files are hidden until commit, then in place with their modes', async () => {
  const dir = tempDir('drg-out-');
  const staged = await stageOutputs(files(dir), false, dir);
  const hidden = readdirSync(dir);
  assert.equal(hidden.length, 2);
  assert.ok(hidden.every((f) => f.startsWith('.') && f.endsWith('.tmp')));
  await staged.commit();
  assert.deepEqual(readdirSync(dir).sort(), ['dev-cert.pem', 'dev-key.pem']);
  assert.equal(readFileSync(join(dir, 'dev-key.pem'), 'utf8'), 'KEY\n');
  assert.equal(statSync(join(dir, 'dev-key.pem')).mode & 0o777, 0o600);
});

test('discard leaves nothing behind', async () => {
  const dir = tempDir('drg-out-');
  const staged = await stageOutputs(files(dir), false, dir);
  await staged.discard();
  assert.deepEqual(readdirSync(dir), []);
});

test('a target that appeared meanwhile is not overwritten; the error says where the content is', async () => {
  const dir = tempDir('drg-out-');
  const staged = await stageOutputs(files(dir), false, dir);
  writeFileSync(join(dir, 'dev-key.pem'), 'theirs\n');
  await assert.rejects(staged.commit(), (err: unknown) => {
    assert.ok(err instanceof DrgError);
    assert.match(
      err.message,
      /cannot write .*dev-key\.pem: it already exists; the key is in .*\.dev-key\.pem\.[0-9a-f]+\.tmp/,
    );
    const kept = /the key is in (\S+)$/.exec(err.message)?.[1] as string;
    assert.equal(readFileSync(kept, 'utf8'), 'KEY\n');
    return true;
  });
  assert.equal(readFileSync(join(dir, 'dev-key.pem'), 'utf8'), 'theirs\n');
  assert.equal(readFileSync(join(dir, 'dev-cert.pem'), 'utf8'), 'CERT\n');
});

test('with force, existing files are replaced', async () => {
  const dir = tempDir('drg-out-');
  writeFileSync(join(dir, 'dev-key.pem'), 'old\n');
  checkOutputs(files(dir), true, dir);
  const staged = await stageOutputs(files(dir), true, dir);
  await staged.commit();
  assert.equal(readFileSync(join(dir, 'dev-key.pem'), 'utf8'), 'KEY\n');
  assert.deepEqual(readdirSync(dir).sort(), ['dev-cert.pem', 'dev-key.pem']);
});

test('checkOutputs refuses existing files without force, and one path for two outputs', () => {
  const dir = tempDir('drg-out-');
  writeFileSync(join(dir, 'dev-cert.pem'), 'x');
  assert.throws(() => checkOutputs(files(dir), false, dir), UsageError);
  const [cert] = files(dir);
  assert.throws(() => checkOutputs([cert, { ...cert, flag: '--key-output' }], true, dir), /given for two outputs/);
});

test('a missing directory fails at staging, before anything is sent', async () => {
  const dir = join(tempDir('drg-out-'), 'missing');
  await assert.rejects(stageOutputs(files(dir), false, dir), /cannot write .*dev-cert\.pem: no such directory/);
});
