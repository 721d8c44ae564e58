// The web console (src/console/, built by `npm run build` into dist/console/): static files served at /console/,
// anonymous as any single-page application's, under a strict Content-Security-Policy. The files are read once at
// start (they are small); a gzip or brotli copy is made when a client first asks for it, and kept (a server that
// nobody opens the console of, as most in the tests, pays nothing).
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, gzip, constants as zlib } from 'node:zlib';
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import { CONSOLE_PATH } from '../../model/oidc.js';
import { sendError } from './errors.js';

/** On every answer under /console: the console loads nothing but its own files, and talks only to this server. */
export const CONSOLE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
    "connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const NOT_BUILT = 'the console is not built: run npm run build';
/** Vite's output: content-hashed names, never changed in place. */
const ASSETS = 'assets/';
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Smaller files are not worth compressing. */
const MIN_COMPRESSED = 1024;

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.wasm': 'application/wasm',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.map', '.webmanifest', '.txt', '.svg']);

type Encoding = 'br' | 'gzip';

interface ConsoleFile {
  body: Buffer;
  type: string;
  etag: string;
  cacheControl: string;
  /** Worth compressing: the copies asked for so far, being made or made. */
  encoded?: Partial<Record<Encoding, Promise<Buffer>>>;
}

/** The built console: its files by path below /console/ (`index.html`, `assets/index-abc123.js`). */
export interface ConsoleFiles {
  dir: string;
  files: ReadonlyMap<string, ConsoleFile>;
}

/** `console/` beside the server bundle (dist/console/); from source under tsx, the repository's dist/console/. */
export function defaultConsoleDir(): string {
  const here = import.meta.url;
  return fileURLToPath(new URL(here.endsWith('.ts') ? '../../../dist/console/' : 'console/', here));
}

/** The console's files, or undefined when `dir` does not exist or has no index.html (not built). */
export async function loadConsole(dir: string): Promise<ConsoleFiles | undefined> {
  let names: string[];
  try {
    names = await readdir(dir, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const files = new Map<string, ConsoleFile>();
  await Promise.all(
    names.map(async (name) => {
      const path = join(dir, name);
      let body: Buffer;
      try {
        body = await readFile(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EISDIR') return;
        throw err;
      }
      const key = relative(dir, path).split(sep).join('/');
      files.set(key, consoleFile(key, body));
    }),
  );
  return files.has('index.html') ? { dir, files } : undefined;
}

function consoleFile(key: string, body: Buffer): ConsoleFile {
  const ext = extname(key).toLowerCase();
  const file: ConsoleFile = {
    body,
    type: TYPES[ext] ?? 'application/octet-stream',
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    cacheControl: key.startsWith(ASSETS) ? IMMUTABLE : 'no-cache',
  };
  if (COMPRESSIBLE.has(ext) && body.length >= MIN_COMPRESSED) file.encoded = {};
  return file;
}

const compress: Readonly<Record<Encoding, (body: Buffer) => Promise<Buffer>>> = {
  br: (body) =>
    promisify(brotliCompress)(body, {
      params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length },
    }),
  gzip: (body) => promisify(gzip)(body, { level: 9 }),
};

/** The file's copy in `encoding`, made on first use; undefined when it could not be made (the plain file goes). */
function encodedCopy(file: ConsoleFile, encoding: Encoding): Promise<Buffer | undefined> {
  const copies = file.encoded!;
  copies[encoding] ??= compress[encoding](file.body);
  return copies[encoding].catch(() => undefined);
}

/** `/console` → `/console/`; below it the files, and index.html for every other path (the console's own routes). */
export const consoleRoutes: FastifyPluginCallback<{ console: ConsoleFiles | undefined }> = (app, options, done) => {
  const base = CONSOLE_PATH.replace(/\/$/, '');
  app.addHook('onRequest', (_request, reply, next) => {
    reply.headers(CONSOLE_HEADERS);
    next();
  });
  app.get(base, (request, reply) => {
    const q = request.url.indexOf('?');
    reply.redirect(`${CONSOLE_PATH}${q < 0 ? '' : request.url.slice(q)}`, 308);
  });
  app.get(`${CONSOLE_PATH}*`, async (request, reply) => {
    const built = options.console;
    if (!built) {
      reply.header('retry-after', '60');
      return sendError(reply, 503, 'ServiceUnavailable', NOT_BUILT);
    }
    const path = filePath(request.url.slice(CONSOLE_PATH.length));
    if (path === undefined) return sendError(reply, 404, 'NotFound', 'no such file in the console');
    const file = built.files.get(path);
    if (file) return send(request, reply, file);
    if (path.startsWith(ASSETS)) return sendError(reply, 404, 'NotFound', `the console has no file ${path}`);
    return send(request, reply, built.files.get('index.html') as ConsoleFile);
  });
  done();
};

/** The decoded path below /console/ ('' → index.html), or undefined for one with dot segments or bad encoding. */
function filePath(rest: string): string | undefined {
  const q = rest.indexOf('?');
  const raw = q < 0 ? rest : rest.slice(0, q);
  let segments: string[];
  try {
    segments = raw.split('/').map(decodeURIComponent);
  } catch {
    return undefined;
  }
  if (segments.some((s) => s === '.' || s === '..' || s.includes('/') || s.includes('\\') || s.includes('\0'))) {
    return undefined;
  }
  const path = segments.join('/');
  return path === '' ? 'index.html' : path;
}

async function send(request: FastifyRequest, reply: FastifyReply, file: ConsoleFile): Promise<FastifyReply> {
  reply.header('cache-control', file.cacheControl).header('etag', file.etag).type(file.type);
  if (file.encoded) reply.header('vary', 'accept-encoding');
  if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
  const encoding = file.encoded && preferredEncoding(request.headers['accept-encoding']);
  const encoded = encoding && (await encodedCopy(file, encoding));
  if (encoding && encoded) return reply.header('content-encoding', encoding).send(encoded);
  return reply.send(file.body);
}

/** br over gzip, when the client takes it (a `q=0` refuses). */
function preferredEncoding(header: string | undefined): Encoding | undefined {
  if (!header) return undefined;
  const accepted = new Set<string>();
  for (const item of header.toLowerCase().split(',')) {
    const [name, ...params] = item.split(';').map((s) => s.trim());
    const q = params.find((p) => p.startsWith('q='));
    if (q === undefined || Number(q.slice(2)) > 0) accepted.add(name);
  }
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip')) return 'gzip';
  return undefined;
}
