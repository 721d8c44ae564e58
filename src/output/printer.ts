// Where a command's output goes, in the `-o` format asked for. One rule for every command that changes
// something (an outcome): `-o json` prints one document `{"status": "success", "message": ...}` (drg 0.11's
// shape, plus fields such as `results` where a command has more to say), `-o yaml` the same document as YAML,
// `-o name` the `kind/name` of each resource it changed, and the table formats the message. Failures follow
// the same rule (src/cli/report.ts): `{"status": "failure", "message": ..., "http_status"?: ...}`.
// Human output is escaped (./escape.ts); machine formats carry the data as it is.
import type { OutputStream } from '../cli/io.js';
import type { Resource, ResourceKind } from '../model/resource.js';
import { type Colors, colorsFor } from './colors.js';
import { escapeInline, escapeText } from './escape.js';
import { isDocumentFormat, isMachineFormat, type OutputFormat } from './format.js';
import { type Connections, printData, printResources, renderTable, resourceRef, toYaml } from './render.js';

export interface ResourceRef {
  kind: ResourceKind;
  name: string;
}

export interface Outcome {
  message: string;
  /** What was changed, for `-o name`. */
  resources?: ResourceRef[];
  /** More fields of the `-o json|yaml` document. */
  details?: Record<string, unknown>;
}

export interface OutcomeDocument {
  status: 'success' | 'failure';
  message: string;
  http_status?: number;
  [key: string]: unknown;
}

export interface PrinterOptions {
  noHeaders?: boolean;
  /** For ages in tables. */
  now: () => number;
  env: Readonly<Record<string, string | undefined>>;
}

export class Printer {
  constructor(
    private readonly stdout: OutputStream,
    private readonly stderr: OutputStream,
    readonly format: OutputFormat,
    private readonly options: PrinterOptions,
  ) {}

  get machine(): boolean {
    return isMachineFormat(this.format);
  }

  /**
   * `get`: one resource (an object) or a list (an array); an empty list says so on stderr in table formats.
   * `connections` adds the devices' CONNECTED column to `-o wide`.
   */
  async resources(data: Resource | Resource[], kind: ResourceKind, connections?: Connections): Promise<void> {
    if (Array.isArray(data) && data.length === 0 && !this.machine) {
      this.note(`No ${kind === 'application' ? 'applications' : 'devices'} found.`);
      return;
    }
    await printResources(data, this.format, kind, this.write, {
      noHeaders: this.options.noHeaders,
      now: this.options.now(),
      connections,
    });
  }

  /** Plain data: JSON for `-o json`, else YAML. */
  async data(value: unknown): Promise<void> {
    await printData(value, this.format, this.write);
  }

  /**
   * A table (first row the header) for the table formats. `empty` is said on stderr instead of a bare header
   * when there are no rows.
   */
  table(rows: string[][], empty: string): void {
    if (rows.length <= 1) {
      this.note(empty);
      return;
    }
    this.write(renderTable(rows, { noHeaders: this.options.noHeaders }));
  }

  /** `-o name`: one name per line, each escaped as a whole. */
  names(names: readonly string[]): void {
    this.write(names.map((n) => `${escapeInline(n)}\n`).join(''));
  }

  /** A line of text for people on stdout, escaped. */
  line(text: string): void {
    this.write(`${escapeText(text)}\n`);
  }

  /** What a command changed, by the rule above. */
  async outcome(outcome: Outcome): Promise<void> {
    if (this.format === 'name' && outcome.resources?.length) {
      this.names(outcome.resources.map((r) => resourceRef(r.kind, r.name)));
      return;
    }
    if (isDocumentFormat(this.format)) {
      await this.document({ status: 'success', message: outcome.message, ...outcome.details });
      return;
    }
    this.line(outcome.message);
  }

  /** An outcome document on stdout, as JSON or YAML. */
  async document(doc: OutcomeDocument): Promise<void> {
    this.write(this.format === 'yaml' ? await toYaml(doc) : `${JSON.stringify(doc, null, 2)}\n`);
  }

  /** A line for people on stderr (progress, notes); never on stdout, so machine output stays one document. */
  note(text: string): void {
    this.stderr.write(`${escapeText(text)}\n`);
  }

  warn(text: string): void {
    this.stderr.write(`${this.colors().yellow('warning:')} ${escapeText(text)}\n`);
  }

  /** A failure for people on stderr: `error: MESSAGE`, then the hint dimmed. */
  error(message: string, hint?: string): void {
    const c = this.colors();
    this.stderr.write(`${c.red('error:')} ${escapeText(message)}\n`);
    if (hint) this.stderr.write(`${c.dim(escapeText(hint))}\n`);
  }

  colors(stream: 'stdout' | 'stderr' = 'stderr'): Colors {
    return colorsFor(stream === 'stdout' ? this.stdout : this.stderr, this.options.env, this.format);
  }

  private readonly write = (text: string): void => {
    this.stdout.write(text);
  };
}
