// The admin API: who am I (members and ownership transfer come with the registry's member support).
import type { FastifyPluginCallback } from 'fastify';

export const adminRoutes: FastifyPluginCallback = (app, _opts, done) => {
  app.get('/api/admin/v1alpha1/user/whoami', (request, reply) => {
    reply.send({ id: request.caller.user });
  });
  done();
};
