// Labels (docs/drogue-api.md, "Resources"): Kubernetes' label key and value rules (and its annotation key rules),
// which the registry enforces and selectors rely on, and the `key=value` / `key-` syntax of the CLI (kubectl's).

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Returns why `key` is not a valid label key, or undefined when it is. */
export function labelKeyProblem(key: string): string | undefined {
  const problem = qualifiedNameProblem(key);
  return problem && `invalid label key "${key}": ${problem}`;
}

/** Returns why `key` is not a valid annotation key (Kubernetes: the rules of label keys), or undefined. */
export function annotationKeyProblem(key: string): string | undefined {
  const problem = qualifiedNameProblem(key);
  return problem && `invalid annotation key "${key}": ${problem}`;
}

/** Kubernetes' qualified names: an optional DNS subdomain prefix and '/', then a name. */
function qualifiedNameProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return 'the prefix must be a lowercase DNS subdomain of at most 253 characters';
  }
  if (name.length === 0 || name.length > 63 || !NAME.test(name)) {
    return "the name must be 1-63 characters of letters, digits, '-', '_' and '.', starting and ending with a letter or digit";
  }
  return undefined;
}

/** Returns why `value` is not a valid label value, or undefined when it is (the empty value is valid). */
export function labelValueProblem(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63 || !NAME.test(value)) {
    return `invalid label value "${value}": use at most 63 characters of letters, digits, '-', '_' and '.', starting and ending with a letter or digit`;
  }
  return undefined;
}

/** A label argument that cannot be used; the message says why. */
export class LabelSyntaxError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
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
  if (args.length === 0) throw new LabelSyntaxError('no labels given', LABEL_ARGS_HINT);
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
      throw new LabelSyntaxError(
        allowRemove ? `invalid label "${item}"` : `label "${item}" must be key=value`,
        LABEL_ARGS_HINT,
      );
    }
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    checked(labelKeyProblem(key) ?? labelValueProblem(value));
    if (Object.hasOwn(changes.set, key) && changes.set[key] !== value) {
      throw new LabelSyntaxError(`label "${key}" is given twice with different values`);
    }
    changes.set[key] = value;
  }
  const both = changes.remove.find((k) => Object.hasOwn(changes.set, k));
  if (both !== undefined) throw new LabelSyntaxError(`label "${both}" is both set and removed`);
  return changes;
}

function checked(problem: string | undefined): void {
  if (problem) throw new LabelSyntaxError(problem);
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
