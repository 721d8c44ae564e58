// `drg create member USER --role ROLE`: adds a member, or changes a member's role.
import { arg, defineCommand, option } from '../../cli/command.js';
import { MEMBER_ROLES } from '../../model/members.js';
import { memberMessage } from '../../output/messages.js';
import { APP_HELP, adminSession, checkRole, checkUser, writeMembers } from './shared.js';

export const createMember = defineCommand({
  path: 'create member',
  summary: "add a member to the application, or change a member's role",
  args: { user: arg.required('the user') },
  options: {
    role: option.string('--role <role>', 'reader (read), manager (read and write), admin (also members and delete)', {
      choices: MEMBER_ROLES,
    }),
  },
  description: APP_HELP,
  examples: [
    { command: 'drg create member bob --role reader --app my-app', description: 'bob may read my-app and its devices' },
    { command: 'drg create member bob --role admin', description: 'Make bob an admin (also members and delete)' },
  ],
  async handler({ args, options }, ctx) {
    checkUser(args.user);
    const role = checkRole(options.role);
    const { admin, app } = await adminSession(ctx);
    const current = await admin.getMembers(app);
    const before = current.members[args.user]?.role;
    if (before === role) {
      await ctx.out.outcome({ message: memberMessage(args.user, app, { outcome: 'unchanged', role }) });
      return;
    }
    await writeMembers(admin, app, { ...current, members: { ...current.members, [args.user]: { role } } });
    const change = before ? { outcome: 'updated' as const, role, was: before } : { outcome: 'added' as const, role };
    await ctx.out.outcome({ message: memberMessage(args.user, app, change) });
  },
});
