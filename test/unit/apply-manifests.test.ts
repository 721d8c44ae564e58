import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { parseManifest, readManifestSources } from '../../src/resources/manifests.js';
import { tempDir } from '../helpers/serve.js';

const yaml = (text: string, name = 'm.yaml') => parseManifest({ name, text, format: 'yaml' });
const json = (text: string, name = 'm.json') => parseManifest({ name, text, format: 'json' });

test('YAML: one resource per document, each with its line; empty documents skipped', () => {
  const docs = yaml('metadata:\n  name: a\n---\n---\n# only a comment\n---\nmetadata:\n  name: b\nspec: {x: 1}\n');
  assert.deepEqual(docs, [
    { value: { metadata: { name: 'a' } }, location: 'm.yaml:1' },
    { value: { metadata: { name: 'b' }, spec: { x: 1 } }, location: 'm.yaml:7' },
  ]);
});

test('YAML lists and kind: List contribute their items, located by line', () => {
  const docs = yaml('- metadata: {name: a}\n- metadata: {name: b}\n---\nkind: List\nitems:\n  - metadata: {name: c}\n');
  assert.deepEqual(
    docs.map((d) => [(d.value as { metadata: { name: string } }).metadata.name, d.location]),
    [
      ['a', 'm.yaml:1'],
      ['b', 'm.yaml:2'],
      ['c', 'm.yaml:6'],
    ],
  );
});

test('JSON: an object, an array, or a List', () => {
  assert.deepEqual(json('{"metadata":{"name":"a"}}'), [{ value: { metadata: { name: 'a' } }, location: 'm.json' }]);
  assert.deepEqual(
    json('[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}]').map((d) => d.location),
    ['m.json (item 1)', 'm.json (item 2)'],
  );
  assert.equal(json('{"kind":"List","items":[{"metadata":{"name":"a"}}]}').length, 1);
});

test('syntax errors name the file and the line', () => {
  assert.throws(
    () => yaml('metadata:\n  name: a\n---\nmetadata: [unclosed\n  x: 1\n', 'bad.yaml'),
    (err: Error) => err instanceof UsageError && /^bad\.yaml:\d+:\d+: invalid YAML/.test(err.message),
  );
  assert.throws(
    () => json('{\n  "metadata": {\n    "name": "a",\n  }\n  "spec": tru\n}', 'bad.json'),
    (err: Error) => err instanceof UsageError && /^bad\.json:5:\d+: invalid JSON/.test(err.message),
  );
  assert.throws(
    () => yaml('a: 1\na: 2\n', 'dup.yaml'),
    (err: Error) => err instanceof UsageError && /^dup\.yaml:2:\d+: invalid YAML/.test(err.message),
  );
});

test('sources: files, directories (sorted, manifests only, not hidden) and stdin', async () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'b.yml'), 'x: 1');
  writeFileSync(join(dir, 'a.json'), '{}');
  writeFileSync(join(dir, 'c.YAML'), 'y: 2');
  writeFileSync(join(dir, 'notes.txt'), 'no');
  writeFileSync(join(dir, '.hidden.yaml'), 'no');
  writeFileSync(join(dir, 'sub', 'd.yaml'), 'no');
  const single = join(dir, 'notes.txt');
  const sources = await readManifestSources([dir, single, '-'], { cwd: dir, readStdin: async () => 'from: stdin' });
  assert.deepEqual(
    sources.map((s) => [s.name, s.format]),
    [
      [join(dir, 'a.json'), 'json'],
      [join(dir, 'b.yml'), 'yaml'],
      [join(dir, 'c.YAML'), 'yaml'],
      [single, 'yaml'],
      ['<stdin>', 'yaml'],
    ],
  );
  assert.equal(sources[4].text, 'from: stdin');
});

test('a missing file or an empty directory is a usage error', async () => {
  const dir = tempDir();
  await assert.rejects(
    readManifestSources([join(dir, 'none.yaml')], { cwd: dir, readStdin: async () => '' }),
    /cannot read .*none\.yaml/,
  );
  await assert.rejects(
    readManifestSources([dir], { cwd: dir, readStdin: async () => '' }),
    /contains no \.json, \.yaml or \.yml files/,
  );
});
