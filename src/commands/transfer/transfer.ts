// `drg transfer init USER | accept [APP] | cancel [APP]`: handing an application over to another user.
import { arg, defineCommand } from '../../cli/command.js';
import type { CommandContext } from '../../cli/context.js';
import { DrgError, isApiStatus, UsageError } from '../../errors.js';
import { subjectText } from '../../output/error-words.js';
import { transferAcceptedMessage, transferCancelledMessage, transferStartedMessage } from '../../output/messages.js';
import { checkAppName } from '../../resources/names.js';

const APP_ARG = arg.optional('the application (default: --app or the default app)', 'app');

/** APP as an argument, else `--app`, `$DRG_APP` or the context's default app. */
async function appOf(ctx: CommandContext, app: string | undefined) {
  const session = await ctx.session();
  return { session, app: app !== undefined ? checkAppName(app) : session.requireApp() };
}

export const transferInit = defineCommand({
  path: 'transfer init',
  summary: 'offer the application (--app or the default app) to USER; you stay the owner until they accept',
  args: { user: arg.required('the new owner') },
  examples: [{ command: 'drg transfer init alice --app my-app', description: 'Offer my-app to alice' }],
  async handler({ args }, ctx) {
    if (args.user.trim() === '') throw new UsageError('give the user who is to own the application');
    const { session, app } = await appOf(ctx, undefined);
    try {
      await session.admin.transferOwnership(app, args.user);
    } catch (err) {
      // Drogue Cloud answers 404 to anyone but the owner.
      if (!isApiStatus(err, 404)) throw err;
      throw new DrgError(
        `${subjectText({ kind: 'application', app })} not found, or you are not its owner: only the owner offers it`,
        { cause: err },
      );
    }
    await ctx.out.outcome({ message: transferStartedMessage(app, args.user) });
  },
});

export const transferAccept = defineCommand({
  path: 'transfer accept',
  summary: 'become the owner of an application that was offered to you',
  args: { app: APP_ARG },
  examples: [{ command: 'drg transfer accept my-app', description: 'Take over my-app, which its owner offered you' }],
  async handler({ args }, ctx) {
    const { session, app } = await appOf(ctx, args.app);
    try {
      await session.admin.acceptOwnership(app);
    } catch (err) {
      // Drogue Cloud answers 404 alike for a missing application and for one not offered to the caller.
      if (!isApiStatus(err, 404) && !isApiStatus(err, 403)) throw err;
      const subject = subjectText({ kind: 'application', app });
      const pending = `no transfer of ${subject} to you is pending`;
      throw new DrgError(isApiStatus(err, 404) ? `${subject} not found, or ${pending}` : pending, {
        hint: 'the owner starts one with `drg transfer init YOUR-USER --app APP`; check who you are with `drg whoami`',
        cause: err,
      });
    }
    await ctx.out.outcome({ message: transferAcceptedMessage(app) });
  },
});

export const transferCancel = defineCommand({
  path: 'transfer cancel',
  summary: 'withdraw a pending transfer (the owner), or decline one offered to you',
  args: { app: APP_ARG },
  examples: [{ command: 'drg transfer cancel my-app', description: 'Withdraw (or decline) the offer of my-app' }],
  async handler({ args }, ctx) {
    const { session, app } = await appOf(ctx, args.app);
    if ((await session.admin.getTransfer(app)) === undefined) {
      throw new DrgError(`no transfer of ${subjectText({ kind: 'application', app })} is pending: nothing to cancel`);
    }
    await session.admin.cancelTransfer(app);
    await ctx.out.outcome({ message: transferCancelledMessage(app) });
  },
});
