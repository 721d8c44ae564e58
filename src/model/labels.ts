// Labels (docs/drogue-api.md, "Resources"): Kubernetes' label key and value rules (and its annotation key rules),
// which the registry enforces, selectors rely on, and the CLI checks before sending (../resources/labels.ts).

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
