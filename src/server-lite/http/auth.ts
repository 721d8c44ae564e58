// The hook in front of every authenticated API: sets `request.caller`, or answers 401/403.
import type { onRequestHookHandler } from 'fastify';
import type { Authenticator } from '../identity/authenticator.js';
import type { Caller } from '../registry/types.js';
import { JSON_TYPE, sendError } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller; always has a user behind the authenticate hook. */
    caller: Caller & { user: string };
  }
}

const HOW_TO_AUTHENTICATE =
  'authentication required: send "Authorization: Basic base64(user:access token)" ' +
  'or the query parameters username and api_key (create a token with: drg create token)';

const FORBIDDEN = JSON.stringify({ error: 'Forbidden' });

export function authenticate(authenticator: Authenticator): onRequestHookHandler {
  return (request, reply, done) => {
    const auth = authenticator.authenticate(request.headers.authorization, request.query as Record<string, unknown>);
    if (auth.outcome === 'user') {
      request.caller = { user: auth.user };
      done();
    } else if (auth.outcome === 'anonymous') {
      reply.header('www-authenticate', 'Basic realm="drogue"');
      sendError(reply, 401, 'Unauthorized', HOW_TO_AUTHENTICATE);
    } else {
      reply.code(403).type(JSON_TYPE).send(FORBIDDEN);
    }
  };
}
