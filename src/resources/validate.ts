// Client-side checks of a manifest, so a malformed one or edit is reported before any request is sent: the
// document rules drg serve applies too (model/documents.ts), and what only a manifest can get wrong.
import { documentProblems } from '../model/documents.js';
import { isJsonObject } from '../model/json.js';
import { appNameProblem } from '../model/names.js';
import type { Resource, ResourceKind } from '../model/resource.js';

const TOP_LEVEL = new Set(['apiVersion', 'kind', 'metadata', 'spec', 'status']);

/** The kind a manifest declares with `kind:` (Application, App or Device, any case), if any. */
export function declaredKind(value: Record<string, unknown>): ResourceKind | undefined | 'invalid' {
  if (value.kind === undefined || value.kind === null) return undefined;
  if (typeof value.kind !== 'string') return 'invalid';
  const kind = value.kind.toLowerCase();
  if (kind === 'application' || kind === 'app') return 'application';
  if (kind === 'device') return 'device';
  return 'invalid';
}

/** Everything wrong with `value` as a manifest of a resource of `kind` (empty when it is fine). */
export function resourceProblems(value: unknown, kind: ResourceKind): string[] {
  if (!isJsonObject(value)) return documentProblems(value, kind);
  const problems: string[] = [];
  for (const key of Object.keys(value)) {
    if (!TOP_LEVEL.has(key)) problems.push(`unknown field "${key}" (expected metadata, spec, status)`);
  }
  problems.push(...documentProblems(value, kind));
  const metadata = value.metadata;
  if (!isJsonObject(metadata)) return problems;
  const application = metadata.application;
  if (kind === 'device') {
    // A present non-string is one of the document's problems.
    if (application === undefined || application === null) problems.push('metadata.application must be a string');
    else if (typeof application === 'string') {
      const problem = appNameProblem(application);
      if (problem) problems.push(problem);
    }
  }
  return problems;
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
