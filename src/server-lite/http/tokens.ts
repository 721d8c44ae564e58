// Access tokens of the calling user (docs/drogue-api.md, "Admin and tokens").
import type { FastifyPluginCallback } from 'fastify';
import { TOKENS_BASE } from '../../model/api-paths.js';
import type { AccessTokens } from '../identity/access-tokens.js';
import { badRequest, notFound } from './errors.js';

export const tokenRoutes: FastifyPluginCallback<{ tokens: AccessTokens }> = (app, { tokens }, done) => {
  app.get(TOKENS_BASE, (request, reply) => {
    reply.send(tokens.list(request.caller.user));
  });

  app.post<{ Querystring: { description?: unknown } }>(TOKENS_BASE, (request, reply) => {
    const { description } = request.query;
    if (description !== undefined && typeof description !== 'string') {
      throw badRequest('give the query parameter "description" at most once');
    }
    reply.send(tokens.create(request.caller.user, description || undefined));
  });

  app.delete<{ Params: { prefix: string } }>(`${TOKENS_BASE}/:prefix`, (request, reply) => {
    if (!tokens.delete(request.caller.user, request.params.prefix)) {
      throw notFound(`you have no access token with the prefix ${JSON.stringify(request.params.prefix)}`);
    }
    reply.code(204).send();
  });
  done();
};
