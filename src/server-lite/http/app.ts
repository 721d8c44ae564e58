// The fastify instance every API plugin is registered on: JSON-only bodies up to 1 MiB, our error shape,
// and request logging at debug level (fastify's own logger stays off: it costs a child logger per request).
// It answers through `app.routing`; the socket is the listener's (http/listener.ts).
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { BODY_LIMIT, errorHandler, frameworkErrors, notFoundHandler, pathOf } from './errors.js';

/** Device names are up to 255 bytes, so up to 765 characters percent-encoded. */
const MAX_PARAM_LENGTH = 1024;

export function createHttpApp(logger: Logger): FastifyInstance {
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
    else json(request, body as string, done);
  });

  app.setErrorHandler(errorHandler(logger));
  app.setNotFoundHandler(notFoundHandler);

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
