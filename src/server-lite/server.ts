// drg serve's composition: its components in start order, run by the runtime. A component added later (the event
// log, the device endpoints, the integrations, the firmware agent) takes the ones it uses in its constructor and
// goes into the list after them.
import type { Logger } from 'pino';
import type { Endpoints } from '../model/endpoints.js';
import { DevicesComponent } from './devices/component.js';
import { HttpsDeviceListener } from './devices/https.js';
import { MqttEndpointComponent } from './devices/mqtt/endpoint.js';
import { TlsComponent } from './devices/tls.js';
import { EventsComponent } from './events/component.js';
import type { EventLogOptions } from './events/local-log.js';
import type { EventBus } from './events/log.js';
import { FirmwareAgentComponent, type FirmwareAgentOptions } from './firmware/agent.js';
import { ociImages } from './firmware/oci.js';
import { FirmwareStoreComponent } from './firmware/store.js';
import { HttpApi } from './http/api.js';
import { type HttpLimits, HttpListener } from './http/listener.js';
import type { ListingLimits } from './http/listings.js';
import type { AccessTokens } from './identity/access-tokens.js';
import { AccountsComponent, type AccountsOptions } from './identity/accounts.js';
import { IdentityComponent } from './identity/component.js';
import type { LoginThrottleOptions } from './identity/oidc/login-throttle.js';
import type { PasswordPoolOptions } from './identity/oidc/password-pool.js';
import type { Users } from './identity/users.js';
import { MqttIntegration, type MqttIntegrationLimits } from './integrations/mqtt.js';
import { WebSocketIntegration, type WebSocketLimits } from './integrations/websocket.js';
import { RateLimitedLog } from './log-limit.js';
import { eventLogSources, firmwareAgentSources, ServerMetrics } from './metrics.js';
import type { MqttListenerLimits } from './mqtt/index.js';
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
  /** The MQTT device endpoint's port (0 picks a free one); without it, none is served. */
  mqttPort?: number;
  /** With mqttPort: the same endpoint over TLS on this port (0 picks a free one). */
  mqttsPort?: number;
  /** The MQTT device endpoint's bounds (defaults: DEFAULT_MQTT_LISTENER_LIMITS; for tests). */
  mqtt?: Partial<MqttListenerLimits>;
  /** The MQTT integration's port (0 picks a free one); without it, none is served. */
  mqttIntegrationPort?: number;
  /** The HTTPS device endpoint's port (0 picks a free one); without it, none is served. */
  httpsPort?: number;
  /** The TLS endpoints' certificate (PEM, its chain may follow) and key, instead of the local CA in `<dataDir>/tls`. */
  tlsCert?: string;
  tlsKey?: string;
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
  /** The largest payload a device may send, in bytes (`--max-payload`; default 256 KiB). */
  maxPayload?: number;
  /** The largest firmware image the local store takes, in bytes (`--max-firmware-size`; default 64 MiB). */
  maxFirmwareSize?: number;
  /**
   * How long (`--event-retention`, default 24 h) and up to how many bytes (`--event-retention-size`, 1 GiB) the
   * event log keeps events.
   */
  eventRetention?: { ageMs?: number; bytes?: number };
  /** The event log's other limits and its clock (defaults in events/local-log.ts; for tests). */
  eventLog?: Omit<EventLogOptions, 'retentionAgeMs' | 'retentionBytes'>;
  /** The WebSocket integration's pings and bounds (defaults: DEFAULT_WEBSOCKET_LIMITS; for tests). */
  websocket?: Partial<WebSocketLimits>;
  /** The MQTT integration's bounds (defaults: DEFAULT_MQTT_LISTENER_LIMITS and mqtt.ts; for tests). */
  mqttIntegration?: Partial<MqttIntegrationLimits>;
  /** The firmware agent (`--no-firmware-agent`: false), with its answer times and intervals (for tests). */
  firmwareAgent?: false | Pick<FirmwareAgentOptions, 'syncPoll' | 'waitPoll' | 'statusIntervalMs' | 'rolloutTickMs'>;
  /** The built web console (default: `console/` beside the server bundle); without it, /console/ answers 503. */
  consoleDir?: string;
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
  /** What discovery advertises. */
  endpoints(): Endpoints;
  /** The event log's bus (closed once the server is). */
  events: EventBus;
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
  const tls =
    options.httpsPort === undefined && (options.mqttPort === undefined || options.mqttsPort === undefined)
      ? undefined
      : new TlsComponent(
          { dataDir: options.dataDir, bind: options.bind, certFile: options.tlsCert, keyFile: options.tlsKey },
          logger,
        );
  const listener = new HttpListener({
    port: options.port,
    bind: options.bind,
    health: () => runtime.health(),
    log,
    limits: options.http,
  });
  const identity = new IdentityComponent(store, () => listener.url, options);
  const registry = new RegistryComponent(store, identity, logger);
  const firmware = new FirmwareStoreComponent(store, registry, {
    dataDir: options.dataDir,
    maxSize: options.maxFirmwareSize,
  });
  const events = new EventsComponent(options.dataDir, {
    ...options.eventLog,
    retentionAgeMs: options.eventRetention?.ageMs,
    retentionBytes: options.eventRetention?.bytes,
  });
  const devices = new DevicesComponent(store, registry, { maxPayload: options.maxPayload });
  const metrics = new ServerMetrics(devices.counters, [
    ...eventLogSources(() => events.bus.stats()),
    ...firmwareAgentSources(() => firmwareAgent?.counts),
    {
      name: 'drg_connected_devices',
      help: 'Devices connected now (MQTT)',
      type: 'gauge',
      read: () => [{ labels: {}, value: devices.connections.count }],
    },
    {
      name: 'drg_integration_connections',
      help: 'Integration consumers connected now',
      type: 'gauge',
      labelNames: ['integration'],
      read: () => [
        { labels: { integration: 'websocket' }, value: websocket.connections },
        { labels: { integration: 'mqtt' }, value: mqttIntegration?.connections ?? 0 },
      ],
    },
  ]);
  const api = new HttpApi({
    listener,
    identity,
    registry,
    logger,
    log,
    endpoints: () => runtime.endpoints(),
    listings: options.listings,
    devices,
    bus: () => events.bus,
    metrics,
    firmware,
    consoleDir: options.consoleDir,
  });
  const websocket = new WebSocketIntegration({
    listener,
    identity,
    registry,
    events,
    counters: devices.counters,
    logger,
    log,
    limits: options.websocket,
  });
  const mqttIntegration =
    options.mqttIntegrationPort === undefined
      ? undefined
      : new MqttIntegration({
          port: options.mqttIntegrationPort,
          bind: options.bind,
          identity,
          registry,
          events,
          devices,
          log,
          limits: options.mqttIntegration,
        });
  const firmwareAgent =
    options.firmwareAgent === false
      ? undefined
      : new FirmwareAgentComponent({
          ...options.firmwareAgent,
          registry,
          events,
          devices,
          local: () => firmware.store,
          oci: ociImages(),
          log,
        });
  const accounts = options.issuerUrl === undefined ? new AccountsComponent(store, identity, options) : undefined;
  const https =
    tls && options.httpsPort !== undefined
      ? new HttpsDeviceListener({
          port: options.httpsPort,
          bind: options.bind,
          health: () => runtime.health(),
          log,
          limits: options.http,
          tls,
          api,
        })
      : undefined;
  const mqtt =
    options.mqttPort === undefined
      ? undefined
      : new MqttEndpointComponent({
          port: options.mqttPort,
          bind: options.bind,
          tls,
          tlsPort: options.mqttsPort,
          devices,
          events,
          log,
          limits: options.mqtt,
        });
  const components: Component[] = [
    store,
    ...(tls ? [tls] : []),
    listener,
    identity,
    registry,
    firmware,
    events,
    devices,
    api,
    ...(https ? [https] : []),
    websocket,
    ...(mqtt ? [mqtt] : []),
    ...(mqttIntegration ? [mqttIntegration] : []),
    ...(firmwareAgent ? [firmwareAgent] : []),
    ...(accounts ? [accounts] : []),
  ];
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
    endpoints: () => runtime.endpoints(),
    events: events.bus,
    close: () => runtime.stop().then(() => log.close()),
  };
}
