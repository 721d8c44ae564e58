// `drg edit member`: the members as YAML in $VISUAL/$EDITOR (the editor machinery of `drg edit`), written back
// with the resourceVersion they were read with.
import YAML from 'yaml';
import type { AdminClient, Members } from '../client/admin.js';
import { appSubject } from '../client/registry.js';
import { isJsonObject, jsonEqual } from '../model/json.js';
import { isMemberRole, MEMBER_ROLES } from '../model/members.js';
import { CliError } from '../output/errors.js';
import { createEditFile, readEditFile, removeEditFile, runEditor } from '../resources/editor.js';

export function membersEditText(app: string, members: Members): string {
  const header = [
    `# Edit the members of ${appSubject(app)} below, then save and close the file to apply the change.`,
    `# Each member is USER: {role: ROLE}, with ROLE one of ${MEMBER_ROLES.join(', ')}. The owner needs no entry.`,
    "# Lines starting with '#' are ignored. Leave the file unchanged to cancel.",
    '# resourceVersion detects concurrent changes.',
  ];
  return `${header.join('\n')}\n${YAML.stringify(members, { lineWidth: 0 })}`;
}

/** The edited members, checked; the resourceVersion that was read is kept. Throws a CliError naming the problem. */
export function parseEditedMembers(text: string, original: Members): Members {
  const doc = YAML.parseDocument(text);
  const error = doc.errors[0];
  if (error) {
    const pos = error.linePos?.[0];
    throw new CliError(`invalid YAML${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}`);
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined)
    throw new CliError('the file is empty: to remove every member, write "members: {}"');
  if (!isJsonObject(value)) throw new CliError('the file must hold an object with "members"');
  const { members } = value;
  if (members === null) return { resourceVersion: original.resourceVersion, members: {} };
  if (!isJsonObject(members)) {
    throw new CliError('"members" must map users to {role: ROLE}');
  }
  const checked: Members['members'] = {};
  for (const [user, entry] of Object.entries(members)) {
    const role = (entry as { role?: unknown } | null)?.role;
    if (!isMemberRole(role)) throw new CliError(`member ${user}: role must be one of ${MEMBER_ROLES.join(', ')}`);
    checked[user] = { role };
  }
  return { resourceVersion: original.resourceVersion, members: checked };
}

/**
 * Reads the members, lets the user edit them and writes them back. On a problem the file is kept and the
 * error says where; a concurrent change is a conflict (409), never overwritten.
 */
export async function editMembersInEditor(admin: AdminClient, app: string): Promise<'updated' | 'unchanged'> {
  const current = await admin.getMembers(app);
  const path = await createEditFile(`members-${app}`, membersEditText(app, current));
  try {
    await runEditor(path);
  } catch (err) {
    await removeEditFile(path);
    throw err;
  }
  let edited: Members;
  try {
    edited = parseEditedMembers(await readEditFile(path), current);
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    throw new CliError(`${err.message}; your version is saved in ${path}`, {
      ...err.options,
      hint: `run \`drg edit member --app ${app}\` again`,
    });
  }
  if (jsonEqual(edited.members, current.members)) {
    await removeEditFile(path);
    return 'unchanged';
  }
  try {
    await admin.setMembers(app, edited);
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    const message =
      err.httpStatus === 409
        ? `the members of ${appSubject(app)} were changed by someone else since you started editing`
        : err.message;
    throw new CliError(`${message}; your version is saved in ${path}`, {
      ...err.options,
      hint: `run \`drg edit member --app ${app}\` again and re-apply your change`,
    });
  }
  await removeEditFile(path);
  return 'updated';
}
