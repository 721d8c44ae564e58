// The registry's resource shapes (docs/drogue-api.md, "Registry"), shared by client and server.
import { jsonEqual } from './json.js';

export interface Metadata {
  name: string;
  application?: string;
  uid?: string;
  creationTimestamp?: string;
  generation?: number;
  resourceVersion?: string;
  deletionTimestamp?: string;
  finalizers?: string[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface Resource {
  metadata: Metadata;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

/** What the registry holds; also how commands, messages and errors name it. */
export type ResourceKind = 'application' | 'device';

export type Application = Resource;
export type Device = Resource & { metadata: Metadata & { application: string } };

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

/** The largest `limit` drg serve takes (larger ones are refused); without `limit`, a listing has everything. */
export const MAX_LIST_LIMIT = 1000;

/** A list request's query (`?labels=&limit=&offset=`). */
export interface ListOptions {
  /** A label selector, unparsed, e.g. `env=prod,!legacy`. */
  labels?: string;
  limit?: number;
  offset?: number;
}

/** A delete body's preconditions: non-empty values must match the stored object's, else 409. */
export interface Preconditions {
  uid?: string;
  resourceVersion?: string;
}

export const METADATA_FIELDS: ReadonlySet<string> = new Set([
  'name',
  'application',
  'uid',
  'creationTimestamp',
  'generation',
  'resourceVersion',
  'deletionTimestamp',
  'finalizers',
  'labels',
  'annotations',
]);

/** The error body of every failed API call. */
export type ErrorKind =
  | 'NotFound'
  | 'Conflict'
  | 'BadRequest'
  | 'ReferenceNotFound'
  | 'OptimisticLockFailed'
  | 'InvalidRequest'
  | 'Forbidden'
  | 'Unauthorized'
  | 'PayloadTooLarge'
  | 'UnsupportedMediaType'
  /** A device endpoint or the command API refused the message: a disabled or missing device, invalid JSON. */
  | 'NotAcceptable'
  | 'MethodNotAllowed'
  | 'ServiceUnavailable'
  | 'Internal';

export interface ErrorBody {
  error: ErrorKind | string;
  message?: string;
}
