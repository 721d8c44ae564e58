// Label arguments (kubectl's `key=value` and `key-` syntax), and `drg label`: the changes merged into a resource's
// labels, as a read-modify-write.
import type { RegistryClient } from '../client/registry.js';
import { UsageError } from '../errors.js';
import { labelKeyProblem, labelValueProblem } from '../model/labels.js';
import { type ChangeOutcome, readModifyWrite, type Target } from './target.js';

export function relabel(registry: RegistryClient, target: Target, changes: LabelChanges): Promise<ChangeOutcome> {
  return readModifyWrite(registry, target, (current) => ({
    ...current,
    metadata: { ...current.metadata, labels: applyLabelChanges(current.metadata.labels, changes) },
  }));
}

const LABEL_ARGS_HINT = 'use key=value to set a label and key- to remove one';

export interface LabelChanges {
  set: Record<string, string>;
  remove: string[];
}

/**
 * `key=value` (add or change) and, when `allowRemove`, `key-` (remove) arguments; each argument may hold
 * several, comma-separated (`-l a=1,b=2`). A key given twice with different values, or both set and
 * removed, is an error: which one was meant cannot be known.
 */
export function parseLabelChanges(args: readonly string[], { allowRemove }: { allowRemove: boolean }): LabelChanges {
  // The hint teaches `key-`, which only `drg label` takes.
  const hint = allowRemove ? LABEL_ARGS_HINT : undefined;
  if (args.length === 0) throw new UsageError('no labels given', hint);
  const changes: LabelChanges = { set: {}, remove: [] };
  for (const item of args.flatMap((a) => a.split(','))) {
    const eq = item.indexOf('=');
    if (eq < 0 && allowRemove && item.endsWith('-')) {
      const key = item.slice(0, -1);
      checked(labelKeyProblem(key));
      changes.remove.push(key);
      continue;
    }
    if (eq < 0) {
      throw new UsageError(allowRemove ? `invalid label "${item}"` : `label "${item}" must be key=value`, hint);
    }
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    checked(labelKeyProblem(key) ?? labelValueProblem(value));
    if (Object.hasOwn(changes.set, key) && changes.set[key] !== value) {
      throw new UsageError(`label "${key}" is given twice with different values`);
    }
    changes.set[key] = value;
  }
  const both = changes.remove.find((k) => Object.hasOwn(changes.set, k));
  if (both !== undefined) throw new UsageError(`label "${both}" is both set and removed`);
  return changes;
}

function checked(problem: string | undefined): void {
  if (problem) throw new UsageError(problem);
}

/** The labels after the changes; the input is not modified. */
export function applyLabelChanges(
  labels: Readonly<Record<string, string>> | undefined,
  changes: LabelChanges,
): Record<string, string> {
  const next: Record<string, string> = { ...labels, ...changes.set };
  for (const key of changes.remove) delete next[key];
  return next;
}
