// Every failure leaves the server as `{"error": kind, "message": ...}` (docs/drogue-api.md), never fastify's own shape.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorKind } from '../../model/resource.js';
import type { RateLimitedLog } from '../log-limit.js';
import { RegistryError, type RegistryErrorKind } from '../registry/errors.js';

export const BODY_LIMIT = 1024 * 1024;

/** A request the HTTP layer refuses itself (its shape: query parameters, body): a status and the API's error body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export const badRequest = (message: string) => new ApiError(400, 'BadRequest', message);
export const notFound = (message: string) => new ApiError(404, 'NotFound', message);

/** The status of each registry error (docs/drogue-api.md, "Errors"). */
export const REGISTRY_STATUS: Readonly<Record<RegistryErrorKind, number>> = {
  BadRequest: 400,
  Forbidden: 403,
  NotFound: 404,
  ReferenceNotFound: 404,
  Conflict: 409,
  OptimisticLockFailed: 409,
};

export const JSON_TYPE = 'application/json; charset=utf-8';

export function sendError(reply: FastifyReply, status: number, kind: ErrorKind, message: string): void {
  reply
    .code(status)
    .type(JSON_TYPE)
    .send(JSON.stringify({ error: kind, message }));
}

/** The request path without the query string (which may carry credentials), as the client sent it. */
export function pathOf(request: FastifyRequest): string {
  const url = request.originalUrl;
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function kindOf(status: number): ErrorKind {
  if (status === 404) return 'NotFound';
  if (status === 413) return 'PayloadTooLarge';
  if (status === 401) return 'Unauthorized';
  if (status === 403) return 'Forbidden';
  if (status === 409) return 'Conflict';
  return 'BadRequest';
}

type ClientError = [status: number, kind: ErrorKind, message: string];

/** The client's mistake behind an error fastify raised, or undefined when it is not one. */
function clientError(err: FastifyError, request: FastifyRequest): ClientError | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return [400, 'BadRequest', 'the request body is not valid JSON'];
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return [413, 'PayloadTooLarge', `the request body is larger than ${BODY_LIMIT} bytes (1 MiB)`];
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': {
      const type = request.headers['content-type'];
      const problem = type
        ? `unsupported content type ${JSON.stringify(type)}`
        : 'the request body has no content type';
      return [415, 'UnsupportedMediaType', `${problem}: send application/json`];
    }
  }
  const status = err.statusCode;
  return status !== undefined && status >= 400 && status < 500 ? [status, kindOf(status), err.message] : undefined;
}

/**
 * Maps thrown errors: RegistryError by its kind, ApiError as declared, fastify's client errors to our kinds,
 * anything else to 500, logged (the first of a kind in full, its repeats counted).
 */
export function errorHandler(log: RateLimitedLog) {
  return (err: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    if (err instanceof RegistryError) {
      sendError(reply, REGISTRY_STATUS[err.kind], err.kind, err.message);
      return;
    }
    if (err instanceof ApiError) {
      sendError(reply, err.status, err.kind, err.message);
      return;
    }
    const known = clientError(err, request);
    if (known) {
      sendError(reply, ...known);
      return;
    }
    log.error(
      `${request.method} ${request.routeOptions.url}: ${err.message}`,
      {
        err: { type: err.name, message: err.message, stack: err.stack },
        method: request.method,
        path: pathOf(request),
      },
      'request failed',
    );
    sendError(reply, 500, 'Internal', 'internal error');
  };
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  sendError(reply, 404, 'NotFound', `no such API: ${request.method} ${pathOf(request)}`);
}

/** Errors fastify raises before routing (a path that is not valid percent-encoding, an over-long segment). */
export function frameworkErrors(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const message =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'a path segment of the request is too long'
      : 'the request path is not valid percent-encoded UTF-8';
  sendError(reply, 400, 'BadRequest', message);
}
