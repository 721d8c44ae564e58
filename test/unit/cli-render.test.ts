// Output rendering: formats, tables, ages, messages, and `-o` validation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Resource } from '../../src/model/resource.js';
import { colorsFor } from '../../src/output/colors.js';
import { UsageError } from '../../src/output/errors.js';
import { argvWantsJson, parseOutputFormat } from '../../src/output/format.js';
import { memberMessage, resourceMessage } from '../../src/output/messages.js';
import { formatAge, printData, printMessage, printResources, renderTable } from '../../src/output/render.js';

const NOW = Date.parse('2026-01-10T12:00:00Z');
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

function capture(): { write: (t: string) => void; text: () => string } {
  let out = '';
  return { write: (t) => (out += t), text: () => out };
}

const app = (name: string, extra: Partial<Resource['metadata']> = {}, spec?: Resource['spec']): Resource => ({
  metadata: { name, creationTimestamp: ago(90_000), ...extra },
  ...(spec ? { spec } : {}),
});

test('formatAge follows kubectl: seconds, minutes, hours, days, years', () => {
  const at = (seconds: number) => formatAge(new Date(NOW - seconds * 1000).toISOString(), NOW);
  assert.equal(at(0), '0s');
  assert.equal(at(59), '59s');
  assert.equal(at(60), '1m');
  assert.equal(at(3599), '59m');
  assert.equal(at(3600 * 2), '2h');
  assert.equal(at(86400 * 4 + 5), '4d');
  assert.equal(at(86400 * 365 * 2), '2y');
  assert.equal(formatAge(undefined, NOW), '<unknown>');
  assert.equal(formatAge('not a date', NOW), '<unknown>');
  assert.equal(formatAge(new Date(NOW + 60_000).toISOString(), NOW), '<invalid>');
});

test('renderTable pads columns to the widest cell (counting characters, not bytes)', () => {
  assert.equal(
    renderTable([
      ['NAME', 'AGE'],
      ['ü-very-long', '1s'],
      ['a', '10d'],
    ]),
    'NAME          AGE\nü-very-long   1s\na             10d\n',
  );
});

test('the default table has NAME and AGE; one row per resource', async () => {
  const out = capture();
  await printResources([app('one'), app('two-longer')], 'table', 'application', out.write);
  assert.deepEqual(
    out
      .text()
      .split('\n')
      .map((l) => l.split(/\s+/)),
    [['NAME', 'AGE'], ['one', '1m'], ['two-longer', '1m'], ['']],
  );
});

test('-o wide shows labels and trust anchors for apps', async () => {
  const out = capture();
  const anchors = { trustAnchors: { anchors: [{ certificate: 'x' }, { certificate: 'y' }] } };
  await printResources(
    [app('a', { labels: { env: 'prod', tier: 'x' } }, anchors), app('b', { deletionTimestamp: ago(1) })],
    'wide',
    'application',
    out.write,
  );
  const [header, a, b] = out
    .text()
    .trimEnd()
    .split('\n')
    .map((l) => l.split(/\s{2,}/));
  assert.deepEqual(header, ['NAME', 'AGE', 'STATUS', 'TRUST-ANCHORS', 'LABELS']);
  assert.deepEqual(a, ['a', '1m', 'Active', '2', 'env=prod,tier=x']);
  assert.deepEqual(b, ['b', '1m', 'Deleting', '0', '<none>']);
});

test('-o wide shows credentials (both sections), aliases, gateways and disabled for devices', async () => {
  const out = capture();
  const current = {
    authentication: { credentials: [{ pass: 'x' }, { user: { username: 'u', password: 'p' } }, { pass: 'y' }] },
    alias: ['a1', 'a2'],
    gatewaySelector: { matchNames: ['gw'] },
    core: { disabled: true },
  };
  const older = { credentials: { credentials: [{ psk: { key: 'AA==' } }] } };
  await printResources([app('d1', {}, current), app('d 2', {}, older)], 'wide', 'device', out.write);
  const rows = out
    .text()
    .trimEnd()
    .split('\n')
    .map((l) => l.split(/\s{2,}/));
  assert.deepEqual(rows[0], ['NAME', 'AGE', 'STATUS', 'CREDENTIALS', 'ALIASES', 'GATEWAYS', 'DISABLED', 'LABELS']);
  assert.deepEqual(rows[1], ['d1', '1m', 'Active', '3 (pass,user)', 'a1,a2', 'gw', 'true', '<none>']);
  assert.deepEqual(rows[2], ['d 2', '1m', 'Active', '1 (psk)', '<none>', '<none>', 'false', '<none>']);
  assert.ok(!out.text().includes('AA=='), 'no credential secrets in the table');
});

test('-o json: a list is an array, a single resource an object, one parseable document', async () => {
  const list = capture();
  await printResources([app('a'), app('b')], 'json', 'application', list.write);
  const parsed = JSON.parse(list.text());
  assert.ok(Array.isArray(parsed));
  assert.deepEqual(
    parsed.map((r: Resource) => r.metadata.name),
    ['a', 'b'],
  );
  const one = capture();
  await printResources(app('a'), 'json', 'application', one.write);
  assert.equal(JSON.parse(one.text()).metadata.name, 'a');
  const empty = capture();
  await printResources([], 'json', 'device', empty.write);
  assert.deepEqual(JSON.parse(empty.text()), []);
});

test('-o yaml and -o name', async () => {
  const yaml = capture();
  await printResources(app('a', { labels: { k: 'v' } }), 'yaml', 'application', yaml.write);
  const { parse } = await import('yaml');
  assert.deepEqual(parse(yaml.text()).metadata.labels, { k: 'v' });
  const names = capture();
  await printResources([app('a'), app('d/1 ü')], 'name', 'device', names.write);
  assert.equal(names.text(), 'device/a\ndevice/d/1 ü\n');
  const appName = capture();
  await printResources(app('x'), 'name', 'application', appName.write);
  assert.equal(appName.text(), 'application/x\n');
});

test('printData prints JSON for -o json and YAML otherwise', async () => {
  const json = capture();
  await printData({ a: 1 }, 'json', json.write);
  assert.deepEqual(JSON.parse(json.text()), { a: 1 });
  const yaml = capture();
  await printData({ a: 1 }, 'table', yaml.write);
  assert.equal(yaml.text(), 'a: 1\n');
});

test('printMessage: -o json is one document with http_status only when given; human is one line', () => {
  const ok = capture();
  printMessage('json', { status: 'success', message: 'done' }, ok.write);
  assert.deepEqual(JSON.parse(ok.text()), { status: 'success', message: 'done' });
  const failed = capture();
  printMessage('json', { status: 'failure', message: 'exists', httpStatus: 409 }, failed.write);
  assert.deepEqual(JSON.parse(failed.text()), { status: 'failure', message: 'exists', http_status: 409 });
  const human = capture();
  printMessage('table', { status: 'success', message: 'Application x created' }, human.write);
  assert.equal(human.text(), 'Application x created\n');
});

test('success messages: kind, unquoted name, outcome (drg 0.11 style)', () => {
  assert.equal(resourceMessage('application', 'a1', 'created'), 'Application a1 created');
  assert.equal(resourceMessage('device', 'd/1 ü', 'updated'), 'Device d/1 ü updated');
  assert.equal(resourceMessage('device', 'd1', 'missing'), 'Device d1 does not exist, ignoring');
  assert.equal(
    memberMessage('bob', 'a1', { outcome: 'updated', role: 'admin', was: 'reader' }),
    'Member bob of application a1 updated: role admin (was reader)',
  );
  assert.equal(memberMessage('bob', 'a1', { outcome: 'removed' }), 'Member bob removed from application a1');
});

test('parseOutputFormat accepts the known formats, defaults to table, rejects the rest', () => {
  assert.equal(parseOutputFormat(undefined), 'table');
  for (const f of ['table', 'wide', 'json', 'yaml', 'name']) assert.equal(parseOutputFormat(f), f);
  for (const bad of ['xml', 'JSON', '', 'jsonpath']) {
    assert.throws(
      () => parseOutputFormat(bad),
      (err: unknown) => err instanceof UsageError && err.exitCode === 2,
    );
  }
});

test('argvWantsJson finds -o json in any position and spelling, not after --', () => {
  assert.ok(argvWantsJson(['-o', 'json', 'get', 'apps']));
  assert.ok(argvWantsJson(['get', 'apps', '--output', 'json']));
  assert.ok(argvWantsJson(['get', 'apps', '--output=json']));
  assert.ok(argvWantsJson(['get', 'apps', '-ojson']));
  assert.ok(!argvWantsJson(['get', 'apps', '-o', 'yaml']));
  assert.ok(!argvWantsJson(['get', 'apps']));
  assert.ok(!argvWantsJson(['cmd', '--', '-o', 'json']));
});

test('colours only on a TTY, without NO_COLOR, and never for machine formats', () => {
  const tty = { isTTY: true } as NodeJS.WriteStream;
  const pipe = { isTTY: false } as NodeJS.WriteStream;
  const saved = process.env.NO_COLOR;
  delete process.env.NO_COLOR;
  try {
    assert.notEqual(colorsFor(tty).red('x'), 'x');
    assert.equal(colorsFor(pipe).red('x'), 'x');
    for (const format of ['json', 'yaml', 'name'] as const) assert.equal(colorsFor(tty, format).red('x'), 'x');
    process.env.NO_COLOR = '1';
    assert.equal(colorsFor(tty).red('x'), 'x', 'NO_COLOR disables colours');
    process.env.NO_COLOR = '';
    assert.notEqual(colorsFor(tty).red('x'), 'x', 'an empty NO_COLOR does not (no-color.org)');
  } finally {
    if (saved === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = saved;
  }
});
