// `drg transfer init USER | accept [APP] | cancel [APP]`: handing an application over to another user.
import type { GlobalOptions } from '../cli.js';
import { AdminClient } from '../client/admin.js';
import { appSubject } from '../client/registry.js';
import { openSession, type Session } from '../client/session.js';
import { CliError, UsageError } from '../output/errors.js';
import { transferAcceptedMessage, transferCancelledMessage, transferStartedMessage } from '../output/messages.js';
import { isHttpStatus } from '../resources/target.js';
import { checkAppName, outputFormat, reportSuccess } from './common.js';

/** APP as an argument, else `--app`, `$DRG_APP` or the context's default app. */
function appOf(session: Session, app: string | undefined): string {
  return app !== undefined ? checkAppName(app) : session.requireApp();
}

export async function transferInit(globals: GlobalOptions, user: string): Promise<void> {
  const format = outputFormat(globals);
  if (user.trim() === '') throw new UsageError('give the user who is to own the application');
  const session = await openSession(globals);
  const app = session.requireApp();
  await new AdminClient(session.api).transferOwnership(app, user);
  reportSuccess(format, transferStartedMessage(app, user));
}

export async function transferAccept(globals: GlobalOptions, appArg: string | undefined): Promise<void> {
  const format = outputFormat(globals);
  const session = await openSession(globals);
  const app = appOf(session, appArg);
  try {
    await new AdminClient(session.api).acceptOwnership(app);
  } catch (err) {
    if (!isHttpStatus(err, 403)) throw err;
    throw new CliError(`no transfer of ${appSubject(app)} to you is pending`, {
      ...err.options,
      hint: 'the owner starts one with `drg transfer init YOUR-USER --app APP`; check who you are with `drg whoami`',
    });
  }
  reportSuccess(format, transferAcceptedMessage(app));
}

export async function transferCancel(globals: GlobalOptions, appArg: string | undefined): Promise<void> {
  const format = outputFormat(globals);
  const session = await openSession(globals);
  const app = appOf(session, appArg);
  await new AdminClient(session.api).cancelTransfer(app);
  reportSuccess(format, transferCancelledMessage(app));
}
