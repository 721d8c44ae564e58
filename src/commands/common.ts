// Small helpers shared by the command modules: output format, flag values validated before any request.
import type { GlobalOptions } from '../cli.js';
import { isJsonObject } from '../model/json.js';
import { appNameProblem, deviceNameProblem } from '../model/names.js';
import type { ResourceKind } from '../model/resource.js';
import { labelKeyProblem, labelValueProblem, parseSelector, SelectorError } from '../model/selector.js';
import { UsageError } from '../output/errors.js';
import { type OutputFormat, parseOutputFormat } from '../output/format.js';
import { type ResourceOutcome, resourceMessage } from '../output/messages.js';
import { printMessage, resourceRef } from '../output/render.js';

export function outputFormat(globals: GlobalOptions): OutputFormat {
  return parseOutputFormat(globals.output);
}

export function checkAppName(name: string): string {
  const problem = appNameProblem(name);
  if (problem) throw new UsageError(problem);
  return name;
}

export function checkDeviceName(name: string): string {
  const problem = deviceNameProblem(name);
  if (problem) throw new UsageError(problem);
  return name;
}

/** `-s/--spec`: a JSON object. */
export function parseSpec(text: string | undefined): Record<string, unknown> | undefined {
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

/** `-l/--labels` on `get`: one or more selectors (each may hold several, comma separated), ANDed. */
export function parseSelectorFlag(values: string[] | undefined): string | undefined {
  if (!values || values.length === 0) return undefined;
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
export function parseLabelAssignments(values: string[] | undefined): Record<string, string> | undefined {
  if (!values || values.length === 0) return undefined;
  const labels: Record<string, string> = {};
  for (const item of values.flatMap((v) => v.split(','))) {
    const eq = item.indexOf('=');
    if (eq < 0) throw new UsageError(`label "${item}" must be key=value`);
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    const problem = labelKeyProblem(key) ?? labelValueProblem(value);
    if (problem) throw new UsageError(problem);
    labels[key] = value;
  }
  return labels;
}

/** A success: the message (human), `{"status":"success",...}` (json), or `kind/name` (name). */
export function reportSuccess(
  format: OutputFormat,
  message: string,
  resource?: { kind: ResourceKind; name: string },
): void {
  if (format === 'name' && resource) process.stdout.write(`${resourceRef(resource.kind, resource.name)}\n`);
  else printMessage(format, { status: 'success', message });
}

/** What happened to one application or device: `Application NAME created` etc.; `application/NAME` with `-o name`. */
export function reportResource(format: OutputFormat, kind: ResourceKind, name: string, outcome: ResourceOutcome): void {
  reportSuccess(format, resourceMessage(kind, name, outcome), { kind, name });
}
