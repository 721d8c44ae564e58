// Editing in $VISUAL/$EDITOR: a private temp file, the user's editor, and the result checked and saved. The
// one loop `drg edit app|device` and `drg edit member` share: a problem or a conflict never loses the edit.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import YAML from 'yaml';
import { CancelledError, DrgError, isApiStatus } from '../errors.js';
import { errorWords } from '../output/error-words.js';

/** `$VISUAL`, else `$EDITOR`, else `vi`. May carry arguments (`code --wait`): it runs through the shell. */
function editorCommand(env: Readonly<Record<string, string | undefined>>): string {
  return env.VISUAL?.trim() || env.EDITOR?.trim() || 'vi';
}

/** Writes `text` to a new file in a new private directory (0700, file 0600); returns its path. */
async function createEditFile(baseName: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'drg-edit-'));
  const path = join(dir, `${baseName.replace(/[^A-Za-z0-9._-]/g, '_')}.yaml`);
  await writeFile(path, text, { mode: 0o600, flag: 'wx' });
  return path;
}

async function removeEditFile(path: string): Promise<void> {
  await rm(dirname(path), { recursive: true, force: true });
}

export interface EditorEnvironment {
  env: Readonly<Record<string, string | undefined>>;
  /** When stdout is not a terminal (`-o json` piped), the editor's stdout goes to stderr: stdout stays one document. */
  stdoutIsTTY: boolean;
}

/**
 * Runs the editor on `path` and waits for it. The path goes to the shell as a positional parameter, never
 * spliced into the command text.
 */
function runEditor(path: string, { env, stdoutIsTTY }: EditorEnvironment): Promise<void> {
  const editor = editorCommand(env);
  const out = stdoutIsTTY ? 'inherit' : process.stderr;
  const child =
    process.platform === 'win32'
      ? spawn(`${editor} "${path}"`, { shell: true, stdio: ['inherit', out, 'inherit'], env: { ...env } })
      : spawn('/bin/sh', ['-c', `${editor} "$1"`, 'drg-edit', path], {
          stdio: ['inherit', out, 'inherit'],
          env: { ...env },
        });
  return new Promise((resolve, reject) => {
    child.once('error', (err) => reject(new DrgError(`cannot run the editor "${editor}": ${err.message}`)));
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else {
        // An editor left with an error (vi's :cq) is how a user cancels an edit.
        const how = signal ? `was killed by ${signal}` : `exited with status ${code}`;
        reject(new CancelledError(`the editor "${editor}" ${how}; edit cancelled, no changes made`));
      }
    });
  });
}

/** The YAML of an edit file, or a DrgError saying where it is broken. */
export function parseEditYaml(text: string): unknown {
  const doc = YAML.parseDocument(text);
  const error = doc.errors[0];
  if (error) {
    const pos = error.linePos?.[0];
    const where = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
    throw new DrgError(
      `invalid YAML${where}: ${error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`,
    );
  }
  return doc.toJS();
}

export type Edited<T> = { changed: false } | { changed: true; value: T };

export interface Edit<T> {
  /** Names the temp file. */
  name: string;
  /** What the user starts from. */
  text: string;
  /** The edited text, checked (a DrgError names the problem); `changed: false` when it is as it was. */
  parse(text: string): Edited<T>;
  save(value: T): Promise<void>;
  /** The command that edits again, e.g. `drg edit app a`. */
  again: string;
  /** What a 409 on saving means, e.g. "application 'a' was changed by someone else since you started editing". */
  conflict: string;
  /** A way to keep the edit after a conflict, if there is one. */
  conflictHint?: (path: string) => string;
  /** A way to use the file after fixing a problem in it, if there is one. */
  fixHint?: (path: string) => string;
}

/**
 * Lets the user edit, then saves. When the file is broken or saving fails, the file is kept and the error says
 * where it is; when nothing changed, nothing is saved.
 */
export async function editInEditor<T>(edit: Edit<T>, environment: EditorEnvironment): Promise<'updated' | 'unchanged'> {
  const path = await createEditFile(edit.name, edit.text);
  try {
    await runEditor(path, environment);
  } catch (err) {
    await removeEditFile(path);
    throw err;
  }
  let result: Edited<T>;
  try {
    result = edit.parse(await readFile(path, 'utf8'));
  } catch (err) {
    if (!(err instanceof DrgError)) throw err;
    const again = `run \`${edit.again}\` again`;
    throw new DrgError(`${err.message}; your version is saved in ${path}`, {
      hint: edit.fixHint ? `fix it and ${edit.fixHint(path)}, or ${again}` : again,
    });
  }
  if (!result.changed) {
    await removeEditFile(path);
    return 'unchanged';
  }
  try {
    await edit.save(result.value);
  } catch (err) {
    if (!(err instanceof DrgError)) throw err;
    const saved = `your version is saved in ${path}`;
    if (isApiStatus(err, 409)) {
      throw new DrgError(`${edit.conflict}; ${saved}; re-run \`${edit.again}\` and re-apply your change`, {
        hint: edit.conflictHint?.(path),
        cause: err,
      });
    }
    const words = errorWords(err);
    throw new DrgError(`${words.message}; ${saved}`, { hint: words.hint, cause: err });
  }
  await removeEditFile(path);
  return 'updated';
}
