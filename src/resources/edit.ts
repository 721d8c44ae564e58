// `drg edit app|device`: in the editor as YAML, from a file holding the whole resource (drg 0.11), or a new spec.
// Every way writes with the uid and resourceVersion it read, so a concurrent change is a conflict, never lost.
import YAML from 'yaml';
import type { RegistryClient } from '../client/registry.js';
import { DrgError, UsageError } from '../errors.js';
import { isJsonObject, jsonEqual } from '../model/json.js';
import type { Resource, ResourceKind } from '../model/resource.js';
import { planApply, updateBody } from './apply.js';
import { applyTarget } from './apply-item.js';
import { type Edited, type EditorEnvironment, editInEditor, parseEditYaml } from './editor.js';
import { type LocalFiles, parseManifest, readManifestSources } from './manifests.js';
import { type ChangeOutcome, readTarget, type Target, targetText, writeChange, writeTarget } from './target.js';
import { resourceProblems, toResource } from './validate.js';

/** The text the user edits: a short explanation in comments, then the resource as YAML. */
export function editText(resource: Resource, kind: ResourceKind): string {
  const header = [
    `# Edit the ${kind} below, then save and close the file to apply the change.`,
    "# Lines starting with '#' are ignored. Leave the file unchanged to cancel.",
    '# metadata.name cannot change; metadata.uid and resourceVersion detect concurrent changes.',
  ];
  return `${header.join('\n')}\n${YAML.stringify(resource, { lineWidth: 0 })}`;
}

/**
 * The edited resource, checked: valid YAML, a valid resource, same name (and application). A uid or
 * resourceVersion the user removed is put back, so the update still detects concurrent changes.
 */
export function parseEdited(text: string, original: Resource, kind: ResourceKind): Edited<Resource> {
  const value = parseEditYaml(text);
  if (value === null || value === undefined)
    throw new DrgError(`the file is empty: to delete the ${kind}, use drg delete`);
  const problems = resourceProblems(value, kind);
  if (problems.length > 0) throw new DrgError(`invalid ${kind}: ${problems.join('; ')}`);
  const edited = toResource(value as Record<string, unknown>);
  for (const field of ['name', 'application'] as const) {
    if (edited.metadata[field] !== original.metadata[field]) {
      throw new DrgError(`metadata.${field} cannot be changed (it is "${original.metadata[field]}")`);
    }
  }
  if (jsonEqual(edited, original)) return { changed: false };
  for (const field of ['uid', 'resourceVersion'] as const) {
    if (!edited.metadata[field] && original.metadata[field]) edited.metadata[field] = original.metadata[field];
  }
  return { changed: true, value: edited };
}

/** `drg edit app|device NAME`; `seen` learns the resource as it is stored (for warnings about it). */
export async function editInEditorAndSave(
  registry: RegistryClient,
  target: Target,
  environment: EditorEnvironment,
  seen: (edited: Resource) => void = () => {},
): Promise<ChangeOutcome> {
  const current = await readTarget(registry, target);
  const again = `drg edit ${editArgs(target)}`;
  const outcome = await editInEditor(
    {
      name: `${target.kind}-${target.name}`,
      text: editText(current, target.kind),
      parse: (text) => parseEdited(text, current, target.kind),
      save: async (edited) => {
        seen(edited);
        await writeTarget(registry, target, edited);
      },
      again,
      conflict: `${targetText(target)} was changed by someone else since you started editing`,
      conflictHint: (path) =>
        `to overwrite their change with yours instead: drg apply -f ${path} --ignore-resource-version`,
      fixHint: (path) => `run \`${again} --filename ${path}\``,
    },
    environment,
  );
  return outcome;
}

/** `drg edit app|device NAME -s JSON`: the spec replaced, the rest as it is. */
export async function replaceSpec(
  registry: RegistryClient,
  target: Target,
  spec: Record<string, unknown>,
): Promise<ChangeOutcome> {
  const current = await readTarget(registry, target);
  return writeChange(registry, target, current, { ...current, spec }, 'since it was read');
}

export interface FileEdit {
  kind: ResourceKind;
  /** The name given on the command line, which must be the file's. */
  name?: string;
  file: string;
  files: LocalFiles;
  defaultApp: string | undefined;
}

/**
 * drg 0.11's `edit app|device --filename FILE`: the file holds the whole resource, which must exist already.
 * A file written from an older version (its resourceVersion is not the current one) is refused before anything
 * is sent, with a way forward: running the same command again would only fail again.
 */
export async function editFromFile(
  registry: RegistryClient,
  edit: FileEdit,
): Promise<{ target: Target; resource: Resource; outcome: ChangeOutcome }> {
  const { kind, file } = edit;
  const docs = (await readManifestSources([file], edit.files)).flatMap((s) => parseManifest(s));
  const typed = docs.map((d) =>
    isJsonObject(d.value) && d.value.kind === undefined ? { ...d, value: { ...d.value, kind } } : d,
  );
  const items = planApply(typed, edit.defaultApp);
  if (items.length !== 1) throw new UsageError(`${file} must hold exactly one ${kind}, not ${items.length}`);
  const item = items[0];
  if (item.kind !== kind) throw new UsageError(`${file} holds ${item.kind} ${item.name}, not a ${kind}`);
  if (edit.name !== undefined && edit.name !== item.name) {
    throw new UsageError(`${file} describes ${kind} ${item.name}, not ${edit.name}`);
  }
  const target = applyTarget(item);
  const current = await readTarget(registry, target);
  const stale = item.resource.metadata.resourceVersion;
  if (stale && stale !== current.metadata.resourceVersion) {
    throw new DrgError(`${file} was written from an older version of ${targetText(target)}: nothing was changed`, {
      hint:
        `start from the current one (\`drg get ${editArgs(target)} -o yaml > ${file}\`, then edit it again), ` +
        `or write the file over it: drg apply -f ${file} --ignore-resource-version`,
    });
  }
  const resource = updateBody(current, item.resource);
  const outcome = await writeChange(registry, target, current, resource, 'since it was read');
  return { target, resource, outcome };
}

function editArgs(t: Target): string {
  return t.kind === 'application' ? `app ${t.name}` : `device ${t.name} --app ${t.app}`;
}
