// `drg create|add app|device`: a new resource from a name (with --spec/--labels) or from a file.
import type { GlobalOptions } from '../cli.js';
import { explicitApp, openSession } from '../client/session.js';
import { isJsonObject } from '../model/json.js';
import type { Application, Device, Resource, ResourceKind } from '../model/resource.js';
import { UsageError } from '../output/errors.js';
import {
  checkAppName,
  checkDeviceName,
  outputFormat,
  parseLabelAssignments,
  parseSpec,
  reportResource,
} from './common.js';
import { readStdin } from './stdin.js';

export interface CreateOptions {
  spec?: string;
  filename?: string;
  labels?: string[];
}

export async function createApp(globals: GlobalOptions, name: string | undefined, opts: CreateOptions): Promise<void> {
  const format = outputFormat(globals);
  const app: Application =
    opts.filename === undefined
      ? fromFlags(name, opts, 'application')
      : await fromFile(name, opts, 'application', () => undefined);
  const session = await openSession(globals);
  await session.registry.createApp(app);
  reportResource(format, 'application', app.metadata.name, 'created');
}

export async function createDevice(
  globals: GlobalOptions,
  name: string | undefined,
  opts: CreateOptions,
): Promise<void> {
  const format = outputFormat(globals);
  const flags = opts.filename === undefined ? fromFlags(name, opts, 'device') : undefined;
  const session = await openSession(globals);
  let device: Device;
  if (flags) {
    device = { ...flags, metadata: { ...flags.metadata, application: session.requireApp() } };
  } else {
    // The file's metadata.application wins over the context's default app, but must match an explicit --app.
    const resource = await fromFile(name, opts, 'device', () => session.requireApp());
    const app = resource.metadata.application as string;
    const explicit = explicitApp(globals);
    if (explicit !== undefined && explicit !== app) {
      throw new UsageError(`the file's metadata.application is "${app}" but --app is "${explicit}"`);
    }
    device = resource as Device;
  }
  const app = device.metadata.application;
  await session.registry.createDevice(app, device);
  reportResource(format, 'device', device.metadata.name, 'created');
}

/** NAME plus --spec and --labels, validated before any request. */
function fromFlags(name: string | undefined, opts: CreateOptions, kind: ResourceKind): Resource {
  if (name === undefined) throw new UsageError(`missing the ${kind} NAME (or --filename FILE)`);
  const metadata: Resource['metadata'] = { name: kind === 'application' ? checkAppName(name) : checkDeviceName(name) };
  const labels = parseLabelAssignments(opts.labels);
  if (labels) metadata.labels = labels;
  const spec = parseSpec(opts.spec);
  return spec ? { metadata, spec } : { metadata };
}

/**
 * The one resource document in a JSON or YAML file (`-` is stdin); the name comes from the file. A device
 * without `metadata.application` gets `defaultApp()`.
 */
async function fromFile(
  name: string | undefined,
  opts: CreateOptions,
  kind: ResourceKind,
  defaultApp: () => string | undefined,
): Promise<Resource> {
  const file = opts.filename as string;
  if (name !== undefined) throw new UsageError(`give the ${kind} NAME or --filename, not both`);
  if (opts.spec !== undefined) throw new UsageError('--spec cannot be combined with --filename');
  const labels = parseLabelAssignments(opts.labels);
  const { readManifestSources, parseManifest } = await import('../resources/manifests.js');
  const { resourceProblems, toResource } = await import('../resources/validate.js');
  const { createBody } = await import('../resources/apply.js');
  const docs = (await readManifestSources([file], readStdin)).flatMap(parseManifest);
  if (docs.length !== 1) throw new UsageError(`${file} must hold exactly one ${kind}, not ${docs.length}`);
  const [{ value, location }] = docs;
  let doc = value;
  if (kind === 'device' && isJsonObject(doc) && isJsonObject(doc.metadata) && doc.metadata.application == null) {
    doc = { ...doc, metadata: { ...doc.metadata, application: defaultApp() } };
  }
  const problems = resourceProblems(doc, kind);
  if (problems.length > 0) throw new UsageError(`${location}: ${problems.join('; ')}`);
  // Server-managed metadata (uid, versions, timestamps) of a file saved with `drg get -o json` is dropped.
  const resource = createBody(toResource(doc as Record<string, unknown>));
  if (labels) resource.metadata.labels = { ...resource.metadata.labels, ...labels };
  return resource;
}
