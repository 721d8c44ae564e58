// `drg delete member USER`: removes a member from the application.
import { arg, defineCommand } from '../../cli/command.js';
import { DrgError } from '../../errors.js';
import { subjectText } from '../../output/error-words.js';
import { memberMessage } from '../../output/messages.js';
import { APP_HELP, adminSession, checkUser, writeMembers } from './shared.js';

export const deleteMember = defineCommand({
  path: 'delete member',
  summary: 'remove a member from the application',
  args: { user: arg.required('the user', 'member') },
  description: APP_HELP,
  examples: [{ command: 'drg delete member bob --app my-app', description: 'bob loses access to my-app' }],
  async handler({ args }, ctx) {
    checkUser(args.user);
    const { admin, app } = await adminSession(ctx);
    const current = await admin.getMembers(app);
    if (!(args.user in current.members)) {
      throw new DrgError(`${args.user} is not a member of ${subjectText({ kind: 'application', app })}`);
    }
    const { [args.user]: _removed, ...rest } = current.members;
    await writeMembers(admin, app, { ...current, members: rest });
    await ctx.out.outcome({ message: memberMessage(args.user, app, { outcome: 'removed' }) });
  },
});
