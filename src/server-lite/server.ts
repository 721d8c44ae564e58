// drg serve's composition and lifecycle: store → identity (users, access tokens, OIDC issuer) → registry → HTTP
// API, and a clean close.
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Endpoints } from '../model/endpoints.js';
import { adminRoutes } from './http/admin.js';
import { createHttpApp } from './http/app.js';
import { authenticate } from './http/auth.js';
import { consoleInfoRoutes, wellKnownRoutes } from './http/discovery.js';
import { registryRoutes } from './http/registry.js';
import { tokenRoutes } from './http/tokens.js';
import { AccessTokens } from './identity/access-tokens.js';
import { Authenticator, accessTokenVerifier, oidcTokenVerifier } from './identity/authenticator.js';
import { issuerRoutes } from './identity/oidc/fastify.js';
import { API_AUDIENCE, createIssuer, DEFAULT_ISSUER_PATH, type EmbeddedIssuer } from './identity/oidc/issuer.js';
import type { LoginThrottleOptions } from './identity/oidc/login-throttle.js';
import { PasswordPool, type PasswordPoolOptions } from './identity/oidc/password-pool.js';
import { ensureAdmin, importUsers, setPassword } from './identity/oidc/passwords.js';
import { type JwtVerifier, remoteJwtVerifier } from './identity/oidc/verifier.js';
import { ADMIN_USER, Users } from './identity/users.js';
import { SqliteRegistry } from './registry/service.js';
import { type Db, openStore } from './store/db.js';

export interface ServerOptions {
  /** HTTP port; 0 picks a free one. */
  port: number;
  /** Address (or host name) to listen on. */
  bind: string;
  dataDir: string;
  logger: Logger;
  /** The MQTT device endpoint's port (opened by the data-plane work, not yet). */
  mqttPort?: number;
  /** The MQTT integration's port (opened by the data-plane work, not yet). */
  mqttIntegrationPort?: number;
  /** An external OpenID Provider (`--issuer-url`) instead of the embedded one: no local logins then. */
  issuerUrl?: string;
  /** Lifetime in seconds of the embedded issuer's access tokens (`--token-ttl`). */
  accessTokenTtl?: number;
  /** Sets admin's password (`--admin-password`); without it, one is generated on first start. */
  adminPassword?: string;
  /** Users created or given a new password on start (`--user NAME:PASSWORD`). */
  users?: ReadonlyArray<{ name: string; password: string }>;
  /** Users with bcrypt hashes (`--users-file`), imported before `users`. */
  hashedUsers?: ReadonlyArray<{ name: string; hash: string }>;
  /** The embedded issuer's login throttle (its clock, for tests). */
  loginThrottle?: LoginThrottleOptions;
  /** The threads that check passwords (their number and queue, for tests). */
  passwordPool?: PasswordPoolOptions;
}

export interface RunningServer {
  /** `http://HOST:PORT`, where HOST is the bind address (loopback for a wildcard bind). */
  url: string;
  port: number;
  /** The OpenID Provider users log in at: the embedded one (`<url>/oidc`) or `--issuer-url`. */
  issuerUrl: string;
  /** admin's password when this start generated it (first start without --admin-password), to show once. */
  generatedAdminPassword?: string;
  users: Users;
  accessTokens: AccessTokens;
  /** Stops accepting, lets in-flight requests finish, closes the store. Idempotent. */
  close(): Promise<void>;
}

/** Why the server could not start, with a one-line message for the user. */
export class ServerStartError extends Error {
  constructor(
    message: string,
    readonly reason: 'data-dir' | 'address-in-use' | 'listen',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { logger } = options;
  const db = openDataDir(options.dataDir);
  let issuer: EmbeddedIssuer | undefined;
  try {
    const users = new Users(db);
    users.ensure(ADMIN_USER);
    const external = options.issuerUrl;
    const accessTokens = new AccessTokens(db);
    const jwt: () => JwtVerifier | undefined = external
      ? constant(remoteJwtVerifier({ issuerUrl: external, audience: API_AUDIENCE }))
      : () => issuer?.verifier;
    const authenticator = new Authenticator([
      accessTokenVerifier(accessTokens),
      oidcTokenVerifier(jwt, external ? rememberUsers(users) : undefined),
    ]);
    const registry = new SqliteRegistry(db, { userExists: (user) => users.exists(user) });

    let endpoints: Endpoints = {};
    const currentEndpoints = () => endpoints;
    const app = createHttpApp(logger);
    app.register(wellKnownRoutes, { endpoints: currentEndpoints });
    if (!external) app.register(issuerRoutes, { path: DEFAULT_ISSUER_PATH, issuer: () => issuer });
    app.register((api, _opts, done) => {
      api.addHook('onRequest', authenticate(authenticator));
      api.register(consoleInfoRoutes, { endpoints: currentEndpoints });
      api.register(adminRoutes, { registry });
      api.register(tokenRoutes, { tokens: accessTokens });
      api.register(registryRoutes, { registry });
      done();
    });

    try {
      await app.listen({ port: options.port, host: options.bind });
    } catch (err) {
      await app.close();
      throw listenError(err, options);
    }
    const port = (app.server.address() as AddressInfo).port;
    const url = `http://${urlHost(options.bind)}:${port}`;
    let issuerUrl = external;
    let generatedAdminPassword: string | undefined;
    let passwords: PasswordPool | undefined;
    if (issuerUrl === undefined) {
      // The embedded issuer's URL contains the port, known only now; until it exists, /oidc answers 503.
      // Passwords come last: a password generated by a start that then fails would never be shown.
      passwords = new PasswordPool(options.passwordPool);
      try {
        issuer = await createIssuer({
          db,
          issuerUrl: `${url}${DEFAULT_ISSUER_PATH}`,
          accessTokenTtl: options.accessTokenTtl,
          passwords,
          loginThrottle: options.loginThrottle,
          logger,
        });
        generatedAdminPassword = await setUpPasswords(db, passwords, options);
      } catch (err) {
        await app.close();
        await passwords.close();
        throw err;
      }
      issuerUrl = issuer.issuerUrl;
    }
    endpoints = { api: url, issuer_url: issuerUrl, registry: { url } };

    let closing: Promise<void> | undefined;
    const close = () => {
      closing ??= app
        .close()
        .then(() => passwords?.close())
        .finally(() => db.close());
      return closing;
    };
    return { url, port, issuerUrl, generatedAdminPassword, users, accessTokens, close };
  } catch (err) {
    db.close();
    throw err;
  }
}

/** admin's password (returned when generated now), then the users of --users-file and --user. */
async function setUpPasswords(db: Db, pool: PasswordPool, options: ServerOptions): Promise<string | undefined> {
  const generated = await ensureAdmin(db, pool, { password: options.adminPassword });
  if (options.hashedUsers) importUsers(db, options.hashedUsers);
  for (const { name, password } of options.users ?? []) await setPassword(db, pool, name, password);
  return generated;
}

function constant<T>(value: T): () => T {
  return () => value;
}

/** Users of an external issuer become known users (members, transfers) with their first accepted token. */
function rememberUsers(users: Users): (user: string) => void {
  const known = new Set<string>();
  return (user) => {
    if (known.has(user)) return;
    users.ensure(user);
    known.add(user);
  };
}

function openDataDir(dataDir: string): Db {
  try {
    return openStore(dataDir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EROFS'
          ? 'read-only file system'
          : code === 'ENOTDIR' || code === 'EEXIST'
            ? 'a part of the path is not a directory'
            : code === 'SQLITE_CANTOPEN'
              ? 'cannot create or open the database file in it'
              : (err as Error).message;
    throw new ServerStartError(`cannot use the data directory ${dataDir}: ${why}`, 'data-dir', { cause: err });
  }
}

function listenError(err: unknown, { port, bind }: ServerOptions): ServerStartError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new ServerStartError(`port ${port} on ${bind} is already in use`, 'address-in-use', { cause: err });
  }
  const why =
    code === 'EADDRNOTAVAIL'
      ? 'the address is not available on this machine'
      : code === 'ENOTFOUND'
        ? 'unknown host name'
        : code === 'EACCES'
          ? 'permission denied'
          : (err as Error).message;
  return new ServerStartError(`cannot listen on ${bind} port ${port}: ${why}`, 'listen', { cause: err });
}

/** The host part of the URL clients use: loopback for a wildcard bind, brackets around IPv6. */
function urlHost(bind: string): string {
  if (bind === '0.0.0.0' || bind === '') return '127.0.0.1';
  if (bind === '::') return '[::1]';
  return bind.includes(':') ? `[${bind}]` : bind;
}
