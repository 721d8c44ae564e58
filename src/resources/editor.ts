// `drg edit`: the resource as YAML in a private temp file, the user's editor, and reading the result back.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import YAML from 'yaml';
import { jsonEqual } from '../model/json.js';
import type { Resource, ResourceKind } from '../model/resource.js';
import { CliError } from '../output/errors.js';
import { resourceProblems, toResource } from './validate.js';

/** `$VISUAL`, else `$EDITOR`, else `vi`. May carry arguments (`code --wait`): it runs through the shell. */
export function editorCommand(env: NodeJS.ProcessEnv = process.env): string {
  return env.VISUAL?.trim() || env.EDITOR?.trim() || 'vi';
}

/** The text the user edits: a short explanation in comments, then the resource as YAML. */
export function editText(resource: Resource, kind: ResourceKind): string {
  const header = [
    `# Edit the ${kind} below, then save and close the file to apply the change.`,
    "# Lines starting with '#' are ignored. Leave the file unchanged to cancel.",
    '# metadata.name cannot change; metadata.uid and resourceVersion detect concurrent changes.',
  ];
  return `${header.join('\n')}\n${YAML.stringify(resource, { lineWidth: 0 })}`;
}

/** Writes `text` to a new file in a new private directory (0700, file 0600); returns its path. */
export async function createEditFile(baseName: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'drg-edit-'));
  const path = join(dir, `${baseName.replace(/[^A-Za-z0-9._-]/g, '_')}.yaml`);
  await writeFile(path, text, { mode: 0o600, flag: 'wx' });
  return path;
}

export async function removeEditFile(path: string): Promise<void> {
  await rm(dirname(path), { recursive: true, force: true });
}

/**
 * Runs the editor on `path` and waits for it. The path goes to the shell as a positional parameter, never
 * spliced into the command text. When stdout is not a terminal (`-o json` piped), the editor's stdout goes
 * to stderr so stdout stays one document.
 */
export function runEditor(path: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const editor = editorCommand(env);
  const out = process.stdout.isTTY ? 'inherit' : process.stderr;
  const child =
    process.platform === 'win32'
      ? spawn(`${editor} "${path}"`, { shell: true, stdio: ['inherit', out, 'inherit'], env })
      : spawn('/bin/sh', ['-c', `${editor} "$1"`, 'drg-edit', path], { stdio: ['inherit', out, 'inherit'], env });
  return new Promise((resolve, reject) => {
    child.once('error', (err) => reject(new CliError(`cannot run the editor "${editor}": ${err.message}`)));
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else {
        const how = signal ? `was killed by ${signal}` : `exited with status ${code}`;
        reject(new CliError(`the editor "${editor}" ${how}; edit cancelled, no changes made`));
      }
    });
  });
}

export async function readEditFile(path: string): Promise<string> {
  return readFile(path, 'utf8');
}

export type EditResult = { changed: false } | { changed: true; resource: Resource };

/**
 * The edited resource, checked: valid YAML, a valid resource, same name (and application). A uid or
 * resourceVersion the user removed is put back, so the update still detects concurrent changes.
 * Throws a CliError describing the problem (the caller adds where the file is).
 */
export function parseEdited(text: string, original: Resource, kind: ResourceKind): EditResult {
  const lineCounter = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter });
  const error = doc.errors[0];
  if (error) {
    const pos = error.linePos?.[0];
    const where = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
    throw new CliError(
      `invalid YAML${where}: ${error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`,
    );
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined)
    throw new CliError(`the file is empty: to delete the ${kind}, use drg delete`);
  const problems = resourceProblems(value, kind);
  if (problems.length > 0) throw new CliError(`invalid ${kind}: ${problems.join('; ')}`);
  const edited = toResource(value as Record<string, unknown>);
  for (const field of ['name', 'application'] as const) {
    if (edited.metadata[field] !== original.metadata[field]) {
      throw new CliError(`metadata.${field} cannot be changed (it is "${original.metadata[field]}")`);
    }
  }
  if (jsonEqual(edited, original)) return { changed: false };
  for (const field of ['uid', 'resourceVersion'] as const) {
    if (!edited.metadata[field] && original.metadata[field]) edited.metadata[field] = original.metadata[field];
  }
  return { changed: true, resource: edited };
}
