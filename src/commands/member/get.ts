// `drg get member`: the members of the application and their roles.
import { defineCommand } from '../../cli/command.js';
import { isDocumentFormat } from '../../output/format.js';
import { HEADERS } from '../options.js';
import { APP_HELP, adminSession, MEMBER_ALIASES } from './shared.js';

export const getMember = defineCommand({
  path: 'get member',
  aliases: MEMBER_ALIASES,
  summary: "list the application's members and their roles (owner and admins only)",
  description: APP_HELP,
  options: { headers: HEADERS },
  examples: [
    { command: 'drg get members --app my-app', description: 'Who may read, write or administer my-app' },
    { command: 'drg get members -o json', description: 'As JSON, with the resourceVersion' },
  ],
  async handler(_input, ctx) {
    const { admin, app } = await adminSession(ctx);
    const members = await admin.getMembers(app);
    const entries = Object.entries(members.members);
    if (isDocumentFormat(ctx.format)) await ctx.out.data(members);
    else if (ctx.format === 'name') ctx.out.names(entries.map(([user]) => `member/${user}`));
    else {
      ctx.out.table(
        [['USER', 'ROLE'], ...entries.map(([user, { role }]) => [user, role])],
        'The application has no members (only its owner has access).',
      );
    }
  },
});
