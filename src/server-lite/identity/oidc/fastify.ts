// Mounts the embedded issuer on a fastify app. The issuer URL contains the port, which is known only after
// listen, while routes must exist before it: the routes ask `issuer()` per request and answer 503 until then.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EmbeddedIssuer } from './issuer.js';

export interface IssuerRoutesOptions {
  /** Path prefix, the issuer URL's path (e.g. DEFAULT_ISSUER_PATH). */
  path: string;
  issuer: () => EmbeddedIssuer | undefined;
}

/** `app.register(issuerRoutes, { path, issuer })`: hands every request under `path` to the issuer as is. */
export async function issuerRoutes(app: FastifyInstance, opts: IssuerRoutesOptions): Promise<void> {
  // oidc-provider reads the request body itself: leave every body unread.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    const issuer = opts.issuer();
    if (!issuer) {
      return reply.code(503).header('retry-after', '1').type('text/plain').send('the OIDC issuer is starting');
    }
    // The issuer strips its mount path from request.raw.url; fastify keeps the URL as sent (for request logs)
    // once read.
    void request.originalUrl;
    reply.hijack();
    issuer.callback(request.raw, reply.raw);
  };
  app.all(opts.path, handle);
  app.all(`${opts.path}/*`, handle);
}
