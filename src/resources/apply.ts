// `drg apply`: turning manifest documents into creates and updates. Pure; the command does the requests.

import { UsageError } from '../errors.js';
import { isJsonObject } from '../model/json.js';
import type { Metadata, Resource, ResourceKind } from '../model/resource.js';
import type { ManifestDocument } from './manifests.js';
import { declaredKind, resourceProblems, toResource } from './validate.js';

export interface ApplyItem {
  kind: ResourceKind;
  name: string;
  /** The device's application. */
  application?: string;
  /** The resource as the manifest wants it. */
  resource: Resource;
  location: string;
}

export type ApplyOutcome = 'created' | 'updated' | 'unchanged';

/**
 * Validates every document and returns them as apply items, applications first (in file order), then devices.
 * A document is a device when `kind: Device` or when it has `metadata.application`; a device without
 * `metadata.application` belongs to `defaultApp` (`--app` or the context's default). Any problem in any
 * document is a UsageError listing them all, so a malformed file changes nothing.
 */
export function planApply(docs: readonly ManifestDocument[], defaultApp: string | undefined): ApplyItem[] {
  const problems: string[] = [];
  const items: ApplyItem[] = [];
  const seen = new Map<string, string>();
  for (const doc of docs) {
    const item = toItem(doc, defaultApp, problems);
    if (!item) continue;
    const id = resourceId(item);
    const earlier = seen.get(id);
    if (earlier) problems.push(`${doc.location}: ${id} is also defined at ${earlier}`);
    else seen.set(id, doc.location);
    items.push(item);
  }
  if (docs.length === 0) problems.push('no resources found');
  if (problems.length > 0) {
    throw new UsageError(`nothing was applied:\n  ${problems.join('\n  ')}`);
  }
  return [...items.filter((i) => i.kind === 'application'), ...items.filter((i) => i.kind === 'device')];
}

function toItem(doc: ManifestDocument, defaultApp: string | undefined, problems: string[]): ApplyItem | undefined {
  const value = doc.value;
  if (!isJsonObject(value) || !isJsonObject(value.metadata)) {
    problems.push(`${doc.location}: not a resource (an object with metadata, spec)`);
    return undefined;
  }
  const declared = declaredKind(value);
  if (declared === 'invalid') {
    problems.push(`${doc.location}: unknown kind ${JSON.stringify(value.kind)} (expected Application or Device)`);
    return undefined;
  }
  const metadata = value.metadata;
  const hasApp = metadata.application !== undefined && metadata.application !== null;
  const kind: ResourceKind = declared ?? (hasApp ? 'device' : 'application');
  let document = value;
  if (kind === 'device' && !hasApp) {
    if (defaultApp === undefined) {
      problems.push(`${doc.location}: the device has no metadata.application, and there is no --app or default app`);
      return undefined;
    }
    document = { ...value, metadata: { ...metadata, application: defaultApp } };
  }
  const found = resourceProblems(document, kind);
  if (found.length > 0) {
    problems.push(...found.map((p) => `${doc.location}: ${p}`));
    return undefined;
  }
  const resource = toResource(document);
  return {
    kind,
    name: resource.metadata.name,
    application: resource.metadata.application,
    resource,
    location: doc.location,
  };
}

/** `application/NAME` or `device/APP/NAME`, as apply reports them. */
export function resourceId(item: Pick<ApplyItem, 'kind' | 'name' | 'application'>): string {
  return item.kind === 'application' ? `application/${item.name}` : `device/${item.application}/${item.name}`;
}

/** The body of a create: the manifest without server-managed metadata (uid, versions, timestamps). */
export function createBody(desired: Resource): Resource {
  const { name, application, labels, annotations, finalizers } = desired.metadata;
  const metadata: Metadata = { name };
  if (application !== undefined) metadata.application = application;
  if (labels !== undefined) metadata.labels = labels;
  if (annotations !== undefined) metadata.annotations = annotations;
  if (finalizers !== undefined) metadata.finalizers = finalizers;
  const body: Resource = { metadata };
  if (desired.spec !== undefined) body.spec = desired.spec;
  if (desired.status !== undefined) body.status = desired.status;
  return body;
}

/**
 * The body of an update. What the manifest states replaces the server's (labels, annotations, finalizers,
 * spec, status: each as a whole); what it leaves out stays as it is. Server-managed metadata comes from
 * `current`, with its uid and resourceVersion, so a change made since `current` was read is a conflict (409)
 * rather than lost. A uid or resourceVersion in the manifest itself wins, unless `ignoreVersion`: then a
 * manifest written before a later change is a conflict too, as with kubectl.
 */
export function updateBody(current: Resource, desired: Resource, opts: { ignoreVersion?: boolean } = {}): Resource {
  const d = desired.metadata;
  const metadata: Metadata = { ...current.metadata };
  for (const key of ['labels', 'annotations', 'finalizers'] as const) {
    if (d[key] !== undefined) (metadata as unknown as Record<string, unknown>)[key] = d[key];
  }
  if (!opts.ignoreVersion) {
    if (d.uid) metadata.uid = d.uid;
    if (d.resourceVersion) metadata.resourceVersion = d.resourceVersion;
  }
  const body: Resource = { metadata };
  const spec = desired.spec ?? current.spec;
  const status = desired.status ?? current.status;
  if (spec !== undefined) body.spec = spec;
  if (status !== undefined) body.status = status;
  return body;
}
