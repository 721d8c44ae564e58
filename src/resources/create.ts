// The resource `drg create app|device` sends: from a name with --spec and --labels, or from a file (the name
// then taken from it). Everything is checked before any request.
import { UsageError } from '../errors.js';
import { isJsonObject } from '../model/json.js';
import type { Resource, ResourceKind } from '../model/resource.js';
import { createBody } from './apply.js';
import { type LocalFiles, parseManifest, readManifestSources } from './manifests.js';
import { checkAppName, checkDeviceName } from './names.js';
import { resourceProblems, toResource } from './validate.js';

export interface NewResourceInput {
  spec?: Record<string, unknown>;
  labels?: Record<string, string>;
}

/** NAME plus --spec and --labels. A device's application is set by the caller. */
export function resourceFromFlags(kind: ResourceKind, name: string | undefined, input: NewResourceInput): Resource {
  if (name === undefined) throw new UsageError(`missing the ${kind} NAME (or --filename FILE)`);
  const metadata: Resource['metadata'] = { name: kind === 'application' ? checkAppName(name) : checkDeviceName(name) };
  if (input.labels) metadata.labels = input.labels;
  return input.spec ? { metadata, spec: input.spec } : { metadata };
}

export interface FileInput {
  file: string;
  labels?: Record<string, string>;
  files: LocalFiles;
  /** The application of a device whose file names none. */
  defaultApp: () => string | undefined;
}

/**
 * The one resource document in a JSON or YAML file (`-` is stdin). Server-managed metadata (uid, versions,
 * timestamps) of a file saved with `drg get -o json` is dropped; --labels are added to the file's.
 */
export async function resourceFromFile(kind: ResourceKind, input: FileInput): Promise<Resource> {
  const docs = (await readManifestSources([input.file], input.files)).flatMap(parseManifest);
  if (docs.length !== 1) throw new UsageError(`${input.file} must hold exactly one ${kind}, not ${docs.length}`);
  const [{ value, location }] = docs;
  let doc = value;
  if (kind === 'device' && isJsonObject(doc) && isJsonObject(doc.metadata) && doc.metadata.application == null) {
    doc = { ...doc, metadata: { ...doc.metadata, application: input.defaultApp() } };
  }
  const problems = resourceProblems(doc, kind);
  if (problems.length > 0) throw new UsageError(`${location}: ${problems.join('; ')}`);
  const resource = createBody(toResource(doc as Record<string, unknown>));
  if (input.labels) resource.metadata.labels = { ...resource.metadata.labels, ...input.labels };
  return resource;
}
