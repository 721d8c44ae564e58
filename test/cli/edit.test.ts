// `drg edit` against a real drg serve, with $EDITOR/$VISUAL set to a small node script (no TTY needed).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { before, test } from 'node:test';
import { contextApi } from '../helpers/context-api.js';
import { runDrg as drg, localServerDuringTests } from '../helpers/drg.js';
import { DRG_BIN, tempDir } from '../helpers/serve.js';

const serve = localServerDuringTests();
const api = contextApi(serve);
let editor: string;

/**
 * The editor: `node editor.mjs --log LOGFILE FILE`. It records the file's path, mode and text to LOGFILE,
 * then runs EDIT_JS, a function body given `doc` (the parsed YAML), `raw` (the text) and `drg(...args)`;
 * what it returns is written back (a string as is, anything else as YAML; undefined leaves the file alone).
 */
const EDITOR_SCRIPT = `
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const YAML = createRequire(${JSON.stringify(resolve('package.json'))})('yaml');
const [, , flag, log, file] = process.argv;
if (flag !== '--log') process.exit(3);
const raw = readFileSync(file, 'utf8');
writeFileSync(log, JSON.stringify({ file, mode: statSync(file).mode & 0o777, raw }));
const drg = (...args) => execFileSync(process.execPath, [${JSON.stringify(DRG_BIN)}, ...args], { stdio: 'ignore' });
const result = new Function('doc', 'raw', 'drg', process.env.EDIT_JS)(YAML.parse(raw), raw, drg);
if (result !== undefined) writeFileSync(file, typeof result === 'string' ? result : YAML.stringify(result));
if (process.env.EDIT_EXIT) process.exit(Number(process.env.EDIT_EXIT));
`;

before(() => {
  const dir = tempDir('drg-editor-');
  editor = join(dir, 'editor.mjs');
  writeFileSync(editor, EDITOR_SCRIPT);
});

interface EditorLog {
  file: string;
  mode: number;
  raw: string;
}

/** Removes the temp files drg kept for the user. */
function removeKept(...logs: (EditorLog | undefined)[]): void {
  for (const log of logs) if (log) rmSync(dirname(log.file), { recursive: true, force: true });
}

async function edit(args: string[], js: string, extraEnv: Record<string, string> = {}) {
  const log = join(tempDir(), 'log.json');
  const res = await drg(serve.configPath, ['edit', ...args], {
    env: { EDITOR: `"${process.execPath}" "${editor}" --log "${log}"`, EDIT_JS: js, ...extraEnv },
  });
  const seen: EditorLog | undefined = existsSync(log) ? JSON.parse(readFileSync(log, 'utf8')) : undefined;
  return { ...res, seen };
}

test('a change made in the editor is saved; the temp file is private and removed afterwards', async () => {
  await api.createApp({ metadata: { name: 'edit-app' }, spec: { a: 1 } });
  const res = await edit(['app', 'edit-app'], 'doc.spec.b = 2; doc.metadata.labels = { edited: "yes" }; return doc;');
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stdout, 'Application edit-app updated\n');
  assert.equal(res.seen?.mode, 0o600);
  assert.match(res.seen?.raw ?? '', /^# /, 'explains itself in comments');
  assert.ok(!existsSync(res.seen!.file), 'the temp file is removed after a successful edit');
  const app = await api.getApp('edit-app');
  assert.deepEqual(app?.spec, { a: 1, b: 2 });
  assert.deepEqual(app?.metadata.labels, { edited: 'yes' });
});

test('a device is edited in its application; $VISUAL wins over $EDITOR', async () => {
  await api.createApp({ metadata: { name: 'edit-dev-app' } });
  await api.createDevice('edit-dev-app', { metadata: { name: 'dev 1', application: 'edit-dev-app' } });
  const log = join(tempDir(), 'log.json');
  const res = await drg(serve.configPath, ['edit', 'device', 'dev 1', '--app', 'edit-dev-app'], {
    env: {
      VISUAL: `"${process.execPath}" "${editor}" --log "${log}"`,
      EDITOR: 'false',
      EDIT_JS: 'doc.spec = { alias: ["d1"] }; return doc;',
    },
  });
  assert.equal(res.code, 0, res.stderr);
  assert.deepEqual((await api.getDevice('edit-dev-app', 'dev 1'))?.spec, { alias: ['d1'] });
});

test('no change cancels: nothing is written', async () => {
  await api.createApp({ metadata: { name: 'edit-same' }, spec: { a: 1 } });
  const before = await api.getApp('edit-same');
  const res = await edit(['app', 'edit-same'], 'return undefined;');
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stdout, 'Edit cancelled, no changes made.\n');
  assert.ok(!existsSync(res.seen!.file));
  assert.equal((await api.getApp('edit-same'))?.metadata.resourceVersion, before?.metadata.resourceVersion);
  const reordered = await edit(['app', 'edit-same'], 'return { spec: doc.spec, metadata: doc.metadata };');
  assert.equal(reordered.stdout, 'Edit cancelled, no changes made.\n');
});

test('invalid YAML or an invalid resource is an error; the file is kept and its path printed', async () => {
  await api.createApp({ metadata: { name: 'edit-bad' }, spec: { a: 1 } });
  const before = await api.getApp('edit-bad');
  const broken = 'metadata:\n  name: edit-bad\nspec: [unclosed\n';
  const res = await edit(['app', 'edit-bad'], `return ${JSON.stringify(broken)};`);
  assert.equal(res.code, 1);
  assert.match(res.stderr, /invalid YAML at line \d+/);
  assert.ok(res.stderr.includes(res.seen!.file), 'the path is printed');
  assert.equal(readFileSync(res.seen!.file, 'utf8'), broken, 'the edit is kept');
  const renamed = await edit(['app', 'edit-bad'], 'doc.metadata.name = "other"; return doc;');
  assert.equal(renamed.code, 1);
  assert.match(renamed.stderr, /metadata\.name cannot be changed/);
  assert.ok(existsSync(renamed.seen!.file));
  assert.equal((await api.getApp('edit-bad'))?.metadata.resourceVersion, before?.metadata.resourceVersion);
  removeKept(res.seen, renamed.seen);
});

test('a change made by someone else while the editor is open is a conflict; the edit is kept', async () => {
  await api.createApp({ metadata: { name: 'edit-race' }, spec: { a: 1 } });
  const res = await edit(
    ['app', 'edit-race'],
    'drg("label", "app", "edit-race", "other=change"); doc.spec.mine = true; return doc;',
  );
  assert.equal(res.code, 1);
  assert.match(
    res.stderr,
    /application 'edit-race' was changed by someone else since you started editing; your version is saved in .*; re-run `drg edit app edit-race` and re-apply your change/,
  );
  assert.ok(res.stderr.includes(res.seen!.file));
  assert.match(readFileSync(res.seen!.file, 'utf8'), /mine: true/);
  const app = await api.getApp('edit-race');
  assert.deepEqual(app?.metadata.labels, { other: 'change' });
  assert.deepEqual(app?.spec, { a: 1 });

  const json = await edit(
    ['app', 'edit-race', '-o', 'json'],
    'drg("label", "app", "edit-race", "n=2"); doc.spec.x = 1; return doc;',
  );
  assert.equal(json.code, 1);
  assert.equal(JSON.parse(json.stdout).http_status, 409);
  removeKept(res.seen, json.seen);
});

test('an editor that fails changes nothing', async () => {
  await api.createApp({ metadata: { name: 'edit-fail' }, spec: { a: 1 } });
  const res = await edit(['app', 'edit-fail'], 'doc.spec.a = 2; return doc;', { EDIT_EXIT: '1' });
  assert.equal(res.code, 2, 'cancelled, as gh exits');
  assert.match(res.stderr, /exited with status 1; edit cancelled/);
  assert.deepEqual((await api.getApp('edit-fail'))?.spec, { a: 1 });
});

test('drg 0.11 forms: edit app ID -s JSON, edit device --filename FILE', async () => {
  await api.createApp({ metadata: { name: 'edit-flags', labels: { k: 'v' } }, spec: { old: true } });
  const spec = await drg(serve.configPath, ['edit', 'app', 'edit-flags', '-s', '{"new":1}']);
  assert.equal(spec.code, 0, spec.stderr);
  const app = await api.getApp('edit-flags');
  assert.deepEqual(app?.spec, { new: 1 });
  assert.deepEqual(app?.metadata.labels, { k: 'v' });
  const bad = await drg(serve.configPath, ['edit', 'app', 'edit-flags', '--spec', '[1]']);
  assert.equal(bad.code, 2);

  await api.createDevice('edit-flags', { metadata: { name: 'fd', application: 'edit-flags' } });
  const file = join(tempDir(), 'device.yaml');
  writeFileSync(file, 'metadata:\n  name: fd\n  application: edit-flags\nspec:\n  alias: [fd-alias]\n');
  const fromFile = await drg(serve.configPath, ['edit', 'device', '--filename', file]);
  assert.equal(fromFile.code, 0, fromFile.stderr);
  assert.deepEqual((await api.getDevice('edit-flags', 'fd'))?.spec, { alias: ['fd-alias'] });
  const missing = await drg(serve.configPath, ['edit', 'app', '-f', file]);
  assert.equal(missing.code, 2, 'a device file is not an application');
});
