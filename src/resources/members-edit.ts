// `drg edit member`'s file: the members as YAML, and the edited text checked.
import YAML from 'yaml';
import type { Members } from '../client/admin.js';
import { DrgError } from '../errors.js';
import { isJsonObject, jsonEqual } from '../model/json.js';
import { isMemberRole, MEMBER_ROLES } from '../model/members.js';
import { subjectText } from '../output/error-words.js';
import { type Edited, parseEditYaml } from './editor.js';

export function membersEditText(app: string, members: Members): string {
  const header = [
    `# Edit the members of ${subjectText({ kind: 'application', app })} below, then save and close the file to apply the change.`,
    `# Each member is USER: {role: ROLE}, with ROLE one of ${MEMBER_ROLES.join(', ')}. The owner needs no entry.`,
    "# Lines starting with '#' are ignored. Leave the file unchanged to cancel.",
    '# resourceVersion detects concurrent changes.',
  ];
  return `${header.join('\n')}\n${YAML.stringify(members, { lineWidth: 0 })}`;
}

/** The edited members, checked; the resourceVersion that was read is kept. */
export function parseEditedMembers(text: string, original: Members): Edited<Members> {
  const value = parseEditYaml(text);
  if (value === null || value === undefined) {
    throw new DrgError('the file is empty: to remove every member, write "members: {}"');
  }
  if (!isJsonObject(value)) throw new DrgError('the file must hold an object with "members"');
  const { members } = value;
  const checked: Members['members'] = {};
  if (members !== null) {
    if (!isJsonObject(members)) throw new DrgError('"members" must map users to {role: ROLE}');
    for (const [user, entry] of Object.entries(members)) {
      const role = (entry as { role?: unknown } | null)?.role;
      if (!isMemberRole(role)) throw new DrgError(`member ${user}: role must be one of ${MEMBER_ROLES.join(', ')}`);
      checked[user] = { role };
    }
  }
  if (jsonEqual(checked, original.members)) return { changed: false };
  return { changed: true, value: { resourceVersion: original.resourceVersion, members: checked } };
}
