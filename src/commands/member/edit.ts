// `drg edit member`: the members as YAML in $VISUAL/$EDITOR, written back with the resourceVersion they were
// read with.
import { defineCommand } from '../../cli/command.js';
import { subjectText } from '../../output/error-words.js';
import { EDIT_CANCELLED, membersUpdatedMessage } from '../../output/messages.js';
import { APP_HELP, adminSession, MEMBER_ALIASES } from './shared.js';

export const editMember = defineCommand({
  path: 'edit member',
  aliases: MEMBER_ALIASES,
  summary: "edit the application's members in $VISUAL/$EDITOR (YAML)",
  description: `${APP_HELP}\nIf someone else changes the members while you edit, nothing is overwritten: drg reports the conflict\nand keeps your version.`,
  examples: [{ command: 'drg edit members --app my-app', description: 'Add, change and remove members in one edit' }],
  async handler(_input, ctx) {
    const { editInEditor } = await import('../../resources/editor.js');
    const { membersEditText, parseEditedMembers } = await import('../../resources/members-edit.js');
    const { admin, app } = await adminSession(ctx);
    const current = await admin.getMembers(app);
    const outcome = await editInEditor(
      {
        name: `members-${app}`,
        text: membersEditText(app, current),
        parse: (text) => parseEditedMembers(text, current),
        save: (members) => admin.setMembers(app, members),
        again: `drg edit member --app ${app}`,
        conflict: `${subjectText({ kind: 'members', app })} were changed by someone else since you started editing`,
      },
      { env: ctx.env, stdoutIsTTY: ctx.io.stdout.isTTY },
    );
    await ctx.out.outcome({ message: outcome === 'unchanged' ? EDIT_CANCELLED : membersUpdatedMessage(app) });
  },
});
