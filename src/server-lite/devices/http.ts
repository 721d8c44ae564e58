// The HTTP device endpoint (docs/drogue-api.md, "Device endpoints"): `POST /v1/{channel}[/{suffix...}]` on the API
// port and, over TLS with client certificates, on the HTTPS device port. The message is appended to the event log
// (durable) before the 202; with `?ct=` the request then waits for a command for the device.
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import type { Command } from '../commands/router.js';
import { deviceEvent, InvalidJsonPayloadError } from '../events/cloudevent.js';
import type { EventBus } from '../events/log.js';
import { ApiError, sendError } from '../http/errors.js';
import { acceptPayloads } from '../http/payloads.js';
import { extractCredentials } from '../identity/authenticator.js';
import { peerCertificates } from '../peer-certificates.js';
import { type AuthenticatedDevice, type DeviceAuthOutcome, deviceAtApp } from './auth.js';
import type { DevicesComponent } from './component.js';

/** The longest a device may wait for a command (`?ct=`), in seconds. */
export const MAX_COMMAND_TIMEOUT_S = 55;

interface DeviceQuery {
  application?: string;
  device?: string;
  as?: string;
  ct?: string;
  commandTimeout?: string;
  data_schema?: string;
}

export interface DeviceRoutesOptions {
  devices: DevicesComponent;
  bus: () => EventBus;
}

export const deviceRoutes: FastifyPluginCallback<DeviceRoutesOptions> = (app, { devices, bus }, done) => {
  acceptPayloads(app, devices.maxPayload);

  const publish = async (
    request: FastifyRequest<{ Params: { channel: string }; Querystring: DeviceQuery }>,
    reply: FastifyReply,
  ) => {
    const query = request.query;
    const commandTimeout = parseCommandTimeout(query.ct ?? query.commandTimeout);
    const { counters } = devices;
    // Synchronous for credentials seen before: no turn of the microtask queue for them.
    const authenticating = authenticate(devices, request);
    const sender = authenticating instanceof Promise ? await authenticating : authenticating;
    if (sender.outcome !== 'ok') {
      counters.refused.http++;
      return refuse(reply, sender);
    }
    const origin = query.as === undefined ? sender.device : devices.authenticator.actAs(sender.device, query.as);
    if (!origin) {
      counters.refused.http++;
      return sendError(reply, 403, 'Forbidden', `"${sender.device.device.name}" may not publish for "${query.as}"`);
    }
    const payload = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    let event: ReturnType<typeof deviceEvent>;
    try {
      event = deviceEvent(
        { app: origin.app, device: origin.device, sender: sender.device.device },
        {
          channel: request.params.channel,
          payload,
          contentType: request.headers['content-type'],
          dataSchema: query.data_schema,
        },
        devices.instance,
      );
    } catch (err) {
      if (!(err instanceof InvalidJsonPayloadError)) throw err;
      counters.refused.http++;
      return sendError(reply, 406, 'NotAcceptable', err.message);
    }
    // Registered before the append, so that a command sent as soon as the device could know is not missed.
    const waiting =
      commandTimeout > 0 ? waitForCommand(devices, sender.device, origin, commandTimeout, request) : undefined;
    try {
      await bus().append([event]);
    } catch (err) {
      waiting?.cancel();
      counters.refused.http++;
      reply.header('retry-after', '1');
      return sendError(reply, 503, 'ServiceUnavailable', `cannot accept the message now: ${(err as Error).message}`);
    }
    counters.accepted.http++;
    counters.bytes.http += payload.length;
    devices.connections.seen(origin.app.name, origin.device.name);
    // Without `?ct=`, no await: not even a turn of the microtask queue.
    const command = waiting ? await waiting.command : undefined;
    if (!command) return reply.code(202).send();
    reply.code(200).header('command', command.command);
    if (command.contentType) reply.type(command.contentType);
    return reply.send(command.payload);
  };
  app.post('/v1/:channel', publish);
  app.post('/v1/:channel/*', publish);
  done();
};

/** `?ct=` in seconds (at most MAX_COMMAND_TIMEOUT_S); 0 when absent. */
function parseCommandTimeout(value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  const seconds = /^\d{1,6}$/.test(value) ? Number(value) : Number.NaN;
  if (Number.isNaN(seconds))
    throw new ApiError(400, 'BadRequest', `ct must be a whole number of seconds, not ${JSON.stringify(value)}`);
  return Math.min(seconds, MAX_COMMAND_TIMEOUT_S);
}

/** Basic `device@app:password`, Basic `username:password` with `?application=`, or the TLS client certificate. */
function authenticate(
  devices: DevicesComponent,
  request: FastifyRequest<{ Querystring: DeviceQuery }>,
): DeviceAuthOutcome | Promise<DeviceAuthOutcome> {
  const { application, device } = request.query;
  const basic = extractCredentials(request.headers.authorization, undefined);
  if (basic !== undefined && basic !== 'malformed' && basic.kind === 'basic') {
    if (application !== undefined) {
      return devices.authenticator.password({
        app: application,
        device,
        username: basic.username,
        password: basic.password,
      });
    }
    const named = deviceAtApp(basic.username);
    if (!named) return { outcome: 'refused', reason: 'bad-credentials' };
    // Not `{ ...named, password }`: that spread took V8's slow path on every request (bench/ab-http.mjs).
    return devices.authenticator.password({ app: named.app, device: named.device, password: basic.password });
  }
  const chain = peerCertificates(request.raw.socket);
  if (chain.length > 0) return devices.authenticator.certificate(chain, application);
  return { outcome: 'refused', reason: 'bad-credentials' };
}

function refuse(reply: FastifyReply, outcome: Exclude<DeviceAuthOutcome, { outcome: 'ok' }>) {
  if (outcome.outcome === 'unavailable') {
    reply.header('retry-after', '1');
    return sendError(reply, 503, 'ServiceUnavailable', 'too many devices are authenticating: try again shortly');
  }
  if (outcome.reason === 'disabled') return sendError(reply, 406, 'NotAcceptable', 'the device is disabled');
  reply.header('www-authenticate', 'Basic realm="drogue"');
  return sendError(reply, 403, 'Forbidden', 'bad device credentials');
}

/**
 * Takes the first command for `origin` that reaches `sender` (the device itself, or the gateway publishing for it)
 * within `seconds`; resolves undefined on the timeout or when the client goes away.
 */
function waitForCommand(
  devices: DevicesComponent,
  sender: AuthenticatedDevice,
  origin: AuthenticatedDevice,
  seconds: number,
  request: FastifyRequest,
): { command: Promise<Command | undefined>; cancel: () => void } {
  let finish: (command: Command | undefined) => void = () => {};
  const command = new Promise<Command | undefined>((resolve) => {
    finish = resolve;
  });
  let taken = false;
  const unregister = devices.commands.register(sender.app.name, sender.device.name, (c) => {
    if (taken || c.device !== origin.device.name) return false;
    end(c);
    return true;
  });
  const socket = request.raw.socket;
  const gone = () => end(undefined);
  const timer = setTimeout(gone, seconds * 1000);
  socket.once('close', gone);
  function end(c: Command | undefined) {
    if (taken) return;
    taken = true;
    clearTimeout(timer);
    socket.off('close', gone);
    unregister();
    finish(c);
  }
  return { command, cancel: () => end(undefined) };
}
