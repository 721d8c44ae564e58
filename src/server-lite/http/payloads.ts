// Bodies of any content type, as bytes, for the routes that carry a device's or a command's payload (the HTTP device
// endpoint, the command API): at most `--max-payload` bytes, else 413 saying so.
import type { FastifyInstance } from 'fastify';
import { ApiError } from './errors.js';

/** In the plugin `app` (its encapsulation context only): every body is a Buffer of at most `maxPayload` bytes. */
export function acceptPayloads(app: FastifyInstance, maxPayload: number): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, parsed) => {
    const chunks: Buffer[] = [];
    let size = 0;
    payload.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxPayload) {
        payload.removeAllListeners('data');
        payload.resume();
        parsed(new ApiError(413, 'PayloadTooLarge', `the payload is larger than ${maxPayload} bytes (--max-payload)`));
        return;
      }
      chunks.push(chunk);
    });
    payload.on('end', () => {
      if (size <= maxPayload) parsed(null, Buffer.concat(chunks, size));
    });
    payload.on('error', (err) => parsed(err));
  });
}
