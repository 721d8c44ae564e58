// Labels as the applications pages take them: `key=value` items, comma-separated, with drg's rules and messages
// (src/model/labels.ts; drg's `--labels` and `drg label` read them the same way).
import { labelKeyProblem, labelValueProblem } from '../../model/labels.js';

/** The labels in `text` (`a=1, b=2`); throws an Error with drg's message for the first invalid one. */
export function parseLabelList(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const item of text.split(',').map((s) => s.trim())) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq < 0) throw new Error(`label "${item}" must be key=value`);
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    const problem = labelKeyProblem(key) ?? labelValueProblem(value);
    if (problem) throw new Error(problem);
    if (Object.hasOwn(labels, key) && labels[key] !== value) {
      throw new Error(`label "${key}" is given twice with different values`);
    }
    labels[key] = value;
  }
  return labels;
}

/** The labels after setting `set` and removing `remove`; the input is not modified. */
export function changedLabels(
  labels: Readonly<Record<string, string>> | undefined,
  set: Readonly<Record<string, string>>,
  remove: readonly string[] = [],
): Record<string, string> {
  const next: Record<string, string> = { ...labels, ...set };
  for (const key of remove) delete next[key];
  return next;
}
