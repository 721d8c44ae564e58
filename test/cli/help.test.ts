// Help that teaches: every command has examples and points at the global options, `drg help COMMAND` works for
// every command, and shell completion knows the tree.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { commandTree } from '../../src/cli/run.js';
import { allNodes } from '../../src/cli/tree.js';
import { localServerDuringTests, runDrg } from '../helpers/drg.js';
import { DRG_BIN, drgEnv, newConfigPath, ok, tempDir } from '../helpers/serve.js';

const serve = localServerDuringTests();
const visible = [...allNodes(commandTree())].filter((n) => n.path.length > 0 && !n.command?.hidden);

test('every command has examples and shows the global options; `drg help PATH` is the same help', async () => {
  const config = newConfigPath();
  for (const node of visible) {
    const path = node.path.join(' ');
    const help = ok(await runDrg(config, [...node.path, '--help'])).stdout;
    assert.match(help, new RegExp(`^Usage: drg ${path.replaceAll(' ', ' ')}`), path);
    // A command with a --version of its own (firmware push, rollout) leaves out the client's.
    const ownVersion = Object.values(node.command?.options ?? {}).some((o) => /--version\b/.test(o.flags));
    const globals = ownVersion
      ? /Global Options:\n {2}-C, --config[\s\S]*-o, --output <format>/
      : /Global Options:\n[\s\S]*-V, --version[\s\S]*-o, --output <format>/;
    assert.match(help, globals, `${path}: global options`);
    if (ownVersion) assert.doesNotMatch(help, /print the client version/, path);
    if (node.command) {
      assert.match(help, /\nExamples:\n {2}# \S.*\n {2}\S/, `${path}: examples`);
      for (const example of node.command.examples)
        assert.ok(example.command.includes('drg'), `${path}: ${example.command}`);
    } else {
      assert.match(help, /\nCommands:\n/, `${path}: its commands`);
    }
    assert.equal(ok(await runDrg(config, ['help', ...node.path])).stdout, help, `drg help ${path}`);
  }
  const withVersion = ok(await runDrg(config, ['firmware', 'rollout', '--version', '2.0.0', '--help'])).stdout;
  assert.match(withVersion, /^Usage: drg firmware rollout/, "a command's own --version is not the client's");
  const unknown = await runDrg(config, ['help', 'get', 'nothing']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^error: no command "get nothing"/);
});

test('the top level names members, tokens and certificates, and the topics', async () => {
  // Descriptions wrap where the terminal (100 columns here) ends.
  const help = ok(await runDrg(newConfigPath(), ['--help'])).stdout.replace(/\s+/g, ' ');
  assert.match(help, /create\|add\s+create applications, devices, members, access tokens and certificates/);
  assert.match(help, /get\s+show applications, devices, members and access tokens/);
  assert.match(help, /drg help output/);
  const output = ok(await runDrg(newConfigPath(), ['help', 'output'])).stdout;
  assert.match(output, /"status": "success"/);
  assert.match(output, /Exit codes: 0 success, 1 error, 2 wrong usage/);
  assert.match(ok(await runDrg(newConfigPath(), ['help', 'environment'])).stdout, /DRG_APP/);
});

test('completion: commands, aliases resolved, options, option values, and names from the server', async () => {
  ok(await serve.run(['create', 'app', 'comp-app']));
  ok(await serve.run(['create', 'device', 'comp-dev 1', '--app', 'comp-app']));
  const complete = async (...words: string[]) =>
    ok(await serve.run(['__complete', '--', ...words]))
      .stdout.split('\n')
      .filter(Boolean);
  assert.deepEqual(await complete('get', 'a'), ['app']);
  assert.deepEqual(await complete('set', ''), ['alias', 'gateway', 'password', 'psk']);
  assert.ok((await complete('get', 'apps', '--')).includes('--labels'));
  assert.ok((await complete('get', 'apps', '--')).includes('--output'), 'global options too');
  assert.deepEqual(await complete('-o', 'y'), ['yaml']);
  assert.deepEqual(await complete('create', 'member', 'x', '--role', ''), ['reader', 'manager', 'admin']);
  assert.ok((await complete('get', 'app', 'comp')).includes('comp-app'));
  assert.deepEqual(await complete('get', 'device', '--app', 'comp-app', 'comp'), ['comp-dev 1']);
  assert.deepEqual(await complete('config', 'default-context', ''), ['local']);
});

test('the bash script completes through a real bash; the zsh and fish scripts parse', async () => {
  const dir = tempDir();
  const script = join(dir, 'drg.bash');
  writeFileSync(script, ok(await serve.run(['completion', 'bash'])).stdout);
  const wrapper = join(dir, 'drg');
  writeFileSync(wrapper, `#!/bin/sh\nexec "${process.execPath}" "${DRG_BIN}" "$@"\n`, { mode: 0o755 });
  const out = execFileSync(
    'bash',
    ['-c', `source ${script}; COMP_WORDS=(drg get dev); COMP_CWORD=2; _drg; printf '%s\\n' "\${COMPREPLY[@]}"`],
    { env: { ...drgEnv(serve.configPath), PATH: `${dir}:${process.env.PATH}` }, encoding: 'utf8' },
  );
  assert.equal(out, 'device\n');
  for (const shell of ['zsh', 'fish'] as const) {
    const text = ok(await serve.run(['completion', shell])).stdout;
    assert.match(text, /drg __complete --/);
    const file = join(dir, `drg.${shell}`);
    writeFileSync(file, text);
    // .ci/run installs both shells.
    execFileSync(shell, shell === 'zsh' ? ['-n', file] : ['--no-execute', file]);
  }
  const bad = await serve.run(['completion', 'tcsh']);
  assert.equal(bad.code, 2);
});
