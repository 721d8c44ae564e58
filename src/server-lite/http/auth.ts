// The hook in front of every authenticated API: sets `request.caller`, or answers 401/403 (503 when the OIDC
// issuer that must check a token cannot be reached). Access tokens are checked synchronously: no promise there.
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler } from 'fastify';
import type { Authentication, Authenticator } from '../identity/authenticator.js';
import { IssuerUnavailableError } from '../identity/oidc/verifier.js';
import type { Caller } from '../registry/access.js';
import { JSON_TYPE, sendError } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller; always has a user behind the authenticate hook. */
    caller: Caller & { user: string };
  }
}

const HOW_TO_AUTHENTICATE =
  'authentication required: send "Authorization: Bearer <OIDC access token>", ' +
  '"Authorization: Basic base64(user:access token)" or the query parameters username and api_key ' +
  '(create a token with: drg create token)';

const FORBIDDEN = JSON.stringify({ error: 'Forbidden' });

export function authenticate(authenticator: Authenticator): onRequestHookHandler {
  return (request, reply, done) => {
    const auth = authenticator.authenticate(request.headers.authorization, request.query as Record<string, unknown>);
    if (!(auth instanceof Promise)) {
      apply(auth, request, reply, done);
      return;
    }
    auth.then(
      (result) => apply(result, request, reply, done),
      (err: unknown) => {
        if (!(err instanceof IssuerUnavailableError)) {
          done(err as Error);
          return;
        }
        reply.header('retry-after', '5');
        sendError(reply, 503, 'ServiceUnavailable', `cannot check the access token now: ${err.message}`);
      },
    );
  };
}

function apply(auth: Authentication, request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
  if (auth.outcome === 'user') {
    request.caller = { user: auth.user };
    done();
  } else if (auth.outcome === 'anonymous') {
    reply.header('www-authenticate', 'Basic realm="drogue"');
    sendError(reply, 401, 'Unauthorized', HOW_TO_AUTHENTICATE);
  } else {
    reply.code(403).type(JSON_TYPE).send(FORBIDDEN);
  }
}
