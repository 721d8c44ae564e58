// Rendering resources and data in the `-o` formats (drg 0.11 compatible). Pure: text goes to `write`.
import type { ConnectionsBody } from '../model/api-paths.js';
import { deviceAliases, deviceCredentials, deviceDisabled, deviceGateways, listAt } from '../model/device-spec.js';
import { firmwareState, firmwareStatusOf } from '../model/firmware.js';
import type { Resource, ResourceKind } from '../model/resource.js';
import { escapeInline } from './escape.js';
import type { OutputFormat } from './format.js';

type Write = (text: string) => void;

export interface TableOptions {
  /** Leave out the header row (`--no-headers`, as kubectl). */
  noHeaders?: boolean;
}

/** Which devices are connected, where the server tells (drg serve's extension): a CONNECTED column in `-o wide`. */
export type Connections = ConnectionsBody['devices'];

/** A list prints as a list (JSON array), a single resource as one object. */
export async function printResources(
  data: Resource | Resource[],
  format: OutputFormat,
  kind: ResourceKind,
  write: Write,
  options: TableOptions & { now?: number; connections?: Connections } = {},
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
      write(list.map((r) => `${escapeInline(resourceRef(kind, r.metadata.name))}\n`).join(''));
      return;
    case 'table':
    case 'wide':
      write(
        renderTable(
          resourceRows(list, kind, format === 'wide', options.now ?? Date.now(), options.connections),
          options,
        ),
      );
  }
}

/** `application/NAME`, `device/NAME`: how `-o name` prints a resource (like kubectl). */
export function resourceRef(kind: ResourceKind, name: string): string {
  return `${kind}/${name}`;
}

/** Plain data (context, endpoints, ...): JSON for `-o json`, else YAML. */
export async function printData(data: unknown, format: OutputFormat, write: Write): Promise<void> {
  write(format === 'json' ? `${JSON.stringify(data, null, 2)}\n` : await toYaml(data));
}

export async function toYaml(data: unknown): Promise<string> {
  const { stringify } = (await import('yaml')).default;
  return stringify(data);
}

/** The header row and one row per resource. */
function resourceRows(
  list: Resource[],
  kind: ResourceKind,
  wide: boolean,
  now: number,
  connections: Connections | undefined,
): string[][] {
  const columns =
    kind === 'application'
      ? APP_COLUMNS
      : connections
        ? [...DEVICE_COLUMNS.slice(0, 7), connectedColumn(connections), ...DEVICE_COLUMNS.slice(7)]
        : DEVICE_COLUMNS;
  const shown = wide ? columns : columns.slice(0, 2);
  return [shown.map((c) => c.header), ...list.map((r) => shown.map((c) => c.value(r, now)))];
}

interface Column {
  header: string;
  value: (r: Resource, now: number) => string;
}

/** An empty cell, as kubectl writes it. */
const NONE = '<none>';

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
  { header: 'ALIASES', value: (r) => joinOrNone(deviceAliases(r)) },
  { header: 'GATEWAYS', value: (r) => joinOrNone(deviceGateways(r)) },
  { header: 'DISABLED', value: (r) => String(deviceDisabled(r)) },
  { header: 'FIRMWARE', value: (r) => firmwareState(firmwareStatusOf(r)) ?? NONE },
  { header: 'CURRENT', value: (r) => firmwareStatusOf(r)?.current ?? NONE },
  { header: 'TARGET', value: (r) => firmwareStatusOf(r)?.target ?? NONE },
  LABELS,
];

/** `5m (mqtt)`: how long, and over what, a device has been connected; `no` when it is not. */
function connectedColumn(connections: Connections): Column {
  return {
    header: 'CONNECTED',
    value: (r, now) => {
      const connection = connections[r.metadata.name];
      return connection ? `${formatAge(connection.since, now)} (${connection.protocol})` : 'no';
    },
  };
}

/**
 * Columns padded to the widest cell, three spaces apart, like kubectl. The first row is the header (left out
 * with `noHeaders`). Every cell is escaped: what a server or another user named cannot reach the terminal raw.
 */
export function renderTable(rows: string[][], options: TableOptions = {}): string {
  const shown = (options.noHeaders ? rows.slice(1) : rows).map((row) => row.map(escapeInline));
  if (shown.length === 0) return '';
  const widths = shown[0].map((_, i) => Math.max(...shown.map((row) => displayWidth(row[i]))));
  return shown
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
  return entries.length === 0 ? NONE : entries.map(([k, v]) => `${k}=${v}`).join(',');
}

function joinOrNone(values: string[]): string {
  return values.length === 0 ? NONE : values.join(',');
}

/** e.g. `2 (pass,user)`; `<none>`. */
function formatCredentials(credentials: unknown[]): string {
  if (credentials.length === 0) return NONE;
  const types = credentials.map((c) => (c && typeof c === 'object' ? (Object.keys(c)[0] ?? '?') : '?'));
  return `${credentials.length} (${[...new Set(types)].join(',')})`;
}
