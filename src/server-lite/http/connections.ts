// drg serve's extension (docs/drogue-api.md, "drg serve extensions"): the devices of an application connected now,
// for `drg get devices -o wide`, and when each was last seen. Read access to the application, as for its devices.
import type { FastifyPluginCallback } from 'fastify';
import { CONNECTIONS_BASE, type ConnectionsBody } from '../../model/api-paths.js';
import type { DeviceConnections } from '../devices/connections.js';
import type { Registry } from '../registry/registry.js';
import { JSON_TYPE } from './errors.js';

export const connectionRoutes: FastifyPluginCallback<{ registry: Registry; connections: DeviceConnections }> = (
  api,
  { registry, connections },
  done,
) => {
  api.get<{ Params: { app: string } }>(`${CONNECTIONS_BASE}/apps/:app`, (request, reply) => {
    const { app } = request.params;
    registry.applications.get(request.caller, app);
    const body: Required<ConnectionsBody> = { devices: {}, lastSeen: {} };
    for (const [device, { since, protocol }] of connections.connected(app)) {
      body.devices[device] = { since: since.toISOString(), protocol };
    }
    for (const [device, time] of connections.lastSeen(app)) body.lastSeen[device] = new Date(time).toISOString();
    reply.type(JSON_TYPE).send(JSON.stringify(body));
  });
  done();
};
