// Registry documents: validating request bodies, the stored shape, serialisation and comparison.
import { METADATA_FIELDS, type Metadata, type Resource } from '../../model/resource.js';
import { badRequest } from '../errors.js';

export type Kind = 'application' | 'device';

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

export function parseResourceBody(body: unknown, kind: Kind): ResourceInput {
  if (!isObject(body)) throw badRequest(`the ${kind} must be a JSON object`);
  const metadata = body.metadata;
  if (!isObject(metadata)) throw badRequest(`the ${kind} must have a "metadata" object`);
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

/** Whether two resources have the same client-writable content (absent and empty are the same). */
export function sameContent(a: Resource, b: Resource): boolean {
  return (
    jsonEqual(a.metadata.labels ?? {}, b.metadata.labels ?? {}) &&
    jsonEqual(a.metadata.annotations ?? {}, b.metadata.annotations ?? {}) &&
    jsonEqual(a.metadata.finalizers ?? [], b.metadata.finalizers ?? []) &&
    jsonEqual(a.spec ?? {}, b.spec ?? {}) &&
    jsonEqual(a.status ?? {}, b.status ?? {})
  );
}

/** Deep equality of JSON values; object key order does not matter. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  const ak = Object.keys(a);
  const bo = b as Record<string, unknown>;
  if (ak.length !== Object.keys(bo).length) return false;
  return ak.every((k) => Object.hasOwn(bo, k) && jsonEqual((a as Record<string, unknown>)[k], bo[k]));
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
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
  if (!isObject(v) || !Object.values(v).every((s) => typeof s === 'string')) {
    throw badRequest(`${what} must be an object of string values`);
  }
  return v as Record<string, string>;
}

function objectOrEmpty(v: unknown, what: string): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw badRequest(`${what} must be an object`);
  return v;
}
