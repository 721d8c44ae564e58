// The registry API (docs/drogue-api.md, "Registry"): applications and their devices.
import type { FastifyPluginCallback, FastifyReply } from 'fastify';
import { REGISTRY_BASE } from '../../model/api-paths.js';
import { isJsonObject } from '../../model/json.js';
import type { ListOptions, Preconditions } from '../../model/resource.js';
import type { Registry } from '../registry/registry.js';
import { badRequest, JSON_TYPE } from './errors.js';
import { type ListingGate, sendListing } from './listings.js';

type AppParams = { Params: { app: string } };
type DeviceParams = { Params: { app: string; device: string } };
type ListQuery = { Querystring: Record<string, unknown> };

function appLocation(app: string): string {
  return `${REGISTRY_BASE}/apps/${encodeURIComponent(app)}`;
}

function deviceLocation(app: string, device: string): string {
  return `${appLocation(app)}/devices/${encodeURIComponent(device)}`;
}

function sendJsonText(reply: FastifyReply, text: string): void {
  reply.type(JSON_TYPE).send(text);
}

function created(reply: FastifyReply, location: string): void {
  reply.code(201).header('location', location).send();
}

function resourceBody(body: unknown): object {
  if (!isJsonObject(body)) {
    throw badRequest('the request body must be a JSON object (the resource)');
  }
  return body;
}

function nonNegativeInteger(query: Record<string, unknown>, name: string): number | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d{1,9}$/.test(value)) {
    throw badRequest(`the query parameter "${name}" must be a non-negative integer`);
  }
  return Number(value);
}

function listOptions(query: Record<string, unknown>): ListOptions {
  const { labels } = query;
  if (labels !== undefined && typeof labels !== 'string') {
    throw badRequest('give the query parameter "labels" at most once; join selectors with ","');
  }
  return {
    labels: labels || undefined,
    limit: nonNegativeInteger(query, 'limit'),
    offset: nonNegativeInteger(query, 'offset'),
  };
}

/** The optional DELETE body `{"preconditions": {"uid": .., "resourceVersion": ..}}`. */
function preconditionsOf(body: unknown): Preconditions | undefined {
  if (body === undefined || body === null) return undefined;
  if (!isJsonObject(body)) throw badRequest('the DELETE body must be a JSON object');
  const { preconditions } = body;
  if (preconditions === undefined || preconditions === null) return undefined;
  if (!isJsonObject(preconditions)) {
    throw badRequest('"preconditions" must be an object with "uid" and/or "resourceVersion"');
  }
  const { uid, resourceVersion } = preconditions;
  for (const [name, value] of [
    ['uid', uid],
    ['resourceVersion', resourceVersion],
  ] as const) {
    if (value !== undefined && value !== null && typeof value !== 'string') {
      throw badRequest(`"preconditions.${name}" must be a string`);
    }
  }
  return {
    ...(uid ? { uid: uid as string } : {}),
    ...(resourceVersion ? { resourceVersion: resourceVersion as string } : {}),
  };
}

export const registryRoutes: FastifyPluginCallback<{ registry: Registry; listings: ListingGate }> = (
  app,
  { registry, listings },
  done,
) => {
  const { applications, devices } = registry;
  app.post(`${REGISTRY_BASE}/apps`, (request, reply) => {
    const { name } = applications.create(request.caller, resourceBody(request.body));
    created(reply, appLocation(name));
  });
  app.get<ListQuery>(`${REGISTRY_BASE}/apps`, (request, reply) =>
    sendListing(reply, listings, applications.list(request.caller, listOptions(request.query))),
  );
  app.get<AppParams>(`${REGISTRY_BASE}/apps/:app`, (request, reply) => {
    sendJsonText(reply, applications.get(request.caller, request.params.app));
  });
  app.put<AppParams>(`${REGISTRY_BASE}/apps/:app`, (request, reply) => {
    applications.update(request.caller, request.params.app, resourceBody(request.body));
    reply.code(204).send();
  });
  app.delete<AppParams>(`${REGISTRY_BASE}/apps/:app`, (request, reply) => {
    applications.delete(request.caller, request.params.app, preconditionsOf(request.body));
    reply.code(204).send();
  });

  app.post<AppParams>(`${REGISTRY_BASE}/apps/:app/devices`, (request, reply) => {
    const { app: application } = request.params;
    const { name } = devices.create(request.caller, application, resourceBody(request.body));
    created(reply, deviceLocation(application, name));
  });
  app.get<AppParams & ListQuery>(`${REGISTRY_BASE}/apps/:app/devices`, (request, reply) =>
    sendListing(reply, listings, devices.list(request.caller, request.params.app, listOptions(request.query))),
  );
  app.get<DeviceParams>(`${REGISTRY_BASE}/apps/:app/devices/:device`, (request, reply) => {
    sendJsonText(reply, devices.get(request.caller, request.params.app, request.params.device));
  });
  app.put<DeviceParams>(`${REGISTRY_BASE}/apps/:app/devices/:device`, (request, reply) => {
    const { app: application, device } = request.params;
    devices.update(request.caller, application, device, resourceBody(request.body));
    reply.code(204).send();
  });
  app.delete<DeviceParams>(`${REGISTRY_BASE}/apps/:app/devices/:device`, (request, reply) => {
    const { app: application, device } = request.params;
    devices.delete(request.caller, application, device, preconditionsOf(request.body));
    reply.code(204).send();
  });
  done();
};
