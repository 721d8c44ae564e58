// The firmware agent outside drg serve (`drg firmware agent`): against any cluster, a remote Drogue Cloud included.
// It consumes the application's events from the MQTT integration as a member of a shared group
// (`$share/<group>/app/<app>`, QoS 1: a report is acknowledged once answered), answers through the command API,
// and reads and writes the registry through its API. Several agents in one group split the reports between them.
import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type { FirmwareClient } from '../client/firmware.js';
import type { ApiClient } from '../client/http.js';
import type { RegistryClient } from '../client/registry.js';
import { DFU_CHANNEL, DFU_COMMAND } from '../dfu/codec.js';
import { type CloudEvent, DEVICE_EVENT_TYPE, eventPayload } from '../model/cloudevents.js';
import type { Endpoints } from '../model/endpoints.js';
import { desiredFirmware, type FirmwareSpec, firmwareStatusOf, type ImageInfo } from '../model/firmware.js';
import { hasRunningRollout } from '../model/rollout.js';
import {
  type AgentImages,
  type AgentProblem,
  type DeviceFirmware,
  FirmwareAgent,
  ImageUnavailableError,
} from './agent.js';
import { modifyDevice } from './fleet-registry.js';
import type { ImageCache } from './image-cache.js';
import type { OciImageCache } from './oci/index.js';
import { ApiFleetRegistry } from './remote.js';
import { RolloutDriver } from './rollout/driver.js';

/** A device mid-update has its desired firmware and status read again after this long (the agent's own writes update them). */
const VIEW_TTL_MS = 5_000;
/** Devices whose view is remembered, at most. */
const MAX_CACHED_VIEWS = 100_000;

export interface RemoteAgentOptions {
  api: ApiClient;
  registry: RegistryClient;
  endpoints: Endpoints;
  app: string;
  group: string;
  /** The MQTT integration's credentials: a user name and an access token, or only an OIDC access token. */
  credentials(): Promise<{ username?: string; password: string }>;
  images: {
    file(app: string, name: string, version?: string): Promise<{ info: ImageInfo; data: Buffer }>;
    container(image: string, policy?: 'IfNotPresent' | 'Always'): Promise<{ info: ImageInfo; data: Buffer }>;
  };
  problem(problem: AgentProblem): void;
  /** Connected (again) to the integration. */
  connected?(): void;
  disconnected?(reason: string): void;
  syncPoll?: number;
  waitPoll?: number;
}

/** How long the newest version of a `file` firmware without a version is taken as known (one request a second). */
const NEWEST_VERSION_TTL_MS = 1_000;

/**
 * The images a remote agent serves: the cluster's firmware store (drg serve's; downloaded once, kept in `cache`)
 * and OCI registries (`oci`, a cache of its own).
 */
export function remoteImages(
  store: Pick<FirmwareClient, 'versions' | 'download'>,
  cache: ImageCache,
  oci: Pick<OciImageCache, 'get'>,
): RemoteAgentOptions['images'] {
  const newest = new Map<string, { at: number; version: string | undefined }>();
  const newestVersion = async (app: string, name: string) => {
    const key = `${app}/${name}`;
    const known = newest.get(key);
    if (known && Date.now() - known.at < NEWEST_VERSION_TTL_MS) return known.version;
    const version = (await store.versions(app, name))[0]?.version;
    if (newest.size >= MAX_CACHED_VIEWS) newest.clear();
    newest.set(key, { at: Date.now(), version });
    return version;
  };
  return {
    container: (image, policy) => oci.get(image, policy),
    file: async (app, name, version) => {
      const resolved = version ?? (await newestVersion(app, name));
      if (!resolved) throw new Error(`no firmware ${name} in the store of application ${app}`);
      return cache.get(`${app}/${name}/${resolved}`, () => store.download(app, name, resolved));
    },
  };
}

export interface RemoteAgent {
  readonly counts: FirmwareAgent['counts'];
  close(): Promise<void>;
}

export async function startRemoteAgent(options: RemoteAgentOptions): Promise<RemoteAgent> {
  const { app, endpoints } = options;
  const integration = endpoints.mqtt_integration;
  if (!integration) throw new Error('the cluster has no MQTT integration (mqtt_integration in its endpoints)');
  const fleet = new ApiFleetRegistry(options.registry);
  const views = new Map<string, { at: number; view: DeviceFirmware | undefined }>();
  const { sendCommand } = await import('../client/command.js');
  const send = (device: string, payload: Buffer, contentType: string) =>
    sendCommand(options.api, endpoints, { app, device, command: DFU_COMMAND, payload: { data: payload, contentType } });

  const driver = new RolloutDriver({
    registry: fleet,
    watchIdle: true,
    nudge: (a, device) => {
      views.delete(device);
      agent
        .nudge(a, device)
        .catch((err: unknown) =>
          options.problem({ app: a, device, kind: 'nudge', message: `cannot nudge the device: ${errorText(err)}` }),
        );
    },
    problem: (a, message) => options.problem({ app: a, device: '', kind: 'rollout', message }),
  });
  const images: AgentImages = {
    get: async (a, spec: FirmwareSpec) => {
      try {
        return 'container' in spec
          ? await options.images.container(spec.container.image, spec.container.imagePullPolicy)
          : await options.images.file(a, spec.file.name, spec.file.version);
      } catch (err) {
        throw new ImageUnavailableError(errorText(err));
      }
    },
  };
  const agent = new FirmwareAgent({
    registry: {
      device: async (a, device, midUpdate) => {
        const cached = views.get(device);
        if (midUpdate && cached && Date.now() - cached.at < VIEW_TTL_MS) return cached.view;
        const [d, application] = await Promise.all([fleet.getDevice(a, device), fleet.getApp(a)]);
        const view = d && {
          desired: desiredFirmware(d, application),
          status: firmwareStatusOf(d),
          rolloutRunning: application !== undefined && hasRunningRollout(application),
        };
        if (views.size >= MAX_CACHED_VIEWS) views.clear();
        views.set(device, { at: Date.now(), view });
        return view;
      },
      writeStatus: async (a, device, status) => {
        await modifyDevice(fleet, a, device, (d) => ({ ...d, status: { ...d.status, firmware: status } }));
        const cached = views.get(device);
        if (cached?.view) cached.view = { ...cached.view, status };
      },
    },
    images,
    commands: { send: (_a, device, payload, contentType) => send(device, payload, contentType) },
    problem: options.problem,
    transition: (a) => driver.poke(a),
    syncPoll: options.syncPoll,
    waitPoll: options.waitPoll,
  });

  const { default: mqtt } = await import('mqtt');
  const credentials = await options.credentials();
  const loopback = ['localhost', '127.0.0.1', '::1'].includes(integration.host);
  const client: MqttClient = mqtt.connect({
    protocol: loopback ? 'mqtt' : 'mqtts',
    host: integration.host,
    port: integration.port,
    protocolVersion: 5,
    clean: true,
    clientId: `drg-firmware-agent-${randomBytes(6).toString('hex')}`,
    ...credentials,
    reconnectPeriod: 2_000,
    connectTimeout: 10_000,
  });
  // A report is acknowledged (QoS 1) once it is answered: an agent that stops mid-way leaves it to the group.
  client.handleMessage = (packet, done) => {
    const event = parseEvent(packet.payload);
    if (
      !event ||
      event.subject !== DFU_CHANNEL ||
      event.type !== DEVICE_EVENT_TYPE ||
      typeof event.device !== 'string'
    ) {
      done();
      return;
    }
    agent
      .handle({ app, device: event.device, payload: eventPayload(event), contentType: event.datacontenttype })
      .finally(() => done());
  };
  const topic = `$share/${options.group}/app/${app}`;
  client.on('connect', () => {
    client.subscribe(topic, { qos: 1 }, (err, granted) => {
      const refused = err ?? (granted?.[0] && granted[0].qos > 2 ? new Error(`${topic} refused`) : undefined);
      if (refused) options.disconnected?.(refused.message);
      else options.connected?.();
    });
  });
  client.on('close', () => options.disconnected?.('connection closed'));
  client.on('error', (err) => options.disconnected?.(err.message));
  client.on('reconnect', () => {
    void options.credentials().then((fresh) => {
      client.options.username = fresh.username;
      client.options.password = fresh.password;
    });
  });
  driver.poke(app);
  return {
    counts: agent.counts,
    async close() {
      driver.close();
      await client.endAsync();
      await agent.close();
    },
  };
}

function parseEvent(payload: Buffer | string): CloudEvent | undefined {
  try {
    const value = JSON.parse(payload.toString()) as CloudEvent;
    return value && typeof value === 'object' ? value : undefined;
  } catch {
    return undefined;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
