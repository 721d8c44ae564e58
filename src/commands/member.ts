// `drg get|create|edit|delete member`: the members of an application, always read-modify-write with the
// resourceVersion, so a concurrent change is a conflict and nothing is lost.
import type { GlobalOptions } from '../cli.js';
import { AdminClient, type Members } from '../client/admin.js';
import { appSubject } from '../client/registry.js';
import { openSession } from '../client/session.js';
import { isMemberRole, MEMBER_ROLES, type MemberRole } from '../model/members.js';
import { CliError, UsageError } from '../output/errors.js';
import type { OutputFormat } from '../output/format.js';
import { EDIT_CANCELLED, memberMessage, membersUpdatedMessage } from '../output/messages.js';
import { printData, renderTable } from '../output/render.js';
import { asConflict } from '../resources/target.js';
import { outputFormat, reportSuccess } from './common.js';
import { editMembersInEditor } from './member-edit.js';

async function adminSession(globals: GlobalOptions): Promise<{ admin: AdminClient; app: string }> {
  const session = await openSession(globals);
  return { admin: new AdminClient(session.api), app: session.requireApp() };
}

export async function getMembers(globals: GlobalOptions): Promise<void> {
  const format = outputFormat(globals);
  const { admin, app } = await adminSession(globals);
  await printMembers(await admin.getMembers(app), format);
}

async function printMembers(members: Members, format: OutputFormat): Promise<void> {
  const entries = Object.entries(members.members);
  if (format === 'json' || format === 'yaml') {
    await printData(members, format);
  } else if (format === 'name') {
    process.stdout.write(entries.map(([user]) => `member/${user}\n`).join(''));
  } else if (entries.length === 0) {
    process.stdout.write('The application has no members (only its owner has access).\n');
  } else {
    process.stdout.write(renderTable([['USER', 'ROLE'], ...entries.map(([user, { role }]) => [user, role])]));
  }
}

export function checkRole(role: string | undefined): MemberRole {
  if (!isMemberRole(role)) {
    throw new UsageError(
      `--role must be one of ${MEMBER_ROLES.join(', ')}`,
      'e.g. drg create member USER --role reader',
    );
  }
  return role;
}

function checkUser(user: string): string {
  if (user.trim() === '') throw new UsageError('give the user to add');
  return user;
}

/** Adds USER with ROLE, or changes their role. */
export async function createMember(globals: GlobalOptions, user: string, opts: { role?: string }): Promise<void> {
  const format = outputFormat(globals);
  checkUser(user);
  const role = checkRole(opts.role);
  const { admin, app } = await adminSession(globals);
  const current = await admin.getMembers(app);
  const before = current.members[user]?.role;
  if (before === role) {
    reportSuccess(format, memberMessage(user, app, { outcome: 'unchanged', role }));
    return;
  }
  await writeMembers(admin, app, { ...current, members: { ...current.members, [user]: { role } } });
  const change = before ? { outcome: 'updated' as const, role, was: before } : { outcome: 'added' as const, role };
  reportSuccess(format, memberMessage(user, app, change));
}

export async function deleteMember(globals: GlobalOptions, user: string): Promise<void> {
  const format = outputFormat(globals);
  const { admin, app } = await adminSession(globals);
  const current = await admin.getMembers(app);
  if (!(user in current.members)) throw new CliError(`${user} is not a member of ${appSubject(app)}`);
  const { [user]: _removed, ...rest } = current.members;
  await writeMembers(admin, app, { ...current, members: rest });
  reportSuccess(format, memberMessage(user, app, { outcome: 'removed' }));
}

export async function editMembers(globals: GlobalOptions): Promise<void> {
  const format = outputFormat(globals);
  const { admin, app } = await adminSession(globals);
  const outcome = await editMembersInEditor(admin, app);
  reportSuccess(format, outcome === 'unchanged' ? EDIT_CANCELLED : membersUpdatedMessage(app));
}

/** PUT with the resourceVersion that was read: a 409 means someone else changed the members meanwhile. */
async function writeMembers(admin: AdminClient, app: string, members: Members): Promise<void> {
  try {
    await admin.setMembers(app, members);
  } catch (err) {
    throw asConflict(err, `the members of ${appSubject(app)} were changed by someone else meanwhile`, {
      hint: 'nothing was changed: run the command again',
    });
  }
}
