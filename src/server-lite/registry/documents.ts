// Registry documents: request bodies checked by the shared rules (model/documents.ts), the stored shape, and
// how a write turns the stored document and the client's input into the next one.
import { randomUUID } from 'node:crypto';
import { documentProblems, type ResourceInput, resourceInput } from '../../model/documents.js';
import { jsonEqual } from '../../model/json.js';
import type { Metadata, Preconditions, Resource, ResourceKind } from '../../model/resource.js';
import { badRequest, lockFailed } from './errors.js';

/** A resource as stored: server-managed metadata always present. */
export interface StoredResource extends Resource {
  metadata: Metadata & { uid: string; creationTimestamp: string; generation: number; resourceVersion: string };
}

/** The client-writable content of a create or update body; a body the rules refuse is a BadRequest. */
export function parseResourceBody(body: unknown, kind: ResourceKind): ResourceInput {
  const problems = documentProblems(body, kind);
  if (problems.length > 0) throw badRequest(problems.join('; '));
  return resourceInput(body as Record<string, unknown>);
}

export function parseStored(doc: string): StoredResource {
  return JSON.parse(doc) as StoredResource;
}

/**
 * The JSON text of a resource, with metadata keys in the API's order and empty optional fields
 * (finalizers, labels, annotations, spec, status) omitted.
 */
export function serialize(r: StoredResource): string {
  const m = r.metadata;
  const metadata: Metadata = { name: m.name };
  if (m.application !== undefined) metadata.application = m.application;
  metadata.uid = m.uid;
  metadata.creationTimestamp = m.creationTimestamp;
  metadata.generation = m.generation;
  metadata.resourceVersion = m.resourceVersion;
  if (m.deletionTimestamp !== undefined) metadata.deletionTimestamp = m.deletionTimestamp;
  if (m.finalizers?.length) metadata.finalizers = m.finalizers;
  if (nonEmpty(m.labels)) metadata.labels = m.labels;
  if (nonEmpty(m.annotations)) metadata.annotations = m.annotations;
  const out: Resource = { metadata };
  if (nonEmpty(r.spec)) out.spec = r.spec;
  if (nonEmpty(r.status)) out.status = r.status;
  return JSON.stringify(out);
}

function nonEmpty(v: object | undefined): boolean {
  return v !== undefined && Object.keys(v).length > 0;
}

/** A new resource from a create body: a fresh uid and resourceVersion, generation 0. */
export function created(
  input: ResourceInput,
  status: Record<string, unknown>,
  creationTimestamp: string,
  application?: string,
): StoredResource {
  const metadata = { name: input.name, application, uid: randomUUID(), creationTimestamp };
  return withInput({ ...metadata, generation: 0 }, input, status);
}

/** `current` with the client-writable content of `input`, a new resourceVersion, generation bumped on spec change. */
export function updated(
  current: StoredResource,
  input: ResourceInput,
  status: Record<string, unknown>,
): StoredResource {
  const specChanged = !jsonEqual(current.spec ?? {}, input.spec);
  return withInput(
    { ...current.metadata, generation: current.metadata.generation + (specChanged ? 1 : 0) },
    input,
    status,
  );
}

/** `current` with changed server-managed metadata (deletionTimestamp, finalizers) and a new resourceVersion. */
export function withMetadata(current: StoredResource, changes: Partial<Metadata>): StoredResource {
  return { ...current, metadata: { ...current.metadata, ...changes, resourceVersion: randomUUID() } };
}

/** Server-managed `metadata` with the client-writable content of `input` and a new resourceVersion. */
function withInput(
  metadata: Omit<StoredResource['metadata'], 'resourceVersion'>,
  input: ResourceInput,
  status: Record<string, unknown>,
): StoredResource {
  const { finalizers, labels, annotations, spec } = input;
  return { metadata: { ...metadata, resourceVersion: randomUUID(), finalizers, labels, annotations }, spec, status };
}

/** An update body's uid and resourceVersion, when given, must be the stored ones. */
export function checkLock(current: StoredResource, input: ResourceInput): void {
  checkPreconditions(current, { uid: input.uid, resourceVersion: input.resourceVersion });
}

export function checkPreconditions(current: StoredResource, p: Preconditions | undefined): void {
  const what = current.metadata.application ? 'device' : 'application';
  if (p?.uid && p.uid !== current.metadata.uid) {
    throw lockFailed(`the ${what} "${current.metadata.name}" has a different uid: it was deleted and re-created`);
  }
  if (p?.resourceVersion && p.resourceVersion !== current.metadata.resourceVersion) {
    throw lockFailed(`the ${what} "${current.metadata.name}" was modified meanwhile; read it again and retry`);
  }
}
