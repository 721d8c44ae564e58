// drg serve's extension (docs/drogue-api.md, "Firmware store"): the images of an application's local firmware
// store. Reading takes read access to the application; pushing and deleting, its owner's, an admin's or a manager's.
// A push's body is the image as application/octet-stream, streamed to the store: never read whole into memory.
import type { Readable } from 'node:stream';
import type { FastifyPluginCallback, FastifyReply } from 'fastify';
import { FIRMWARE_BASE } from '../../model/api-paths.js';
import type { ImageInfo } from '../../model/firmware.js';
import { CHECKSUM_HEADER } from '../../model/firmware-images.js';
import { ApiError, badRequest, JSON_TYPE } from '../http/errors.js';
import { type FirmwareStore, ImageTooLargeError } from './store.js';

const IMAGES = `${FIRMWARE_BASE}/apps/:app/images`;
const IMAGE = `${IMAGES}/:name/:version`;
const CHECKSUM_VALUE = /^sha256:[0-9a-f]{64}$/i;

type AppParams = { Params: { app: string } };
type NameParams = { Params: { app: string; name: string } };
type ImageParams = { Params: { app: string; name: string; version: string } };

export const firmwareRoutes: FastifyPluginCallback<{ store: FirmwareStore }> = (api, { store }, done) => {
  // Any body, as the request stream itself: the PUT hands it to the store, which reads it as it arrives.
  api.removeAllContentTypeParsers();
  api.addContentTypeParser('*', (_request, payload, parsed) => parsed(null, payload));

  api.get<AppParams>(IMAGES, (request, reply) => {
    sendJson(reply, store.list(request.caller, request.params.app));
  });
  api.get<NameParams>(`${IMAGES}/:name`, (request, reply) => {
    const { app, name } = request.params;
    sendJson(reply, store.versions(request.caller, app, name));
  });
  api.get<ImageParams>(IMAGE, (request, reply) => {
    const { app, name, version } = request.params;
    sendJson(reply, store.get(request.caller, app, name, version));
  });
  api.get<ImageParams>(`${IMAGE}/content`, async (request, reply) => {
    const { app, name, version } = request.params;
    const { info, data } = await store.content(request.caller, app, name, version);
    const digest = Buffer.from(info.checksum.slice('sha256:'.length), 'hex').toString('base64');
    return reply
      .type('application/octet-stream')
      .header('content-length', info.size)
      .header(CHECKSUM_HEADER, info.checksum)
      .header('digest', `sha-256=${digest}`)
      .send(data);
  });

  api.put<ImageParams>(IMAGE, async (request, reply) => {
    const { app, name, version } = request.params;
    const mediaType = request.headers['content-type']?.split(';')[0].trim().toLowerCase();
    const body = request.body as Readable | undefined;
    if (mediaType !== 'application/octet-stream' || body === undefined) {
      throw new ApiError(415, 'UnsupportedMediaType', 'send the image as the body, as application/octet-stream');
    }
    const checksum = checksumOf(request.headers[CHECKSUM_HEADER]);
    const length = request.headers['content-length'];
    try {
      const push = { app, name, version, checksum, size: length === undefined ? undefined : Number(length), body };
      const { info, created } = await store.push(request.caller, push);
      const [a, n, v] = [app, name, version].map(encodeURIComponent);
      reply.code(created ? 201 : 200).header('location', `${FIRMWARE_BASE}/apps/${a}/images/${n}/${v}`);
      sendJson(reply, info);
    } catch (err) {
      // Read in part: the rest of the body is left unread, so the connection cannot carry another request.
      if (body.readableDidRead && !body.readableEnded) reply.header('connection', 'close');
      if (err instanceof ImageTooLargeError) throw new ApiError(413, 'PayloadTooLarge', err.message);
      throw err;
    }
  });

  api.delete<ImageParams>(IMAGE, async (request, reply) => {
    const { app, name, version } = request.params;
    await store.delete(request.caller, app, name, version);
    reply.code(204).send();
  });
  done();
};

function sendJson(reply: FastifyReply, value: ImageInfo | ImageInfo[]): void {
  reply.type(JSON_TYPE).send(JSON.stringify(value));
}

/** The push's `x-checksum`, lower-cased. */
function checksumOf(header: string | string[] | undefined): string {
  if (typeof header !== 'string' || !CHECKSUM_VALUE.test(header)) {
    throw badRequest(`send the image's SHA-256 as the header ${CHECKSUM_HEADER}: sha256:<64 hex digits>`);
  }
  return header.toLowerCase();
}
