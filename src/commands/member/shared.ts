// What the member commands share: the application's admin API, and writing the members back.
import type { CommandContext } from '../../cli/context.js';
import type { AdminClient, Members } from '../../client/admin.js';
import { UsageError } from '../../errors.js';
import { isMemberRole, MEMBER_ROLES, type MemberRole } from '../../model/members.js';
import { subjectText } from '../../output/error-words.js';
import { asConflict } from '../../resources/target.js';

export const MEMBER_ALIASES = ['members'] as const;
export const APP_HELP = 'The application is --app, else $DRG_APP, else the default app of the context.';

export async function adminSession(ctx: CommandContext): Promise<{ admin: AdminClient; app: string }> {
  const session = await ctx.session();
  return { admin: session.admin, app: session.requireApp() };
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

export function checkUser(user: string): string {
  if (user.trim() === '') throw new UsageError('give the user');
  return user;
}

/** PUT with the resourceVersion that was read: a 409 means someone else changed the members meanwhile. */
export async function writeMembers(admin: AdminClient, app: string, members: Members): Promise<void> {
  try {
    await admin.setMembers(app, members);
  } catch (err) {
    throw asConflict(err, `${subjectText({ kind: 'members', app })} were changed by someone else meanwhile`, {
      hint: 'nothing was changed: run the command again',
    });
  }
}
