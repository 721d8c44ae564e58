// `drg edit app|device NAME`: in $VISUAL/$EDITOR as YAML; or `-s/--spec JSON` (new spec) or `-f FILE` (drg 0.11).
import type { GlobalOptions } from '../cli.js';
import type { RegistryClient } from '../client/registry.js';
import { openSession, resolveApp } from '../client/session.js';
import { isJsonObject } from '../model/json.js';
import type { Resource, ResourceKind } from '../model/resource.js';
import { CliError, UsageError } from '../output/errors.js';
import type { OutputFormat } from '../output/format.js';
import { EDIT_CANCELLED } from '../output/messages.js';
import { planApply, updateBody } from '../resources/apply.js';
import { createEditFile, editText, parseEdited, readEditFile, removeEditFile, runEditor } from '../resources/editor.js';
import { parseManifest, readManifestSources } from '../resources/manifests.js';
import {
  appTarget,
  deviceTarget,
  readTarget,
  type Target,
  targetSubject,
  writeChange,
  writeTarget,
} from '../resources/target.js';
import { outputFormat, parseSpec, reportResource, reportSuccess } from './common.js';
import { readStdin } from './stdin.js';

export interface EditOptions {
  spec?: string;
  filename?: string;
}

export async function run(kind: ResourceKind, name: string | undefined, opts: EditOptions, globals: GlobalOptions) {
  const format = outputFormat(globals);
  if (opts.spec !== undefined && opts.filename !== undefined) {
    throw new UsageError('--spec and --filename cannot be used together');
  }
  const spec = parseSpec(opts.spec);
  const session = await openSession(globals);
  if (opts.filename !== undefined) {
    return editFromFile(session.registry, kind, name, opts.filename, format, resolveApp(globals, session.context));
  }
  if (name === undefined) throw new UsageError(`which ${kind}? give its name (or --filename FILE)`);
  const target = kind === 'application' ? appTarget(name) : deviceTarget(session.requireApp(), name);
  if (spec !== undefined) {
    const current = await readTarget(session.registry, target);
    await update(session.registry, target, current, { ...current, spec }, format);
    return;
  }
  await editInEditor(session.registry, target, format);
}

/** drg 0.11 `edit app|device --filename FILE`: the file holds the whole resource; it must exist already. */
async function editFromFile(
  registry: RegistryClient,
  kind: ResourceKind,
  name: string | undefined,
  file: string,
  format: OutputFormat,
  defaultApp: string | undefined,
): Promise<void> {
  const docs = (await readManifestSources([file], readStdin)).flatMap((s) => parseManifest(s));
  const typed = docs.map((d) =>
    isJsonObject(d.value) && d.value.kind === undefined ? { ...d, value: { ...d.value, kind } } : d,
  );
  const items = planApply(typed, defaultApp);
  if (items.length !== 1) throw new UsageError(`${file} must hold exactly one ${kind}, not ${items.length}`);
  const item = items[0];
  if (item.kind !== kind) throw new UsageError(`${file} holds ${item.kind} ${item.name}, not a ${kind}`);
  if (name !== undefined && name !== item.name) {
    throw new UsageError(`${file} describes ${kind} ${item.name}, not ${name}`);
  }
  const target: Target = { kind, app: item.application ?? item.name, name: item.name };
  const current = await readTarget(registry, target);
  await update(registry, target, current, updateBody(current, item.resource), format);
}

async function update(
  registry: RegistryClient,
  target: Target,
  current: Resource,
  next: Resource,
  format: OutputFormat,
): Promise<void> {
  const outcome = await writeChange(registry, target, current, next, 'since it was read');
  reportResource(format, target.kind, target.name, outcome);
}

async function editInEditor(registry: RegistryClient, target: Target, format: OutputFormat): Promise<void> {
  const current = await readTarget(registry, target);
  const path = await createEditFile(`${target.kind}-${target.name}`, editText(current, target.kind));
  try {
    await runEditor(path);
  } catch (err) {
    await removeEditFile(path);
    throw err;
  }
  let result: ReturnType<typeof parseEdited>;
  try {
    result = parseEdited(await readEditFile(path), current, target.kind);
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    throw new CliError(`${err.message}; your version is saved in ${path}`, {
      hint: `fix it and run \`drg edit ${editArgs(target)} --filename ${path}\`, or run \`drg edit ${editArgs(target)}\` again`,
    });
  }
  if (!result.changed) {
    await removeEditFile(path);
    reportSuccess(format, EDIT_CANCELLED);
    return;
  }
  try {
    await writeTarget(registry, target, result.resource);
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    if (err.httpStatus === 409) {
      throw new CliError(
        `${targetSubject(target)} was changed by someone else since you started editing; your version is saved in ${path}; re-run \`drg edit ${editArgs(target)}\` and re-apply your change`,
        { ...err.options },
      );
    }
    throw new CliError(`${err.message}; your version is saved in ${path}`, { ...err.options });
  }
  await removeEditFile(path);
  reportResource(format, target.kind, target.name, 'updated');
}

function editArgs(t: Target): string {
  return t.kind === 'application' ? `app ${t.name}` : `device ${t.name} --app ${t.app}`;
}
