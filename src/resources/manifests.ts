// Reading resource manifests for `drg apply` and `--filename`: JSON or YAML (several documents), from files,
// directories or stdin. Every problem is reported with the file and line, before anything is sent.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { UsageError } from '../errors.js';
import { isJsonObject } from '../model/json.js';

/** Where relative file names are, and stdin (`-`). */
export interface LocalFiles {
  cwd: string;
  readStdin(): Promise<string>;
}

/** One resource document and where it came from (`file:line`, for messages). */
export interface ManifestDocument {
  value: unknown;
  location: string;
}

export interface ManifestSource {
  /** The file name as given, or `<stdin>`. */
  name: string;
  text: string;
  format: 'json' | 'yaml';
}

const MANIFEST_FILE = /\.(json|ya?ml)$/i;

/**
 * Reads every source: `-` is stdin, a directory contributes its `.json`, `.yaml` and `.yml` files (sorted by
 * name, not recursive, hidden files skipped), anything else is read as a file.
 */
export async function readManifestSources(paths: readonly string[], files: LocalFiles): Promise<ManifestSource[]> {
  const sources: ManifestSource[] = [];
  for (const path of paths) {
    if (path === '-') {
      sources.push({ name: '<stdin>', text: await files.readStdin(), format: 'yaml' });
      continue;
    }
    for (const file of await filesOf(path, files.cwd)) {
      sources.push({ name: file, text: await readText(file, files.cwd), format: formatOf(file) });
    }
  }
  return sources;
}

async function filesOf(path: string, cwd: string): Promise<string[]> {
  let isDir: boolean;
  try {
    isDir = (await stat(resolve(cwd, path))).isDirectory();
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${describe(err)}`);
  }
  if (!isDir) return [path];
  const names = (await readdir(resolve(cwd, path), { withFileTypes: true }))
    .filter((e) => !e.name.startsWith('.') && !e.isDirectory() && MANIFEST_FILE.test(e.name))
    .map((e) => e.name)
    .sort();
  if (names.length === 0) throw new UsageError(`${path} contains no .json, .yaml or .yml files`);
  return names.map((n) => join(path, n));
}

async function readText(file: string, cwd: string): Promise<string> {
  try {
    return await readFile(resolve(cwd, file), 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${describe(err)}`);
  }
}

function describe(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  return (err as Error).message;
}

/** `.json` files are JSON; everything else (YAML, which also reads JSON) is YAML. */
function formatOf(file: string): 'json' | 'yaml' {
  return /\.json$/i.test(file) ? 'json' : 'yaml';
}

/**
 * The resource documents of a source. A document that is a list, or a `{"kind": "List", "items": [...]}`,
 * contributes its items; empty YAML documents are skipped.
 */
export function parseManifest(source: ManifestSource): ManifestDocument[] {
  const text = source.text.replace(/^\uFEFF/, '');
  return source.format === 'json' ? parseJson(text, source.name) : parseYaml(text, source.name);
}

function parseJson(text: string, name: string): ManifestDocument[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${jsonErrorLocation(text, name)}: invalid JSON: ${jsonMessage(err as Error)}`);
  }
  return expand(value).map((v, i, all) => ({ value: v, location: all.length > 1 ? `${name} (item ${i + 1})` : name }));
}

/** Node 20's JSON errors rarely carry a position; the YAML parser in JSON mode finds the line. */
function jsonErrorLocation(text: string, name: string): string {
  const lineCounter = new YAML.LineCounter();
  const docs = YAML.parseAllDocuments(text, { lineCounter, schema: 'json' });
  const first = Array.isArray(docs) ? docs.flatMap((d) => d.errors)[0] : undefined;
  if (first?.linePos) return `${name}:${first.linePos[0].line}:${first.linePos[0].col}`;
  return name;
}

function jsonMessage(err: Error): string {
  return err.message.replace(/, ".*" is not valid JSON$/s, '').replace(/ in JSON at position \d+.*$/s, '');
}

function parseYaml(text: string, name: string): ManifestDocument[] {
  const lineCounter = new YAML.LineCounter();
  const parsed = YAML.parseAllDocuments(text, { lineCounter });
  const docs = Array.isArray(parsed) ? parsed : [];
  const out: ManifestDocument[] = [];
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) {
      const pos = error.linePos?.[0];
      const where = pos ? `${name}:${pos.line}:${pos.col}` : name;
      throw new UsageError(
        `${where}: invalid YAML: ${error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`,
      );
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const at = (node: YAML.Node | null | undefined) => {
      const offset = node?.range?.[0] ?? doc.contents?.range?.[0] ?? 0;
      return `${name}:${lineCounter.linePos(offset).line}`;
    };
    const items = itemNodes(doc.contents);
    expand(value).forEach((v, i) => {
      out.push({ value: v, location: at(items ? (items[i] as YAML.Node) : doc.contents) });
    });
  }
  return out;
}

/** The item nodes of a list or a `kind: List` document, to locate each item. */
function itemNodes(contents: YAML.Node | null): unknown[] | undefined {
  if (YAML.isSeq(contents)) return contents.items;
  if (YAML.isMap(contents)) {
    const items = contents.get('items', true);
    if (YAML.isSeq(items) && contents.get('kind') === 'List') return items.items;
  }
  return undefined;
}

function expand(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (isJsonObject(value) && value.kind === 'List' && Array.isArray(value.items)) return value.items;
  return [value];
}
