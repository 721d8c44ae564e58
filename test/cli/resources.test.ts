// create/get/delete for apps and devices against a real drg serve, in the spellings drg 0.11 scripts use.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Resource } from '../../src/model/resource.js';
import { contextApi } from '../helpers/context-api.js';
import { runDrg as drg, localServerDuringTests } from '../helpers/drg.js';
import { configFor, ok, type RunResult, tempDir, unreachableConfig } from '../helpers/serve.js';
import { peer } from '../helpers/transport.js';

const serve = localServerDuringTests();
const api = contextApi(serve);

const run = (args: string[], opts: { input?: string; env?: Record<string, string> } = {}) =>
  drg(serve.configPath, args, opts);

type Doc = Resource & { status?: string; message?: string; http_status?: number };

/** `-o json` output: exactly one JSON document on stdout, nothing on stderr. */
function jsonDoc<T = Doc>(r: RunResult): T {
  assert.equal(r.stderr, '', 'nothing on stderr with -o json');
  assert.ok(!r.stdout.includes('\u001b['), 'no colour codes');
  return JSON.parse(r.stdout);
}

test('create app, get it as a table, as one object and in a list; global options before or after', async () => {
  const created = ok(await run(['create', 'app', 'alpha']));
  assert.equal(created.stdout, 'Application alpha created\n');
  assert.ok(await api.getApp('alpha'), 'the app exists on the server');

  const table = ok(await run(['get', 'apps']));
  const lines = table.stdout.trimEnd().split('\n');
  assert.match(lines[0], /^NAME\s+AGE$/);
  assert.ok(
    lines.some((l) => /^alpha\s+\d+[smhdy]$/.test(l)),
    table.stdout,
  );

  for (const args of [
    ['-o', 'json', 'get', 'apps', 'alpha'],
    ['get', 'apps', 'alpha', '-o', 'json'],
    ['get', 'application', 'alpha', '--output', 'json'],
    ['get', 'app', 'alpha', '-o', 'json'],
  ]) {
    const one = jsonDoc(ok(await run(args)));
    assert.ok(!Array.isArray(one), `${args.join(' ')}: one object`);
    assert.equal(one.metadata.name, 'alpha');
    assert.match(one.metadata.uid ?? '', /^[0-9a-f-]{36}$/);
  }
  for (const args of [
    ['-o', 'json', 'get', 'apps'],
    ['get', 'applications', '-o', 'json'],
  ]) {
    const list = jsonDoc<Resource[]>(ok(await run(args)));
    assert.ok(Array.isArray(list));
    assert.ok(list.some((a) => a.metadata.name === 'alpha'));
  }
});

test('add (alias of create) with --spec (and --data), --labels; -o name; -o yaml', async () => {
  assert.equal(
    ok(await run(['add', 'application', 'beta', '--spec', '{"x":{"y":1}}', '--labels', 'env=prod,tier=web'])).stdout,
    'Application beta created\n',
  );
  ok(await run(['create', 'app', 'gamma', '--data', '{"z":true}', '-l', 'env=dev']));
  const beta = await api.getApp('beta');
  assert.deepEqual(beta?.spec, { x: { y: 1 } });
  assert.deepEqual(beta?.metadata.labels, { env: 'prod', tier: 'web' });
  assert.deepEqual((await api.getApp('gamma'))?.spec, { z: true });

  assert.equal(ok(await run(['get', 'apps', 'beta', '-o', 'name'])).stdout, 'application/beta\n');
  const { parse } = await import('yaml');
  assert.deepEqual(parse(ok(await run(['get', 'apps', 'beta', '-o', 'yaml'])).stdout).metadata.labels, {
    env: 'prod',
    tier: 'web',
  });
  const wide = ok(await run(['get', 'apps', 'beta', '-o', 'wide'])).stdout;
  assert.match(wide.split('\n')[0], /^NAME\s+AGE\s+STATUS\s+TRUST-ANCHORS\s+LABELS$/);
  assert.match(wide.split('\n')[1], /^beta\s+\S+\s+Active\s+0\s+env=prod,tier=web$/);
});

test('get -l filters by label selector (repeatable, ANDed)', async () => {
  ok(await run(['create', 'app', 'sel-a', '-l', 'team=x,env=prod']));
  ok(await run(['create', 'app', 'sel-b', '-l', 'team=x,env=dev']));
  ok(await run(['create', 'app', 'sel-c', '-l', 'team=y']));
  const names = async (...sel: string[]) =>
    ok(await run(['get', 'apps', '-o', 'name', ...sel.flatMap((s) => ['-l', s])]))
      .stdout.trim()
      .split('\n');
  assert.deepEqual(await names('team=x'), ['application/sel-a', 'application/sel-b']);
  assert.deepEqual(await names('team=x', 'env!=dev'), ['application/sel-a']);
  assert.deepEqual(await names('team in (x,y),!env'), ['application/sel-c']);
  assert.deepEqual(
    jsonDoc(ok(await run(['get', 'apps', '--labels', 'team=nobody', '-o', 'json']))),
    [],
    'an empty list is []',
  );
});

test('create app from --filename (JSON and YAML), the name taken from the file; server fields dropped', async () => {
  const dir = tempDir();
  const jsonFile = join(dir, 'app.json');
  writeFileSync(
    jsonFile,
    JSON.stringify({ metadata: { name: 'from-json', uid: 'not-a-uid', resourceVersion: 'x' }, spec: { a: 1 } }),
  );
  ok(await run(['create', 'app', '--filename', jsonFile]));
  const fromJson = await api.getApp('from-json');
  assert.deepEqual(fromJson?.spec, { a: 1 });
  assert.notEqual(fromJson?.metadata.uid, 'not-a-uid');

  const yamlFile = join(dir, 'app.yaml');
  writeFileSync(yamlFile, 'metadata:\n  name: from-yaml\n  labels: {k: v}\n');
  ok(await run(['create', 'app', '-f', yamlFile]));
  assert.deepEqual((await api.getApp('from-yaml'))?.metadata.labels, { k: 'v' });

  ok(await run(['create', 'app', '-f', '-'], { input: '{"metadata":{"name":"from-stdin"}}' }));
  assert.ok(await api.getApp('from-stdin'));
});

test('conflicts and missing resources: exit 1, one line on stderr, or a JSON failure with http_status', async () => {
  ok(await run(['create', 'app', 'dup']));
  const human = await run(['create', 'app', 'dup']);
  assert.equal(human.code, 1);
  assert.equal(human.stdout, '');
  assert.equal(human.stderr, "error: application 'dup' already exists\n");

  const conflict = await run(['create', 'app', 'dup', '-o', 'json']);
  assert.equal(conflict.code, 1);
  assert.deepEqual(jsonDoc(conflict), {
    status: 'failure',
    message: "application 'dup' already exists",
    http_status: 409,
  });

  const missing = await run(['-o', 'json', 'get', 'app', 'nothing-here']);
  assert.equal(missing.code, 1);
  assert.deepEqual(jsonDoc(missing), {
    status: 'failure',
    message: "application 'nothing-here' not found",
    http_status: 404,
  });
  const missingHuman = await run(['get', 'app', 'nothing-here']);
  assert.equal(missingHuman.code, 1);
  assert.equal(missingHuman.stderr, "error: application 'nothing-here' not found\n");
});

test('devices: --app, -a, --application, DRG_APP; names with / spaces and unicode', async () => {
  ok(await run(['create', 'app', 'devs']));
  const cases: [name: string, args: string[], env?: Record<string, string>][] = [
    ['plain', ['--app', 'devs']],
    ['with/slash', ['-a', 'devs']],
    ['with space', ['--application', 'devs']],
    ['ünï-cødé ✓', [], { DRG_APP: 'devs' }],
    ['a%2Fb?x#y', []],
  ];
  for (const [name, flags, env] of cases) {
    // the last one with the global option before the subcommand
    const args =
      flags.length === 0 && !env ? ['-a', 'devs', 'create', 'device', name] : ['create', 'device', name, ...flags];
    const r = ok(await run(args, { env }));
    assert.equal(r.stdout, `Device ${name} created\n`);
    assert.ok(await api.getDevice('devs', name), `${name} exists`);
  }
  const names = cases.map(([name]) => name);
  const list = jsonDoc<Resource[]>(ok(await run(['get', 'devices', '--app', 'devs', '-o', 'json'])));
  assert.deepEqual(list.map((d) => d.metadata.name).sort(), [...names].sort());
  for (const name of names) {
    const one = jsonDoc(ok(await run(['get', 'device', name, '-a', 'devs', '-o', 'json'])));
    assert.equal(one.metadata.name, name);
    assert.equal(one.metadata.application, 'devs');
  }
  assert.equal(
    ok(await run(['get', 'devices', '-a', 'devs', '-o', 'name']))
      .stdout.split('\n')
      .filter(Boolean).length,
    names.length,
  );
});

test('create device with --spec, from a file with --application, in a missing app (404); wide output', async () => {
  ok(await run(['create', 'app', 'fleet']));
  const spec = {
    authentication: { credentials: [{ pass: 'secret-pass' }] },
    alias: ['al-1'],
    gatewaySelector: { matchNames: ['gw-1'] },
    core: { disabled: true },
  };
  ok(await run(['create', 'device', 'sensor', '--app', 'fleet', '-s', JSON.stringify(spec)]));
  assert.deepEqual((await api.getDevice('fleet', 'sensor'))?.spec, spec);

  const file = join(tempDir(), 'device.json');
  writeFileSync(file, JSON.stringify({ metadata: { name: 'from-file', labels: { a: 'b' } }, spec: { x: 1 } }));
  const created = ok(await run(['create', 'device', '--filename', file, '--application', 'fleet']));
  assert.equal(created.stdout, 'Device from-file created\n');
  assert.deepEqual((await api.getDevice('fleet', 'from-file'))?.metadata.labels, { a: 'b' });

  const mismatch = join(tempDir(), 'other.json');
  writeFileSync(mismatch, JSON.stringify({ metadata: { name: 'x', application: 'elsewhere' } }));
  const refused = await run(['create', 'device', '-f', mismatch, '--app', 'fleet']);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /metadata.application is "elsewhere" but --app is "fleet"/);

  const noApp = await run(['create', 'device', 'd1', '--app', 'no-such-app', '-o', 'json']);
  assert.equal(noApp.code, 1);
  const doc = jsonDoc(noApp);
  assert.equal(doc.status, 'failure');
  assert.equal(doc.http_status, 404);

  const wide = ok(await run(['get', 'devices', '--app', 'fleet', '-o', 'wide'])).stdout;
  const rows = wide
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
    'CONNECTED',
    'FIRMWARE',
    'CURRENT',
    'TARGET',
    'LABELS',
  ]);
  const sensor = rows.find((r) => r[0] === 'sensor');
  assert.deepEqual(sensor?.slice(2), [
    'Active',
    '1 (pass)',
    'al-1',
    'gw-1',
    'true',
    'no',
    '<none>',
    '<none>',
    '<none>',
    '<none>',
  ]);
  assert.ok(!wide.includes('secret-pass'));
});

test('delete device and app; --ignore-missing; JSON success documents', async () => {
  ok(await run(['create', 'app', 'doomed']));
  ok(await run(['create', 'device', 'd/1', '--app', 'doomed']));
  assert.equal(ok(await run(['delete', 'device', 'd/1', '--app', 'doomed'])).stdout, 'Device d/1 deleted\n');
  assert.equal(await api.getDevice('doomed', 'd/1'), undefined);

  const again = await run(['delete', 'device', 'd/1', '-a', 'doomed']);
  assert.equal(again.code, 1);
  assert.equal(again.stderr, "error: device 'd/1' in application 'doomed' not found\n");
  assert.deepEqual(
    jsonDoc(ok(await run(['delete', 'device', 'd/1', '-a', 'doomed', '--ignore-missing', '-o', 'json']))),
    {
      status: 'success',
      message: 'Device d/1 does not exist, ignoring',
    },
  );

  assert.deepEqual(jsonDoc(ok(await run(['-o', 'json', 'delete', 'application', 'doomed']))), {
    status: 'success',
    message: 'Application doomed deleted',
  });
  assert.equal(await api.getApp('doomed'), undefined);
  const gone = await run(['delete', 'app', 'doomed', '-o', 'json']);
  assert.equal(gone.code, 1);
  assert.equal(jsonDoc(gone).http_status, 404);
  ok(await run(['delete', 'apps', 'doomed', '--ignore-missing']));
  assert.equal(
    ok(await run(['delete', 'app', 'doomed', '--ignore-missing', '-o', 'name'])).stdout,
    'application/doomed\n',
  );
});

test('bad input is refused before any request (exit 2), as one line or a JSON failure', async () => {
  const config = await unreachableConfig();
  const cases: [string[], RegExp][] = [
    [['create', 'app', 'Bad_Name'], /^error: application name "Bad_Name" is invalid/],
    [['create', 'app', 'x', '-s', '{not json'], /^error: --spec is not valid JSON/],
    [['create', 'app', 'x', '-s', '[1]'], /^error: --spec must be a JSON object$/],
    [['create', 'app', 'x', '-l', 'no-equals'], /^error: label "no-equals" must be key=value$/],
    [['get', 'apps', '-o', 'xml'], /^error: unknown output format "xml": use one of table, wide, json, yaml, name$/],
    [['get', 'devices'], /^error: no application: pass --app NAME, set DRG_APP, or `drg context default-app NAME`$/],
    [['create', 'device', 'd1'], /^error: no application/],
    [['get', 'apps', '-l', 'a in (b'], /^error: malformed label selector/],
    [['get', 'devices', '--app', 'UPPER'], /^error: application name "UPPER" is invalid/],
    [['create', 'app'], /^error: missing the application NAME \(or --filename FILE\)$/],
    [['create', 'app', '-f', '/no/such/file.json'], /^error: .*no such file or directory/],
    [['create', 'app', 'x', '-f', '/no/such/file.json'], /^error: give the application NAME or --filename, not both$/],
    [['get', 'apps', 'x', '-l', 'a=b'], /^error: --labels selects from a list: leave out the NAME$/],
  ];
  for (const [args, message] of cases) {
    const human = await drg(config, args);
    assert.equal(human.code, 2, `${args.join(' ')}: ${human.stderr}`);
    assert.match(human.stderr.trimEnd(), message, args.join(' '));
    assert.ok(!human.stderr.includes('cannot reach'), 'no request was made');
    assert.equal(human.stdout, '');
    const json = await drg(config, [...args.filter((a) => a !== 'xml' && a !== '-o'), '-o', 'json']);
    if (args.includes('xml')) continue;
    assert.equal(json.code, 2);
    const doc = jsonDoc(json);
    assert.equal(doc.status, 'failure');
    assert.equal(doc.http_status, undefined);
    assert.match(`error: ${doc.message}`, message);
  }
  // and the same config really would have made a request:
  const reached = await drg(config, ['get', 'apps']);
  assert.equal(reached.code, 1);
  assert.match(
    reached.stderr,
    /^error: cannot reach http:\/\/127\.0\.0\.1:\d+: connection refused; is the server running\?$/m,
  );
});

test('a hostile server cannot make drg buffer without end: the answer is cut at the size limit', async (t) => {
  let sent = 0;
  const hostile = await peer(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(1024 * 1024, ' ');
    const pump = () => {
      while (sent < 1024 * 1024 * 1024 && res.write(chunk)) sent += chunk.length;
      if (sent < 1024 * 1024 * 1024) res.once('drain', pump);
      else res.end();
    };
    res.write('[');
    pump();
  });
  const res = await drg(configFor(hostile.url), ['get', 'apps']);
  assert.equal(res.code, 1);
  assert.match(
    res.stderr,
    /^error: http:\/\/127\.0\.0\.1:\d+ sent more than drg accepts: response larger than 32 MiB\n/,
  );
  assert.ok(sent < 256 * 1024 * 1024, `the server got to send only ${sent} bytes`);
});
