// The command API (docs/drogue-api.md, "Command API"): a command to a device, best effort (nothing is stored).

import { COMMAND_BASE } from '../model/api-paths.js';
import type { Endpoints } from '../model/endpoints.js';
import { type ApiClient, pathSegment } from './http.js';

interface DeviceCommand {
  app: string;
  device: string;
  /** The command's name. */
  command: string;
  /** The body; none when undefined. */
  payload?: { data: Uint8Array; contentType: string };
}

/**
 * Resolves once the server dispatched it (202) to the device and its gateways that listen now; fails with the
 * ApiError of any other answer (406: no such application or device, or disabled; 503: not queued).
 * `endpoints.command_url` is where the command API is, else the API itself.
 */
export async function sendCommand(api: ApiClient, endpoints: Endpoints, command: DeviceCommand): Promise<void> {
  const client = endpoints.command_url ? api.withBaseUrl(endpoints.command_url) : api;
  const { app, device } = command;
  await client.post(`${COMMAND_BASE}/apps/${pathSegment(app)}/devices/${pathSegment(device)}`, {
    query: { command: command.command },
    payload: command.payload,
    subject: { kind: 'device', app, name: device },
  });
}
