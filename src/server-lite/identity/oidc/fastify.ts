// Mounts the embedded issuer on a fastify app, at the path of its URL.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EmbeddedIssuer } from './issuer.js';

/** `app.register(issuerRoutes, { issuer })`: hands every request under the issuer's path to it as is. */
export async function issuerRoutes(app: FastifyInstance, { issuer }: { issuer: EmbeddedIssuer }): Promise<void> {
  // oidc-provider reads the request body itself: leave every body unread.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    // The issuer strips its mount path from request.raw.url; fastify keeps the URL as sent (for request logs)
    // once read.
    void request.originalUrl;
    reply.hijack();
    issuer.callback(request.raw, reply.raw);
  };
  app.all(issuer.mountPath || '/', handle);
  app.all(`${issuer.mountPath}/*`, handle);
}
