// The Drogue Cloud API as a component of drg serve: one fastify app (one plugin per API) answering the
// listener's requests; the authenticated APIs behind one onRequest hook.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Endpoints } from '../../model/endpoints.js';
import { CONSOLE_PATH } from '../../model/oidc.js';
import { commandRoutes } from '../commands/api.js';
import type { DevicesComponent } from '../devices/component.js';
import { deviceRoutes } from '../devices/http.js';
import type { EventBus } from '../events/log.js';
import { firmwareRoutes } from '../firmware/http.js';
import type { FirmwareStoreComponent } from '../firmware/store.js';
import type { IdentityComponent } from '../identity/component.js';
import { issuerRoutes } from '../identity/oidc/fastify.js';
import type { RateLimitedLog } from '../log-limit.js';
import { metricsRoutes, type ServerMetrics } from '../metrics.js';
import type { RegistryComponent } from '../registry/component.js';
import type { Component } from '../runtime.js';
import { adminRoutes } from './admin.js';
import { createHttpApp } from './app.js';
import { authenticate } from './auth.js';
import { connectionRoutes } from './connections.js';
import { type ConsoleFiles, consoleRoutes, defaultConsoleDir, loadConsole } from './console.js';
import { consoleInfoRoutes, wellKnownRoutes } from './discovery.js';
import type { HttpListener } from './listener.js';
import { DEFAULT_LISTING_LIMITS, ListingGate, type ListingLimits } from './listings.js';
import { registryRoutes } from './registry.js';
import { tokenRoutes } from './tokens.js';

export interface HttpApiOptions {
  listener: HttpListener;
  identity: IdentityComponent;
  registry: RegistryComponent;
  logger: Logger;
  /** Where failed requests are logged, rate-limited. */
  log: RateLimitedLog;
  /** What discovery advertises: everything drg serve serves. */
  endpoints: () => Endpoints;
  /** How many listings are streamed at once, and how long others wait (defaults: DEFAULT_LISTING_LIMITS). */
  listings?: Partial<ListingLimits>;
  /** The HTTP device endpoint and the command API. */
  devices: DevicesComponent;
  bus: () => EventBus;
  /** GET /metrics, anonymous as Prometheus scrapes it. */
  metrics: ServerMetrics;
  /** The local firmware store's API. */
  firmware: FirmwareStoreComponent;
  /** The built web console, served at /console/ (default: defaultConsoleDir()). */
  consoleDir?: string;
}

export class HttpApi implements Component {
  readonly name = 'http-api';
  private app?: FastifyInstance;
  /** Undefined when the console is not built. */
  private console?: ConsoleFiles;

  constructor(private readonly options: HttpApiOptions) {}

  async start(): Promise<void> {
    const { listener, identity, logger, log, endpoints } = this.options;
    const { registry } = this.options.registry;
    const listings = new ListingGate({ ...DEFAULT_LISTING_LIMITS, ...this.options.listings });
    const app = createHttpApp(logger, log);
    app.register(wellKnownRoutes, { endpoints });
    const { issuer } = identity;
    if (issuer) app.register(issuerRoutes, { issuer });
    const { devices, bus } = this.options;
    app.register(deviceRoutes, { devices, bus });
    app.register(metricsRoutes, { metrics: this.options.metrics });
    const consoleDir = this.options.consoleDir ?? defaultConsoleDir();
    this.console = await loadConsole(consoleDir);
    if (!this.console) logger.debug({ dir: consoleDir }, 'the console is not built');
    app.register(consoleRoutes, { console: this.console });
    app.register((api, _opts, done) => {
      api.addHook('onRequest', authenticate(identity.authenticator));
      api.register(consoleInfoRoutes, { endpoints });
      api.register(adminRoutes, { registry });
      api.register(tokenRoutes, { tokens: identity.accessTokens });
      api.register(registryRoutes, { registry, listings });
      api.register(commandRoutes, { devices, registry });
      api.register(connectionRoutes, { registry, connections: devices.connections });
      api.register(firmwareRoutes, { store: this.options.firmware.store });
      done();
    });
    await app.ready();
    this.app = app;
    listener.attach(app.routing);
  }

  /** What answers the requests, for another port that serves the same API (the HTTPS device port). */
  get routing(): FastifyInstance['routing'] {
    if (!this.app) throw new Error('the HTTP API has not started');
    return this.app.routing;
  }

  endpoints(): Endpoints {
    const { url } = this.options.listener;
    const endpoints: Endpoints = { api: url, registry: { url }, http: { url }, command_url: url };
    if (this.console) endpoints.console = `${url}${CONSOLE_PATH}`;
    return endpoints;
  }

  async stop(): Promise<void> {
    await this.app?.close();
    this.app = undefined;
  }
}
