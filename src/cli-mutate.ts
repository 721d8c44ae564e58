// The commands that change resources in place: edit, set, label, apply. Definitions only; each action
// imports its command module lazily.
import type { Command } from 'commander';
import type { GlobalOptions } from './cli.js';

const APP_ALIASES = ['apps', 'application', 'applications'];
const DEVICE_ALIASES = ['devices'];

function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function addMutateCommands(program: Command): void {
  addEdit(program);
  addSet(program);
  addLabel(program);
  addApply(program);
}

function addEdit(program: Command): void {
  const edit = program
    .command('edit')
    .description('change an application or device in $VISUAL/$EDITOR (YAML), or from a file or --spec');
  const help =
    '\nWithout --spec or --filename, the resource opens as YAML in $VISUAL, else $EDITOR, else vi. If someone\nelse changes it while you edit, nothing is overwritten: drg reports the conflict and keeps your version.';
  for (const [kind, name, aliases] of [
    ['application', 'app', APP_ALIASES],
    ['device', 'device', DEVICE_ALIASES],
  ] as const) {
    edit
      .command(name)
      .aliases([...aliases])
      .description(`edit ${kind === 'application' ? 'an application' : 'a device'}`)
      .argument('[name]', `the ${kind} (with --filename: taken from the file)`)
      .option('-s, --spec <json>', 'replace the spec with this JSON object')
      .option('-f, --filename <file>', `update from a file holding the whole ${kind} (YAML or JSON)`)
      .addHelpText('after', help)
      .action(async (id: string | undefined, opts, cmd: Command) => {
        const { run } = await import('./commands/edit.js');
        await run(kind, id, { spec: opts.spec, filename: opts.filename }, globals(cmd));
      });
  }
}

function addSet(program: Command): void {
  const set = program
    .command('set')
    .description(
      "change a device's credentials, gateways or aliases (read-modify-write: a concurrent change is a conflict)",
    );
  set
    .command('password')
    .description('set the password credential of a device (hashed locally with sha512-crypt)')
    .argument('<device>', 'the device')
    .argument('[password]', 'the password (or use --password-stdin)')
    .option('-u, --username <user>', 'a username/password credential for this user instead of a device password')
    .option('--password-stdin', 'read the password from stdin (keeps it out of the process list and shell history)')
    .addHelpText(
      'after',
      '\nOnly the sha512-crypt hash is sent; it replaces the existing password (or the one for the same\nusername) in both spec.authentication and spec.credentials.',
    )
    .action(async (device: string, password: string | undefined, opts, cmd: Command) => {
      const { run } = await import('./commands/set.js');
      await run(
        device,
        { what: 'password', password, passwordStdin: opts.passwordStdin, username: opts.username },
        globals(cmd),
      );
    });
  set
    .command('gateway')
    .description('allow another device to act as gateway for this device')
    .argument('<device>', 'the device')
    .argument('<gateway>', 'the gateway device')
    .action(async (device: string, gateway: string, _opts, cmd: Command) => {
      const { run } = await import('./commands/set.js');
      await run(device, { what: 'gateway', gateway }, globals(cmd));
    });
  set
    .command('alias')
    .description('add an alias (a further name) for a device')
    .argument('<device>', 'the device')
    .argument('<alias>', 'the alias')
    .action(async (device: string, alias: string, _opts, cmd: Command) => {
      const { run } = await import('./commands/set.js');
      await run(device, { what: 'alias', alias }, globals(cmd));
    });
  set
    .command('psk')
    .description('set the pre-shared key of a device')
    .argument('<device>', 'the device')
    .argument('<key>', 'the key: its text as UTF-8 bytes, or base64-encoded bytes with --base64')
    .option('--base64', 'KEY is base64 (for binary keys)')
    .addHelpText(
      'after',
      '\nThe key is stored base64-encoded ({"psk": {"key": "<base64>"}}), replacing an existing pre-shared key.\nWithout --base64 the text itself is the key: `drg set psk d1 secret` stores base64("secret").',
    )
    .action(async (device: string, key: string, opts, cmd: Command) => {
      const { run } = await import('./commands/set.js');
      await run(device, { what: 'psk', key, base64: opts.base64 }, globals(cmd));
    });
}

function addLabel(program: Command): void {
  const label = program
    .command('label')
    .description('add, change (k=v) or remove (k-) labels of an application or device');
  for (const [kind, name, aliases] of [
    ['application', 'app', APP_ALIASES],
    ['device', 'device', DEVICE_ALIASES],
  ] as const) {
    label
      .command(name)
      .aliases([...aliases])
      .description(`label ${kind === 'application' ? 'an application' : 'a device'}; other labels stay as they are`)
      .argument('<name>', `the ${kind}`)
      .argument('<labels...>', 'key=value to set, key- to remove')
      .action(async (id: string, labels: string[], _opts, cmd: Command) => {
        const { run } = await import('./commands/label.js');
        await run(kind, id, labels, globals(cmd));
      });
  }
}

function addApply(program: Command): void {
  program
    .command('apply')
    .description('create or update applications and devices from JSON or YAML files')
    .argument('[paths...]', 'files or directories (same as -f)')
    .option(
      '-f, --filename <path>',
      'a file, a directory (its .json/.yaml/.yml files) or - for stdin; repeatable',
      collect,
    )
    .option(
      '--ignore-resource-version',
      "ignore uid and resourceVersion in the files (the server's current ones are used)",
    )
    .addHelpText(
      'after',
      `
A document with metadata.application (or kind: Device) is a device, else an application; a device
without metadata.application goes to --app or the default app. Several resources: YAML documents
separated by ---, a JSON array, or {"kind": "List", "items": [...]}. Applications are applied first.
Each resource is created if missing, else updated: the sections the file states (labels, annotations,
finalizers, spec, status) replace the server's; the others stay. Every file is checked first, so a
malformed one changes nothing.`,
    )
    .action(async (paths: string[], opts, cmd: Command) => {
      const { run } = await import('./commands/apply.js');
      await run({ filename: opts.filename, paths, ignoreResourceVersion: opts.ignoreResourceVersion }, globals(cmd));
    });
}
