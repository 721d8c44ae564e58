// The rules of a resource document (docs/drogue-api.md, "Resources") that client and server both apply: the client
// before it sends a manifest or an edit, drg serve on every create and update.
import { isJsonObject, jsonValueProblem } from './json.js';
import { annotationKeyProblem, labelKeyProblem, labelValueProblem } from './labels.js';
import { appNameProblem, deviceNameProblem } from './names.js';
import { METADATA_FIELDS, type ResourceKind } from './resource.js';

/** What a create or update may set; absent (or null) optional fields as empty values. */
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

const STRING_FIELDS = ['application', 'uid', 'creationTimestamp', 'resourceVersion', 'deletionTimestamp'] as const;

/** Everything wrong with `value` as a document of `kind` (empty when it is fine). */
export function documentProblems(value: unknown, kind: ResourceKind): string[] {
  if (!isJsonObject(value)) return [`the ${kind} must be an object`];
  // Checked first: the other messages would quote the strings it refuses.
  const jsonProblem = jsonValueProblem(value);
  if (jsonProblem) return [jsonProblem];
  const metadata = value.metadata;
  if (!isJsonObject(metadata)) return ['metadata must be an object'];
  const problems: string[] = [];
  for (const key of Object.keys(metadata)) {
    if (!METADATA_FIELDS.has(key) || (kind === 'application' && key === 'application')) {
      problems.push(`unknown field "metadata.${key}"`);
    }
  }
  if (typeof metadata.name !== 'string') problems.push('metadata.name must be a string');
  else {
    const problem = kind === 'application' ? appNameProblem(metadata.name) : deviceNameProblem(metadata.name);
    if (problem) problems.push(problem);
  }
  for (const field of STRING_FIELDS) {
    if (!optional(metadata[field], (v) => typeof v === 'string')) problems.push(`metadata.${field} must be a string`);
  }
  if (!optional(metadata.generation, (v) => Number.isSafeInteger(v) && (v as number) >= 0)) {
    problems.push('metadata.generation must be a non-negative integer');
  }
  if (!optional(metadata.finalizers, (v) => Array.isArray(v) && v.every((s) => typeof s === 'string'))) {
    problems.push('metadata.finalizers must be a list of strings');
  }
  problems.push(...labelProblems(metadata.labels), ...annotationProblems(metadata.annotations));
  for (const section of ['spec', 'status'] as const) {
    if (!optional(value[section], isJsonObject)) problems.push(`${section} must be an object`);
  }
  return problems;
}

/** Kubernetes' rules of label keys and values: what a selector can match. */
function labelProblems(labels: unknown): string[] {
  if (labels === undefined || labels === null) return [];
  if (!isJsonObject(labels)) return ['metadata.labels must map label keys to strings'];
  return Object.entries(labels).flatMap(([key, value]) => {
    const problem =
      typeof value === 'string'
        ? (labelKeyProblem(key) ?? labelValueProblem(value))
        : `label "${key}" must have a string value`;
    return problem ? [problem] : [];
  });
}

/** Annotation values are any text; their keys follow the rules of label keys (as in Kubernetes). */
function annotationProblems(annotations: unknown): string[] {
  if (annotations === undefined || annotations === null) return [];
  if (!isJsonObject(annotations) || !Object.values(annotations).every((v) => typeof v === 'string')) {
    return ['metadata.annotations must map names to strings'];
  }
  return Object.keys(annotations).flatMap((key) => annotationKeyProblem(key) ?? []);
}

/** null counts as absent (an empty YAML field). */
function optional(v: unknown, ok: (v: unknown) => boolean): boolean {
  return v === undefined || v === null || ok(v);
}

/** The client-writable content of a document that has no `documentProblems`. */
export function resourceInput(value: Record<string, unknown>): ResourceInput {
  const metadata = value.metadata as Record<string, unknown>;
  return {
    name: metadata.name as string,
    application: (metadata.application as string | null) || undefined,
    uid: (metadata.uid as string | null) || undefined,
    resourceVersion: (metadata.resourceVersion as string | null) || undefined,
    finalizers: (metadata.finalizers as string[] | null) ?? [],
    labels: (metadata.labels as Record<string, string> | null) ?? {},
    annotations: (metadata.annotations as Record<string, string> | null) ?? {},
    spec: (value.spec as Record<string, unknown> | null) ?? {},
    status: (value.status as Record<string, unknown> | null) ?? {},
  };
}
