// drg serve's extension (docs/drogue-api.md, "drg serve extensions"): the devices of an application connected now.
import { ApiError, ProtocolError } from '../errors.js';
import { CONNECTIONS_BASE, type ConnectionsBody } from '../model/api-paths.js';
import { isJsonObject } from '../model/json.js';
import { type ApiClient, pathSegment } from './http.js';

type DeviceConnections = ConnectionsBody['devices'];

/** The connected devices by name; undefined from a server that does not know (a Drogue Cloud answers 404). */
export async function connectedDevices(api: ApiClient, app: string): Promise<DeviceConnections | undefined> {
  let body: unknown;
  try {
    ({ body } = await api.get<unknown>(`${CONNECTIONS_BASE}/apps/${pathSegment(app)}`, {
      subject: { kind: 'application', app },
      action: 'read',
    }));
  } catch (err) {
    // An unknown path may also be a console's HTML page, or a method it does not route.
    if (err instanceof ProtocolError || (err instanceof ApiError && [404, 405].includes(err.status))) return undefined;
    throw err;
  }
  const devices = isJsonObject(body) ? body.devices : undefined;
  if (!isJsonObject(devices)) return undefined;
  const connections: DeviceConnections = {};
  for (const [device, connection] of Object.entries(devices)) {
    if (isJsonObject(connection) && typeof connection.since === 'string' && typeof connection.protocol === 'string') {
      connections[device] = { since: connection.since, protocol: connection.protocol };
    }
  }
  return connections;
}
