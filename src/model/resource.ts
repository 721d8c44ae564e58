// The registry's resource shapes (API.md, "Registry"), shared by client and server.

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

export type Application = Resource;
export type Device = Resource & { metadata: Metadata & { application: string } };

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
  | 'ServiceUnavailable'
  | 'Internal';

export interface ErrorBody {
  error: ErrorKind | string;
  message?: string;
}
