// The command API (docs/drogue-api.md, "Command API"): `POST /api/command/v1alpha1/apps/{app}/devices/{device}
// ?command=NAME`, the body the payload with its content type. Read access to the application; 202 once dispatched,
// 406 for a missing or disabled application or device.
import type { FastifyPluginCallback } from 'fastify';
import { COMMAND_BASE } from '../../model/api-paths.js';
import type { DevicesComponent } from '../devices/component.js';
import { ApiError, sendError } from '../http/errors.js';
import { acceptPayloads } from '../http/payloads.js';
import { RegistryError } from '../registry/errors.js';
import type { Registry } from '../registry/registry.js';
import { sendCommand } from './dispatch.js';

export const COMMAND_PATH = `${COMMAND_BASE}/apps/:app/devices/:device`;

export interface CommandRoutesOptions {
  devices: DevicesComponent;
  registry: Registry;
}

export const commandRoutes: FastifyPluginCallback<CommandRoutesOptions> = (api, { devices, registry }, done) => {
  acceptPayloads(api, devices.maxPayload);
  api.post<{ Params: { app: string; device: string }; Querystring: { command?: string } }>(
    COMMAND_PATH,
    (request, reply) => {
      const { app, device } = request.params;
      const name = request.query.command;
      if (typeof name !== 'string' || name === '') {
        throw new ApiError(400, 'BadRequest', 'the query parameter "command" (the command\'s name) is missing');
      }
      try {
        registry.applications.get(request.caller, app);
      } catch (err) {
        if (!(err instanceof RegistryError && err.kind === 'NotFound')) throw err;
        return sendError(reply, 406, 'NotAcceptable', `application "${app}" does not exist`);
      }
      const outcome = sendCommand(devices, {
        app,
        device,
        command: name,
        payload: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
        contentType: request.headers['content-type'],
      });
      if (outcome.outcome === 'not-found') {
        return sendError(reply, 406, 'NotAcceptable', `device "${device}" does not exist in "${app}" or is disabled`);
      }
      return reply.code(202).send();
    },
  );
  done();
};
