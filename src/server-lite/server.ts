// drg serve's composition: its components in start order, run by the runtime. A component added later (the event
// log, the device endpoints, the integrations, the firmware agent) takes the ones it uses in its constructor and
// goes into the list after them.
import type { Logger } from 'pino';
import { HttpApi } from './http/api.js';
import { type HttpLimits, HttpListener } from './http/listener.js';
import type { ListingLimits } from './http/listings.js';
import type { AccessTokens } from './identity/access-tokens.js';
import { AccountsComponent, type AccountsOptions } from './identity/accounts.js';
import { IdentityComponent } from './identity/component.js';
import type { LoginThrottleOptions } from './identity/oidc/login-throttle.js';
import type { PasswordPoolOptions } from './identity/oidc/password-pool.js';
import type { Users } from './identity/users.js';
import { RateLimitedLog } from './log-limit.js';
import { RegistryComponent } from './registry/component.js';
import { type Component, type Health, Runtime } from './runtime.js';
import { StoreComponent } from './store/component.js';

export interface ServerOptions extends AccountsOptions {
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
  /** The embedded issuer's login throttle (its clock, for tests). */
  loginThrottle?: LoginThrottleOptions;
  /** The threads that check passwords (their number and queue, for tests). */
  passwordPool?: PasswordPoolOptions;
  /** Timeouts and connection limits of the HTTP port (defaults: DEFAULT_HTTP_LIMITS). */
  http?: Partial<HttpLimits>;
  /** How many listings are streamed at once, and how long others wait (defaults: DEFAULT_LISTING_LIMITS). */
  listings?: Partial<ListingLimits>;
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
  /** Each component's state, as GET /health reports it. */
  health(): Health;
  /**
   * Stops accepting, lets in-flight requests finish (for a grace period, then closes their connections), stops
   * the components in reverse. Idempotent.
   */
  close(): Promise<void>;
}

/** Starts every component; a failure is a ComponentStartError, after the started ones were stopped. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { logger } = options;
  const log = new RateLimitedLog(logger);
  const store = new StoreComponent(options.dataDir);
  const listener = new HttpListener({
    port: options.port,
    bind: options.bind,
    health: () => runtime.health(),
    log,
    limits: options.http,
  });
  const identity = new IdentityComponent(store, () => listener.url, options);
  const registry = new RegistryComponent(store, identity, logger);
  const api = new HttpApi({
    listener,
    identity,
    registry,
    logger,
    log,
    endpoints: () => runtime.endpoints(),
    listings: options.listings,
  });
  const accounts = options.issuerUrl === undefined ? new AccountsComponent(store, identity, options) : undefined;
  const components: Component[] = [store, listener, identity, registry, api, ...(accounts ? [accounts] : [])];
  const runtime = new Runtime(components, logger);
  await runtime.start();
  return {
    url: listener.url,
    port: listener.port,
    issuerUrl: identity.issuerUrl,
    generatedAdminPassword: accounts?.generatedAdminPassword,
    users: identity.users,
    accessTokens: identity.accessTokens,
    health: () => runtime.health(),
    close: () => runtime.stop().then(() => log.close()),
  };
}
