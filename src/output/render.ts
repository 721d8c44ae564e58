// Printing resources and outcome messages in the `-o` formats (drg 0.11 compatible).
import type { Resource, ResourceKind } from '../model/resource.js';
import type { OutputFormat } from './format.js';

export interface Message {
  status: 'success' | 'failure';
  message: string;
  httpStatus?: number;
}

type Write = (text: string) => void;
const stdout: Write = (text) => {
  process.stdout.write(text);
};

/** A list prints as a list (JSON array), a single resource as one object. */
export async function printResources(
  data: Resource | Resource[],
  format: OutputFormat,
  kind: ResourceKind,
  write: Write = stdout,
): Promise<void> {
  const list = Array.isArray(data) ? data : [data];
  switch (format) {
    case 'json':
      write(`${JSON.stringify(data, null, 2)}\n`);
      return;
    case 'yaml':
      write(await toYaml(data));
      return;
    case 'name':
      write(list.map((r) => `${resourceRef(kind, r.metadata.name)}\n`).join(''));
      return;
    case 'table':
    case 'wide':
      write(renderTable(tableRows(list, kind, format === 'wide')));
  }
}

/** `application/NAME`, `device/NAME`: how `-o name` prints a resource (like kubectl). */
export function resourceRef(kind: ResourceKind, name: string): string {
  return `${kind}/${name}`;
}

/** Plain data (context, endpoints, ...): JSON for `-o json`, else YAML. */
export async function printData(data: unknown, format: OutputFormat, write: Write = stdout): Promise<void> {
  write(format === 'json' ? `${JSON.stringify(data, null, 2)}\n` : await toYaml(data));
}

/**
 * An outcome: with `-o json` exactly one document `{"status","message","http_status"?}` on stdout; else the
 * message as one line (on stdout for success, stderr for failure).
 */
export function printMessage(format: OutputFormat, message: Message, write: Write = stdout): void {
  if (format === 'json') {
    const doc: Record<string, unknown> = { status: message.status, message: message.message };
    if (message.httpStatus !== undefined) doc.http_status = message.httpStatus;
    write(`${JSON.stringify(doc, null, 2)}\n`);
  } else if (message.status === 'success') {
    write(`${message.message}\n`);
  } else {
    process.stderr.write(`error: ${message.message}\n`);
  }
}

export async function toYaml(data: unknown): Promise<string> {
  const { stringify } = (await import('yaml')).default;
  return stringify(data);
}

function tableRows(list: Resource[], kind: ResourceKind, wide: boolean): string[][] {
  const now = Date.now();
  const columns = kind === 'application' ? APP_COLUMNS : DEVICE_COLUMNS;
  const shown = wide ? columns : columns.slice(0, 2);
  return [shown.map((c) => c.header), ...list.map((r) => shown.map((c) => c.value(r, now)))];
}

interface Column {
  header: string;
  value: (r: Resource, now: number) => string;
}

const NAME: Column = { header: 'NAME', value: (r) => r.metadata.name };
const AGE: Column = { header: 'AGE', value: (r, now) => formatAge(r.metadata.creationTimestamp, now) };
const LABELS: Column = { header: 'LABELS', value: (r) => formatLabels(r.metadata.labels) };
const STATUS: Column = { header: 'STATUS', value: (r) => (r.metadata.deletionTimestamp ? 'Deleting' : 'Active') };

const APP_COLUMNS: Column[] = [
  NAME,
  AGE,
  STATUS,
  { header: 'TRUST-ANCHORS', value: (r) => String(listAt(r.spec, 'trustAnchors', 'anchors').length) },
  LABELS,
];

const DEVICE_COLUMNS: Column[] = [
  NAME,
  AGE,
  STATUS,
  { header: 'CREDENTIALS', value: (r) => formatCredentials(deviceCredentials(r)) },
  { header: 'ALIASES', value: (r) => joinOrNone(stringsAt(r.spec, 'alias')) },
  { header: 'GATEWAYS', value: (r) => joinOrNone(stringsAt(r.spec, 'gatewaySelector', 'matchNames')) },
  { header: 'DISABLED', value: (r) => String(objectAt(r.spec, 'core')?.disabled === true) },
  LABELS,
];

/** Columns padded to the widest cell, three spaces apart, like kubectl. */
export function renderTable(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => displayWidth(row[i]))));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i] - displayWidth(cell) + 3)))
        .join('')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}

function displayWidth(text: string): number {
  return [...text].length;
}

/** kubectl's short age: `45s`, `3m`, `2h`, `4d`, `2y`; `<unknown>` without a timestamp. */
export function formatAge(timestamp: string | undefined, now: number = Date.now()): string {
  const then = timestamp ? Date.parse(timestamp) : Number.NaN;
  if (Number.isNaN(then)) return '<unknown>';
  const seconds = Math.floor((now - then) / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 60) return `${Math.max(seconds, 0)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (days < 365) return `${days}d`;
  return `${Math.floor(days / 365)}y`;
}

function formatLabels(labels: Record<string, string> | undefined): string {
  const entries = Object.entries(labels ?? {});
  return entries.length === 0 ? '<none>' : entries.map(([k, v]) => `${k}=${v}`).join(',');
}

function joinOrNone(values: string[]): string {
  return values.length === 0 ? '<none>' : values.join(',');
}

/** Credentials from `authentication.credentials`, else the older `credentials.credentials`. */
export function deviceCredentials(device: Resource): unknown[] {
  const current = listAt(device.spec, 'authentication', 'credentials');
  return current.length > 0 ? current : listAt(device.spec, 'credentials', 'credentials');
}

/** e.g. `2 (pass,user)`; `<none>`. */
function formatCredentials(credentials: unknown[]): string {
  if (credentials.length === 0) return '<none>';
  const types = credentials.map((c) => (c && typeof c === 'object' ? (Object.keys(c)[0] ?? '?') : '?'));
  return `${credentials.length} (${[...new Set(types)].join(',')})`;
}

function objectAt(value: unknown, ...path: string[]): Record<string, unknown> | undefined {
  let current = value;
  for (const key of path) {
    if (!current || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current && typeof current === 'object' && !Array.isArray(current)
    ? (current as Record<string, unknown>)
    : undefined;
}

function listAt(value: unknown, ...path: string[]): unknown[] {
  const parent = objectAt(value, ...path.slice(0, -1));
  const list = parent?.[path[path.length - 1]];
  return Array.isArray(list) ? list : [];
}

function stringsAt(value: unknown, ...path: string[]): string[] {
  return listAt(value, ...path).filter((v): v is string => typeof v === 'string');
}
