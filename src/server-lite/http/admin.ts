// The admin API (docs/drogue-api.md, "Admin and tokens"): who am I, application members, ownership transfer.
import type { FastifyPluginCallback } from 'fastify';
import { ADMIN_BASE } from '../../model/api-paths.js';
import { isJsonObject } from '../../model/json.js';
import type { Registry } from '../registry/registry.js';
import { badRequest } from './errors.js';

const APPS = `${ADMIN_BASE}/apps/:app`;
type AppParams = { Params: { app: string } };

function objectBody(body: unknown, shape: string): Record<string, unknown> {
  if (!isJsonObject(body)) {
    throw badRequest(`the request body must be a JSON object: ${shape}`);
  }
  return body;
}

export const adminRoutes: FastifyPluginCallback<{ registry: Registry }> = (app, { registry }, done) => {
  app.get(`${ADMIN_BASE}/user/whoami`, (request, reply) => {
    reply.send({ id: request.caller.user });
  });

  app.get<AppParams>(`${APPS}/members`, (request, reply) => {
    reply.send(registry.members.get(request.caller, request.params.app));
  });

  app.put<AppParams>(`${APPS}/members`, (request, reply) => {
    const { resourceVersion, members } = objectBody(
      request.body,
      '{"resourceVersion": "..", "members": {"<user>": {"role": "reader|manager|admin"}}}',
    );
    if (resourceVersion !== undefined && resourceVersion !== null && typeof resourceVersion !== 'string') {
      throw badRequest('resourceVersion must be a string');
    }
    registry.members.set(request.caller, request.params.app, members, resourceVersion || undefined);
    reply.code(204).send();
  });

  app.put<AppParams>(`${APPS}/transfer-ownership`, (request, reply) => {
    const { newUser } = objectBody(request.body, '{"newUser": "<user>"}');
    if (typeof newUser !== 'string') throw badRequest('newUser must name a user');
    registry.transfers.offer(request.caller, request.params.app, newUser);
    reply.code(202).send();
  });

  app.get<AppParams>(`${APPS}/transfer-ownership`, (request, reply) => {
    const newUser = registry.transfers.get(request.caller, request.params.app);
    if (newUser === undefined) reply.code(204).send();
    else reply.send({ newUser });
  });

  app.delete<AppParams>(`${APPS}/transfer-ownership`, (request, reply) => {
    registry.transfers.cancel(request.caller, request.params.app);
    reply.code(204).send();
  });

  app.put<AppParams>(`${APPS}/accept-ownership`, (request, reply) => {
    registry.transfers.accept(request.caller, request.params.app);
    reply.code(204).send();
  });
  done();
};
