// `drg label`: parsing `k=v` / `k-` arguments (kubectl syntax) and merging them into existing labels.
import { labelKeyProblem, labelValueProblem } from '../model/selector.js';
import { UsageError } from '../output/errors.js';

export interface LabelChanges {
  set: Record<string, string>;
  remove: string[];
}

/** Parses `key=value` (add or change) and `key-` (remove) arguments; invalid ones are a UsageError. */
export function parseLabelArgs(args: readonly string[]): LabelChanges {
  if (args.length === 0) throw new UsageError('no labels given', 'use key=value to set a label and key- to remove one');
  const changes: LabelChanges = { set: {}, remove: [] };
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq < 0 && arg.endsWith('-')) {
      const key = arg.slice(0, -1);
      checkKey(key);
      changes.remove.push(key);
      continue;
    }
    if (eq < 0) {
      throw new UsageError(`invalid label "${arg}"`, 'use key=value to set a label and key- to remove one');
    }
    const key = arg.slice(0, eq);
    const value = arg.slice(eq + 1);
    checkKey(key);
    const problem = labelValueProblem(value);
    if (problem) throw new UsageError(problem);
    if (Object.hasOwn(changes.set, key) && changes.set[key] !== value) {
      throw new UsageError(`label "${key}" is given twice with different values`);
    }
    changes.set[key] = value;
  }
  const both = changes.remove.find((k) => Object.hasOwn(changes.set, k));
  if (both !== undefined) throw new UsageError(`label "${both}" is both set and removed`);
  return changes;
}

function checkKey(key: string): void {
  const problem = labelKeyProblem(key);
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
