// Registry documents: validating request bodies, the stored shape and serialisation.
import { isJsonObject } from '../../model/json.js';
import { METADATA_FIELDS, type Metadata, type Resource, type ResourceKind } from '../../model/resource.js';
import { badRequest } from '../errors.js';

/** What a create or update body may set, with absent optional fields as empty values. */
export interface ResourceInput {
  name: string;
  application?: string;
  /** Non-empty optimistic-locking values (empty means "don't check"). */
  uid?: string;
  resourceVersion?: string;
  finalizers: string[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: Record<string, unknown>;
  status: Record<string, unknown>;
}

/** A resource as stored: server-managed metadata always present. */
export interface StoredResource extends Resource {
  metadata: Metadata & { uid: string; creationTimestamp: string; generation: number; resourceVersion: string };
}

const STRING_FIELDS = ['name', 'application', 'uid', 'creationTimestamp', 'resourceVersion', 'deletionTimestamp'];

export function parseResourceBody(body: unknown, kind: ResourceKind): ResourceInput {
  if (!isJsonObject(body)) throw badRequest(`the ${kind} must be a JSON object`);
  const metadata = body.metadata;
  if (!isJsonObject(metadata)) throw badRequest(`the ${kind} must have a "metadata" object`);
  for (const field of Object.keys(metadata)) {
    if (!METADATA_FIELDS.has(field) || (kind === 'application' && field === 'application')) {
      throw badRequest(`unknown metadata field "${field}"`);
    }
  }
  for (const field of STRING_FIELDS) {
    const v = metadata[field];
    if (v !== undefined && v !== null && typeof v !== 'string') throw badRequest(`metadata.${field} must be a string`);
  }
  if (typeof metadata.name !== 'string') throw badRequest(`the ${kind} must have metadata.name`);
  const generation = metadata.generation;
  if (
    generation !== undefined &&
    generation !== null &&
    !(Number.isSafeInteger(generation) && Number(generation) >= 0)
  ) {
    throw badRequest('metadata.generation must be a non-negative integer');
  }
  return {
    name: metadata.name,
    application: (metadata.application as string | null) || undefined,
    uid: (metadata.uid as string | null) || undefined,
    resourceVersion: (metadata.resourceVersion as string | null) || undefined,
    finalizers: stringArray(metadata.finalizers, 'metadata.finalizers'),
    labels: stringMap(metadata.labels, 'metadata.labels'),
    annotations: stringMap(metadata.annotations, 'metadata.annotations'),
    spec: objectOrEmpty(body.spec, 'spec'),
    status: objectOrEmpty(body.status, 'status'),
  };
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

function stringArray(v: unknown, what: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string'))
    throw badRequest(`${what} must be an array of strings`);
  return v;
}

function stringMap(v: unknown, what: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isJsonObject(v) || !Object.values(v).every((s) => typeof s === 'string')) {
    throw badRequest(`${what} must be an object of string values`);
  }
  return v as Record<string, string>;
}

function objectOrEmpty(v: unknown, what: string): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (!isJsonObject(v)) throw badRequest(`${what} must be an object`);
  return v;
}
