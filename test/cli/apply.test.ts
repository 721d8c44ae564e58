// `drg apply` against a real drg serve: create, update, unchanged; directories and stdin; nothing
// changes when any file is malformed; conflicts are reported, not overwritten.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { contextApi } from '../helpers/context-api.js';
import { runDrg as drg, localServerDuringTests } from '../helpers/drg.js';
import { tempDir } from '../helpers/serve.js';

const serve = localServerDuringTests();
const api = contextApi(serve);

const run = (args: string[], opts: { input?: string } = {}) => drg(serve.configPath, args, opts);

test('apply creates, then updates, then leaves unchanged (YAML, several documents)', async () => {
  const dir = tempDir();
  const file = join(dir, 'resources.yaml');
  const manifest = (labels: string, spec: string) => `
metadata:
  name: apply-app
  labels: {${labels}}
---
# a device in that app
metadata:
  name: sensor-1
  application: apply-app
spec: ${spec}
`;
  writeFileSync(file, manifest('team: a', '{core: {disabled: false}}'));
  const first = await run(['apply', '-f', file]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout, 'Application apply-app created\nDevice sensor-1 created\n');
  const app = await api.getApp('apply-app');
  assert.deepEqual(app?.metadata.labels, { team: 'a' });
  assert.deepEqual((await api.getDevice('apply-app', 'sensor-1'))?.spec, { core: { disabled: false } });

  writeFileSync(file, manifest('team: b', '{core: {disabled: true}}'));
  const second = await run(['apply', '--filename', file]);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.stdout, 'Application apply-app updated\nDevice sensor-1 updated\n');
  const device = await api.getDevice('apply-app', 'sensor-1');
  assert.deepEqual(device?.spec, { core: { disabled: true } });
  assert.equal(device?.metadata.generation, 1);
  const appAfter = await api.getApp('apply-app');
  assert.deepEqual(appAfter?.metadata.labels, { team: 'b' });
  assert.equal(appAfter?.metadata.uid, app?.metadata.uid, 'updated in place, not re-created');

  const third = await run(['apply', '-f', file, '-o', 'json']);
  assert.equal(third.code, 0, third.stderr);
  assert.deepEqual(JSON.parse(third.stdout), {
    status: 'success',
    message: '2 resources applied: 2 unchanged',
    results: [
      { kind: 'application', name: 'apply-app', outcome: 'unchanged', message: 'Application apply-app unchanged' },
      {
        kind: 'device',
        name: 'sensor-1',
        application: 'apply-app',
        outcome: 'unchanged',
        message: 'Device sensor-1 unchanged',
      },
    ],
  });
  assert.equal(
    (await api.getDevice('apply-app', 'sensor-1'))?.metadata.resourceVersion,
    device?.metadata.resourceVersion,
  );
});

test('sections the manifest leaves out stay as they are', async () => {
  await api.createApp({ metadata: { name: 'keep-app', labels: { owner: 'ops' } }, spec: { keep: true } });
  const file = join(tempDir(), 'app.json');
  writeFileSync(file, JSON.stringify({ metadata: { name: 'keep-app', annotations: { note: 'hi' } } }));
  const res = await run(['apply', '-f', file]);
  assert.equal(res.code, 0, res.stderr);
  const app = await api.getApp('keep-app');
  assert.deepEqual(app?.metadata.labels, { owner: 'ops' });
  assert.deepEqual(app?.metadata.annotations, { note: 'hi' });
  assert.deepEqual(app?.spec, { keep: true });
});

test('a directory (sorted, apps first) and stdin; devices without an application use --app', async () => {
  const dir = tempDir();
  writeFileSync(
    join(dir, '10-devices.yaml'),
    'kind: Device\nmetadata:\n  name: dev-a\n---\nkind: Device\nmetadata:\n  name: dev-b\n',
  );
  writeFileSync(join(dir, '20-app.json'), JSON.stringify({ metadata: { name: 'dir-app' } }));
  writeFileSync(join(dir, 'README.md'), 'not a manifest');
  const res = await run(['apply', '-f', dir, '--app', 'dir-app']);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stdout, 'Application dir-app created\nDevice dev-a created\nDevice dev-b created\n');

  const stdin = JSON.stringify([
    { metadata: { name: 'dev-a', application: 'dir-app', labels: { from: 'stdin' } } },
    { metadata: { name: 'dev-c', application: 'dir-app' } },
  ]);
  const piped = await run(['apply', '-f', '-'], { input: stdin });
  assert.equal(piped.code, 0, piped.stderr);
  assert.equal(piped.stdout, 'Device dev-a updated\nDevice dev-c created\n');
  assert.deepEqual((await api.getDevice('dir-app', 'dev-a'))?.metadata.labels, { from: 'stdin' });
});

test('a malformed file anywhere changes nothing, and names the file and line', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'a-good.yaml'), 'metadata:\n  name: never-created\n');
  writeFileSync(join(dir, 'b-bad.yaml'), 'metadata:\n  name: x\n  labels: [unclosed\n');
  const res = await run(['apply', '-f', dir]);
  assert.equal(res.code, 2);
  assert.match(res.stderr, /b-bad\.yaml:\d+:\d+: invalid YAML/);
  assert.equal(res.stdout, '');
  assert.equal(await api.getApp('never-created'), undefined);

  writeFileSync(join(dir, 'b-bad.yaml'), 'metadata:\n  name: Not_Valid\n---\nmetadata:\n  name: ok\n  colour: red\n');
  const invalid = await run(['apply', '-f', dir, '-o', 'json']);
  assert.equal(invalid.code, 2);
  const doc = JSON.parse(invalid.stdout);
  assert.equal(doc.status, 'failure');
  assert.match(doc.message, /b-bad\.yaml:1: application name "Not_Valid" is invalid/);
  assert.match(doc.message, /b-bad\.yaml:4: unknown field "metadata\.colour"/);
  assert.equal(await api.getApp('never-created'), undefined);
});

test('a manifest with a stale resourceVersion conflicts (409) instead of overwriting', async () => {
  await api.createApp({ metadata: { name: 'stale-app' }, spec: { v: 1 } });
  const read = await api.getApp('stale-app');
  const put = await api.request('PUT', '/api/registry/v1alpha1/apps/stale-app', { ...read, spec: { v: 2 } });
  assert.equal(put.status, 204);
  const file = join(tempDir(), 'stale.json');
  writeFileSync(file, JSON.stringify({ ...read, spec: { v: 3 } }));
  const res = await run(['apply', '-f', file, '-o', 'json']);
  assert.equal(res.code, 1);
  const doc = JSON.parse(res.stdout);
  assert.equal(doc.status, 'failure');
  assert.equal(doc.http_status, 409);
  assert.match(doc.message, /Application stale-app: .*changed by someone else/);
  assert.deepEqual((await api.getApp('stale-app'))?.spec, { v: 2 });

  const forced = await run(['apply', '-f', file, '--ignore-resource-version']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.deepEqual((await api.getApp('stale-app'))?.spec, { v: 3 });
});

test('one failing resource does not stop the others; the run exits 1', async () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'm'));
  writeFileSync(
    join(dir, 'm', 'all.yaml'),
    'metadata: {name: orphan, application: no-such-app}\n---\nmetadata: {name: partial-app}\n',
  );
  const res = await run(['apply', '-f', join(dir, 'm')]);
  assert.equal(res.code, 1);
  assert.equal(res.stdout, 'Application partial-app created\n');
  assert.match(res.stderr, /Device orphan: application no-such-app does not exist/);
  assert.match(res.stderr, /1 of 2 resources could not be applied/);
  assert.ok(await api.getApp('partial-app'));

  // On a colour terminal the label is red, not a colour code escaped into visible text.
  const tty = await drg(serve.configPath, ['apply', '-f', join(dir, 'm')], { tty: true, env: { NO_COLOR: '' } });
  assert.ok(tty.stderr.startsWith('\u001b[31merror:\u001b[39m Device orphan: '), tty.stderr);
  assert.ok(!tty.stderr.includes('\\x1b'), tty.stderr);
});
