// Options and arguments several commands share, and their values checked before any request.
import { option } from '../cli/command.js';
import { UsageError } from '../errors.js';
import { isJsonObject } from '../model/json.js';
import type { ResourceKind } from '../model/resource.js';
import { parseSelector, SelectorError } from '../model/selector.js';
import { type LabelChanges, parseLabelChanges } from '../resources/labels.js';

export const APP_ALIASES = ['apps', 'application', 'applications'] as const;
export const DEVICE_ALIASES = ['devices'] as const;

export const IGNORE_MISSING = option.boolean('--ignore-missing', 'succeed if it does not exist');

export const HEADERS = option.boolean('--no-headers', 'leave out the header row of tables');

export const SELECTOR = option.list(
  '-l, --labels <selector>',
  'only those matching the label selector (e.g. env=prod,!legacy); repeatable, ANDed',
);

export const SPEC = option.string('-s, --spec <json>', 'the spec, as a JSON object');
/** drg 0.11 also spelled `--spec` as `--data`. */
export const DATA = option.string('--data <json>', 'same as --spec', { hidden: true });

export const FILENAME = option.string(
  '-f, --filename <file>',
  'the whole resource from a JSON or YAML file (- for stdin); the name comes from it',
);
export const LABELS = option.list('-l, --labels <key=value,...>', 'labels to set (repeatable)');

/** `--filename` brings the whole resource: neither a NAME nor `--spec` beside it. */
export function checkFilenameAlone(kind: ResourceKind, name: string | undefined, spec: unknown): void {
  if (name !== undefined) throw new UsageError(`give the ${kind} NAME or --filename, not both`);
  if (spec !== undefined) throw new UsageError('--spec cannot be combined with --filename');
}

/** `-s/--spec`: a JSON object. */
export function parseSpecFlag(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(
      `--spec is not valid JSON: ${(err as Error).message}`,
      `example: --spec '{"core":{"disabled":false}}'`,
    );
  }
  if (!isJsonObject(value)) throw new UsageError('--spec must be a JSON object');
  return value;
}

/** `-l/--labels` on a listing: one or more selectors (each may hold several, comma separated), ANDed. */
export function parseSelectorFlag(values: readonly string[]): string | undefined {
  if (values.length === 0) return undefined;
  const selector = values.join(',');
  try {
    parseSelector(selector);
  } catch (err) {
    if (err instanceof SelectorError) throw new UsageError(err.message);
    throw err;
  }
  return selector;
}

/** `--labels k=v,k2=v2` on `create`: the labels to set. */
export function parseLabelFlag(values: readonly string[]): Record<string, string> | undefined {
  if (values.length === 0) return undefined;
  return parseLabelChanges(values, { allowRemove: false }).set;
}

/** `drg label`'s `k=v` and `k-` arguments. */
export function parseLabelArgs(args: readonly string[]): LabelChanges {
  return parseLabelChanges(args, { allowRemove: true });
}
