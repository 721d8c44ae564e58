// Output rendering: formats, tables, ages, messages, and `-o` validation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exitCodeOf } from '../../src/cli/report.js';
import { UsageError } from '../../src/errors.js';
import type { Resource } from '../../src/model/resource.js';
import { colorsFor } from '../../src/output/colors.js';
import { argvDocumentFormat, type OutputFormat, parseOutputFormat } from '../../src/output/format.js';
import { memberMessage, resourceMessage, resourceOutcome } from '../../src/output/messages.js';
import { Printer } from '../../src/output/printer.js';
import { formatAge, printData, printResources, renderTable } from '../../src/output/render.js';
import { controlCharacters } from '../helpers/text.js';

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
  const d1 = app('d1', {}, current);
  d1.status = {
    firmware: {
      current: '1.0.0',
      target: '1.1.0',
      conditions: [
        { type: 'InSync', status: 'False' },
        { type: 'UpdateProgress', status: 'Unknown', message: '42' },
      ],
    },
  };
  await printResources([d1, app('d 2', {}, older)], 'wide', 'device', out.write);
  const rows = out
    .text()
    .trimEnd()
    .split('\n')
    .map((l) => l.split(/\s{2,}/));
  assert.deepEqual(rows[0], [
    'NAME',
    'AGE',
    'STATUS',
    'CREDENTIALS',
    'ALIASES',
    'GATEWAYS',
    'DISABLED',
    'FIRMWARE',
    'CURRENT',
    'TARGET',
    'LABELS',
  ]);
  assert.deepEqual(rows[1], [
    'd1',
    '1m',
    'Active',
    '3 (pass,user)',
    'a1,a2',
    'gw',
    'true',
    'Updating (42%)',
    '1.0.0',
    '1.1.0',
    '<none>',
  ]);
  assert.deepEqual(rows[2], [
    'd 2',
    '1m',
    'Active',
    '1 (psk)',
    '<none>',
    '<none>',
    'false',
    '<none>',
    '<none>',
    '<none>',
    '<none>',
  ]);
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

function printer(format: OutputFormat) {
  const out = capture();
  const err = capture();
  const stream = (c: ReturnType<typeof capture>) => ({ write: c.write, isTTY: false });
  return { out, err, printer: new Printer(stream(out), stream(err), format, { now: () => NOW, env: {} }) };
}

test('outcomes: -o json is one document (http_status only when given), yaml the same, name the resources', async () => {
  const json = printer('json');
  await json.printer.outcome({ message: 'done' });
  assert.deepEqual(JSON.parse(json.out.text()), { status: 'success', message: 'done' });
  const failed = printer('json');
  await failed.printer.document({ status: 'failure', message: 'exists', http_status: 409 });
  assert.deepEqual(JSON.parse(failed.out.text()), { status: 'failure', message: 'exists', http_status: 409 });
  const yaml = printer('yaml');
  await yaml.printer.outcome(resourceOutcome('device', 'd1', 'created'));
  const { parse } = await import('yaml');
  assert.deepEqual(parse(yaml.out.text()), { status: 'success', message: 'Device d1 created' });
  const name = printer('name');
  await name.printer.outcome(resourceOutcome('device', 'd1', 'created'));
  assert.equal(name.out.text(), 'device/d1\n');
  const human = printer('table');
  await human.printer.outcome({ message: 'Application x created' });
  assert.equal(human.out.text(), 'Application x created\n');
  assert.equal(human.err.text(), '');
});

test('an empty list says so on stderr in table formats, and is [] with -o json', async () => {
  const table = printer('table');
  await table.printer.resources([], 'device');
  assert.equal(table.out.text(), '');
  assert.equal(table.err.text(), 'No devices found.\n');
  const json = printer('json');
  await json.printer.resources([], 'device');
  assert.deepEqual(JSON.parse(json.out.text()), []);
});

test('--no-headers leaves out the header row', () => {
  assert.equal(
    renderTable(
      [
        ['NAME', 'AGE'],
        ['a', '1s'],
      ],
      { noHeaders: true },
    ),
    'a   1s\n',
  );
});

test('control characters in names never reach the terminal raw: tables, names and messages escape them', async () => {
  const evil = 'd\u001b]0;owned\u0007\u001b[2J\nfake   row\u202e';
  const table = capture();
  await printResources([app(evil)], 'table', 'device', table.write);
  assert.deepEqual(controlCharacters(table.text()), [], table.text());
  assert.equal(table.text().trimEnd().split('\n').length, 2, 'one header and one row: no forged row');
  assert.match(table.text(), /d\\x1b\]0;owned\\x07\\x1b\[2J\\x0afake {3}row\\u202e/);
  const names = capture();
  await printResources([app(evil)], 'name', 'device', names.write);
  assert.equal(names.text().split('\n').length, 2);
  const line = printer('table');
  line.printer.line(`Device ${evil} updated`);
  assert.ok(!line.out.text().includes('\u001b'));
  const json = capture();
  await printResources([app(evil)], 'json', 'device', json.write);
  assert.equal(JSON.parse(json.text())[0].metadata.name, evil, 'machine formats carry the name as it is');
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
      (err: unknown) => err instanceof UsageError && exitCodeOf(err) === 2,
    );
  }
});

test('argvDocumentFormat finds -o json|yaml in any position and spelling, not after --', () => {
  assert.equal(argvDocumentFormat(['-o', 'json', 'get', 'apps']), 'json');
  assert.equal(argvDocumentFormat(['get', 'apps', '--output', 'json']), 'json');
  assert.equal(argvDocumentFormat(['get', 'apps', '--output=json']), 'json');
  assert.equal(argvDocumentFormat(['get', 'apps', '-ojson']), 'json');
  assert.equal(argvDocumentFormat(['get', 'apps', '-o', 'yaml']), 'yaml');
  assert.equal(argvDocumentFormat(['get', 'apps', '-o', 'name']), undefined);
  assert.equal(argvDocumentFormat(['get', 'apps']), undefined);
  assert.equal(argvDocumentFormat(['cmd', '--', '-o', 'json']), undefined);
});

test('colours only on a TTY, without NO_COLOR, and never for machine formats', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };
  assert.notEqual(colorsFor(tty, {}).red('x'), 'x');
  assert.equal(colorsFor(pipe, {}).red('x'), 'x');
  for (const format of ['json', 'yaml', 'name'] as const) assert.equal(colorsFor(tty, {}, format).red('x'), 'x');
  assert.equal(colorsFor(tty, { NO_COLOR: '1' }).red('x'), 'x', 'NO_COLOR disables colours');
  assert.notEqual(colorsFor(tty, { NO_COLOR: '' }).red('x'), 'x', 'an empty NO_COLOR does not (no-color.org)');
});
