// The provider's interactions (`<mount>/interaction/<uid>`): the login form, throttled (login-throttle.ts) and
// logged, and consent, which is given without asking for the first-party clients `drogue` and `drg-console`.

import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';
import { CONSOLE_CLIENT_ID, DROGUE_CLIENT_ID } from '../../../model/oidc.js';
import type { Db } from '../../store/db.js';
import type { IssuerLogger } from './issuer.js';
import { clientOf, type LoginAttempt, type LoginThrottle } from './login-throttle.js';
import { errorPage, loginPage, PAGE_HEADERS, waitText } from './pages.js';
import { type PasswordPool, PasswordPoolBusyError } from './password-pool.js';
import { checkPassword } from './passwords.js';

const MAX_FORM_BYTES = 16 * 1024;
const WRONG_CREDENTIALS = 'Wrong username or password.';
const BUSY = 'The server is busy checking other logins. Try again in a moment.';
/** User names in logs: as long as the longest valid one, then cut. */
const MAX_LOGGED_NAME = 64;

/** A failure shown to the user as a page with this status and message. */
export class PageError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

const expired = () =>
  new PageError(
    400,
    'Login expired',
    'This login request has expired or was already completed. Start the login again from drg.',
  );

export type InteractionHandler = (req: IncomingMessage, res: ServerResponse, uid: string) => Promise<void>;

export interface InteractionOptions {
  provider: Provider;
  db: Db;
  passwords: PasswordPool;
  throttle: LoginThrottle;
  logger?: IssuerLogger;
}

export function interactionHandler({
  provider,
  db,
  passwords,
  throttle,
  logger,
}: InteractionOptions): InteractionHandler {
  async function handle(req: IncomingMessage, res: ServerResponse, uid: string): Promise<void> {
    const action = (req.url ?? '').split('?')[0];
    // A submitted login form is throttled before the interaction is looked up, so that a refusal costs little.
    const form = req.method === 'POST' ? await readForm(req) : undefined;
    const login = form && { username: form.get('username') ?? '', password: form.get('password') ?? '' };
    const again = (error: string) => loginPage({ action, client: 'drg', username: login?.username, error });
    const address = req.socket.remoteAddress;
    const admission = login && throttle.admit(clientOf(address), login.username);
    if (admission && !admission.allowed) {
      const { waitSeconds } = admission;
      logger?.debug({ user: loggedName(login.username), client: address, waitSeconds }, 'login refused: waiting');
      sendPage(res, 429, again(`Too many failed logins. ${waitText(waitSeconds)}`), {
        'retry-after': String(waitSeconds),
      });
      return;
    }
    try {
      // When no password could be checked now, the interaction is not even looked up: a flood costs little.
      if (login && passwords.full) {
        refuseBusy(res, again, login.username, address);
        return;
      }
      const details = await provider.interactionDetails(req, res).catch((err: unknown) => {
        throw (err as Error).name === 'SessionNotFound' ? expired() : err;
      });
      if (details.uid !== uid) throw expired();
      const client = String(details.params.client_id ?? '');

      if (details.prompt.name === 'consent') {
        if (client !== DROGUE_CLIENT_ID && client !== CONSOLE_CLIENT_ID) {
          throw new PageError(403, 'Not allowed', 'Unknown client.');
        }
        await provider.interactionFinished(req, res, await consent(provider, details), {
          mergeWithLastSubmission: true,
        });
        return;
      }
      if (details.prompt.name !== 'login') throw expired();
      if (req.method === 'GET') {
        sendPage(res, 200, loginPage({ action, client: 'drg' }));
        return;
      }
      if (!login || !admission) throw new PageError(405, 'Not allowed', 'Use the login form.');
      await checkLogin(req, res, login, admission.attempt, again);
    } finally {
      // An attempt that ended in neither failure nor success (an expired login, an error) counts nothing.
      if (admission?.allowed) admission.attempt.abandoned();
    }
  }

  function refuseBusy(res: ServerResponse, again: (error: string) => string, username: string, address?: string) {
    logger?.debug({ user: loggedName(username), client: address }, 'login refused: the password checks are busy');
    sendPage(res, 503, again(BUSY), { 'retry-after': '1' });
  }

  async function checkLogin(
    req: IncomingMessage,
    res: ServerResponse,
    { username, password }: { username: string; password: string },
    attempt: LoginAttempt,
    again: (error: string) => string,
  ): Promise<void> {
    const address = req.socket.remoteAddress;
    const user = loggedName(username);
    let valid: boolean;
    try {
      valid = username !== '' && password !== '' && (await checkPassword(db, passwords, username, password));
    } catch (err) {
      if (!(err instanceof PasswordPoolBusyError)) throw err;
      refuseBusy(res, again, username, address);
      return;
    }
    if (!valid) {
      const { failures, clientFailures, waitSeconds } = attempt.failed();
      const lockout = waitSeconds > 0;
      logger?.warn(
        { user, client: address, failures, clientFailures, lockout, ...(lockout && { waitSeconds }) },
        'login failed',
      );
      sendPage(res, 200, again(lockout ? `${WRONG_CREDENTIALS} ${waitText(waitSeconds)}` : WRONG_CREDENTIALS));
      return;
    }
    attempt.succeeded();
    logger?.info({ user, client: address }, 'login succeeded');
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: username } },
      { mergeWithLastSubmission: false },
    );
  }

  return async (req, res, uid) => {
    try {
      await handle(req, res, uid);
    } catch (err) {
      if (err instanceof PageError) {
        sendPage(res, err.status, errorPage(err.title, err.message));
      } else {
        logger?.error({ err }, 'OIDC login interaction failed');
        sendPage(res, 500, errorPage('Something went wrong', 'The login could not be completed. Try again.'));
      }
    }
  };
}

/** Grants what the client asked for (only ever `drogue` or `drg-console`, first-party clients). */
async function consent(
  provider: Provider,
  details: Awaited<ReturnType<Provider['interactionDetails']>>,
): Promise<InteractionResults> {
  const { prompt, params, session } = details;
  const accountId = session?.accountId;
  if (!accountId) throw expired();
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId, clientId: String(params.client_id) });
  if (!grant) throw expired();
  const missing = prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();
  return { consent: details.grantId ? {} : { grantId } };
}

export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new PageError(415, 'Not allowed', 'Send the login form as application/x-www-form-urlencoded.');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new PageError(413, 'Not allowed', 'The form is too large.');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export function sendPage(res: ServerResponse, status: number, html: string, headers: OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { ...PAGE_HEADERS, ...headers, 'content-length': Buffer.byteLength(html) });
  res.end(html);
}

/** A user name as typed, for a log entry: cut to MAX_LOGGED_NAME characters, control characters escaped. */
function loggedName(name: string): string {
  const chars = [...name];
  const shown = chars
    .slice(0, MAX_LOGGED_NAME)
    .join('')
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`);
  return chars.length > MAX_LOGGED_NAME ? `${shown}…` : shown;
}
