// Client-side checks of a resource document (API.md, "Resource shape"), so a malformed manifest or edit is
// reported before any request is sent.
import { isJsonObject } from '../model/json.js';
import { labelKeyProblem, labelValueProblem } from '../model/labels.js';
import { appNameProblem, deviceNameProblem } from '../model/names.js';
import { METADATA_FIELDS, type Resource, type ResourceKind } from '../model/resource.js';

const TOP_LEVEL = new Set(['apiVersion', 'kind', 'metadata', 'spec', 'status']);
const STRING_FIELDS = ['uid', 'creationTimestamp', 'resourceVersion', 'deletionTimestamp'] as const;

/** The kind a manifest declares with `kind:` (Application, App or Device, any case), if any. */
export function declaredKind(value: Record<string, unknown>): ResourceKind | undefined | 'invalid' {
  if (value.kind === undefined || value.kind === null) return undefined;
  if (typeof value.kind !== 'string') return 'invalid';
  const kind = value.kind.toLowerCase();
  if (kind === 'application' || kind === 'app') return 'application';
  if (kind === 'device') return 'device';
  return 'invalid';
}

/** Everything wrong with `value` as a resource of `kind` (empty when it is fine). */
export function resourceProblems(value: unknown, kind: ResourceKind): string[] {
  if (!isJsonObject(value)) return [`the ${kind} must be an object`];
  const problems: string[] = [];
  for (const key of Object.keys(value)) {
    if (!TOP_LEVEL.has(key)) problems.push(`unknown field "${key}" (expected metadata, spec, status)`);
  }
  const metadata = value.metadata;
  if (!isJsonObject(metadata)) return [...problems, 'metadata must be an object'];
  for (const key of Object.keys(metadata)) {
    if (!METADATA_FIELDS.has(key) || (kind === 'application' && key === 'application')) {
      problems.push(`unknown field "metadata.${key}"`);
    }
  }
  problems.push(...nameProblems(metadata, kind));
  for (const field of STRING_FIELDS) {
    if (!optional(metadata[field], (v) => typeof v === 'string')) problems.push(`metadata.${field} must be a string`);
  }
  const generation = metadata.generation;
  if (!optional(generation, (v) => Number.isSafeInteger(v) && (v as number) >= 0)) {
    problems.push('metadata.generation must be a non-negative integer');
  }
  if (!optional(metadata.finalizers, (v) => Array.isArray(v) && v.every((s) => typeof s === 'string'))) {
    problems.push('metadata.finalizers must be a list of strings');
  }
  problems.push(...labelProblems(metadata.labels));
  if (!optional(metadata.annotations, (v) => isJsonObject(v) && Object.values(v).every((s) => typeof s === 'string'))) {
    problems.push('metadata.annotations must map names to strings');
  }
  for (const section of ['spec', 'status'] as const) {
    if (!optional(value[section], isJsonObject)) problems.push(`${section} must be an object`);
  }
  return problems;
}

function nameProblems(metadata: Record<string, unknown>, kind: ResourceKind): string[] {
  const problems: string[] = [];
  if (typeof metadata.name !== 'string') problems.push('metadata.name must be a string');
  else {
    const problem = kind === 'application' ? appNameProblem(metadata.name) : deviceNameProblem(metadata.name);
    if (problem) problems.push(problem);
  }
  if (kind === 'device') {
    if (typeof metadata.application !== 'string') problems.push('metadata.application must be a string');
    else {
      const problem = appNameProblem(metadata.application);
      if (problem) problems.push(problem);
    }
  }
  return problems;
}

function labelProblems(labels: unknown): string[] {
  if (labels === undefined || labels === null) return [];
  if (!isJsonObject(labels)) return ['metadata.labels must map label keys to strings'];
  return Object.entries(labels).flatMap(([key, value]) => {
    if (typeof value !== 'string') return [`label "${key}" must have a string value`];
    const problem = labelKeyProblem(key) ?? labelValueProblem(value);
    return problem ? [problem] : [];
  });
}

/** null counts as absent (an empty YAML field). */
function optional(v: unknown, ok: (v: unknown) => boolean): boolean {
  return v === undefined || v === null || ok(v);
}

const EMPTY: Record<string, () => unknown> = { labels: () => ({}), annotations: () => ({}), finalizers: () => [] };

/**
 * The resource as the API takes it, from a valid document: `apiVersion` and `kind` dropped; a null (empty YAML)
 * labels, annotations, finalizers, spec or status is an empty one, other null fields are absent.
 */
export function toResource(value: Record<string, unknown>): Resource {
  const metadata: Record<string, unknown> = { ...(value.metadata as Record<string, unknown>) };
  for (const [key, v] of Object.entries(metadata)) {
    if (v !== null) continue;
    if (EMPTY[key]) metadata[key] = EMPTY[key]();
    else delete metadata[key];
  }
  const resource: Resource = { metadata: metadata as unknown as Resource['metadata'] };
  if (value.spec !== undefined) resource.spec = (value.spec as Record<string, unknown> | null) ?? {};
  if (value.status !== undefined) resource.status = (value.status as Record<string, unknown> | null) ?? {};
  return resource;
}
