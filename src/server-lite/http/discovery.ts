// Discovery (docs/drogue-api.md): the version and the endpoints this instance really serves.

import type { FastifyPluginCallback } from 'fastify';
import { CONSOLE_INFO, DISCOVERY_ENDPOINTS, DISCOVERY_VERSION } from '../../model/api-paths.js';
import type { Endpoints } from '../../model/endpoints.js';
import { JSON_TYPE } from './errors.js';

export const API_VERSION = '0.11.0';

/** Anonymous: `/.well-known/drogue-version` and `/.well-known/drogue-endpoints`. */
export const wellKnownRoutes: FastifyPluginCallback<{ endpoints: () => Endpoints }> = (app, { endpoints }, done) => {
  const version = JSON.stringify({ version: API_VERSION });
  app.get(DISCOVERY_VERSION, (_request, reply) => {
    reply.type(JSON_TYPE).send(version);
  });
  app.get(DISCOVERY_ENDPOINTS, (_request, reply) => {
    reply.type(JSON_TYPE).send(JSON.stringify(endpoints()));
  });
  done();
};

/** Authenticated: `/api/console/v1alpha1/info`, the endpoints plus `demos`. */
export const consoleInfoRoutes: FastifyPluginCallback<{ endpoints: () => Endpoints }> = (app, { endpoints }, done) => {
  app.get(CONSOLE_INFO, (_request, reply) => {
    reply.type(JSON_TYPE).send(JSON.stringify({ ...endpoints(), demos: [] }));
  });
  done();
};
