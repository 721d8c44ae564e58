// The fastify instance every API plugin is registered on: JSON-only bodies up to 1 MiB and 64 levels deep, our
// error shape (405 with Allow for a known path's other methods), and request logging at debug level (fastify's own
// logger stays off: it costs a child logger per request). It answers through `app.routing`; the socket is the
// listener's (http/listener.ts).
import Fastify, { type FastifyInstance, type FastifyRequest, type onRequestHookHandler } from 'fastify';
import type { Logger } from 'pino';
import { jsonTextTooDeep, MAX_JSON_DEPTH } from '../../model/json.js';
import { RateLimitedLog } from '../log-limit.js';
import { BODY_LIMIT, badRequest, errorHandler, frameworkErrors, notFoundHandler, pathOf, sendError } from './errors.js';

/** Device names are up to 255 bytes, so up to 765 characters percent-encoded. */
const MAX_PARAM_LENGTH = 1024;

/** The methods a 405 may list as allowed instead. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

/** `log` rate-limits the errors it logs (by default, its own on `logger`). */
export function createHttpApp(logger: Logger, log = new RateLimitedLog(logger)): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors,
  });

  // Only JSON; an empty body (e.g. a DELETE without preconditions) reads as no body.
  app.removeAllContentTypeParsers();
  // fastify's parser (secure-json-parse: rejects __proto__ and constructor.prototype keys), callback form.
  const json = app.getDefaultJsonParser('error', 'error') as (
    request: FastifyRequest,
    body: string,
    done: (err: Error | null, body?: unknown) => void,
  ) => void;
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') done(null, undefined);
    else if (jsonTextTooDeep(body as string)) {
      done(badRequest(`the request body nests deeper than ${MAX_JSON_DEPTH} levels (the limit)`));
    } else json(request, body as string, done);
  });

  app.setErrorHandler(errorHandler(log));
  app.setNotFoundHandler(notFoundHandler);
  app.addHook('onRequest', methodNotAllowed);

  if (logger.isLevelEnabled('debug')) {
    app.addHook('onResponse', (request, reply, done) => {
      logger.debug(
        { method: request.method, path: pathOf(request), status: reply.statusCode, ms: reply.elapsedTime },
        'request',
      );
      done();
    });
  }
  return app;
}

/** A request whose path is known but not its method: 405 with the methods that are, before its body is read. */
const methodNotAllowed: onRequestHookHandler = (request, reply, done) => {
  if (!request.is404) {
    done();
    return;
  }
  const url = pathOf(request);
  const allowed = METHODS.filter((method) => request.server.findRoute({ method, url }));
  if (allowed.length === 0) {
    done();
    return;
  }
  reply.header('allow', allowed.join(', '));
  sendError(reply, 405, 'MethodNotAllowed', `${request.method} is not a method of ${url}: use ${allowed.join(', ')}`);
};
