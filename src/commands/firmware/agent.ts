// `drg firmware agent`: the firmware agent against any context (a remote Drogue Cloud included), until Ctrl+C.
import { defineCommand, option } from '../../cli/command.js';
import { EndpointsClient } from '../../client/endpoints.js';
import { DrgError, UsageError } from '../../errors.js';
import { ImageCache } from '../../firmware/image-cache.js';

/** The group drg serve's own agent consumes in: a remote agent joining it shares the reports with it. */
const DEFAULT_GROUP = 'drg-firmware-agent';
/** Bytes of images kept in memory. */
const IMAGE_CACHE_BYTES = 256 * 1024 * 1024;

export const firmwareAgent = defineCommand({
  path: 'firmware agent',
  summary: "serve the firmware updates of an application's devices (DFU), and advance its rollouts, until Ctrl+C",
  description: `Answers the devices' reports on the dfu channel (Wait, Sync, Write, Swap; DFU.md), records each
device's status.firmware, and advances the application's rollout. It consumes the application's events from the
MQTT integration as a member of a shared group ($share/GROUP/app/APP) and answers through the command API, so it
works with any Drogue Cloud; agents in the same group split the devices' reports between them. Firmware comes from
the cluster's firmware store (spec.firmware.file, drg serve) or an OCI registry (spec.firmware.container;
credentials from DRG_REGISTRY_USERNAME/DRG_REGISTRY_PASSWORD or ~/.docker/config.json).`,
  options: {
    group: option.string('--group <group>', `the consumer group to share the work in (default: ${DEFAULT_GROUP})`),
  },
  examples: [
    { command: 'drg firmware agent --app my-app', description: "Serve my-app's devices" },
    {
      command: 'drg firmware agent --app my-app --group fleet-eu',
      description: 'Run it on several machines with the same group: they share the load',
    },
  ],
  async handler({ options }, ctx) {
    if (options.group === '') throw new UsageError('--group must not be empty');
    const session = await ctx.session();
    const app = session.requireApp();
    const endpoints = await new EndpointsClient(session.api).endpoints();
    if (!endpoints.mqtt_integration) {
      throw new DrgError(`${session.context.drogue_cloud_url} has no MQTT integration, which the agent consumes from`);
    }
    const [{ remoteImages, startRemoteAgent }, { FirmwareClient }, { OciClient, OciImageCache }] = await Promise.all([
      import('../../firmware/remote-agent.js'),
      import('../../client/firmware.js'),
      import('../../firmware/oci/index.js'),
    ]);
    const oci = new OciImageCache(new OciClient(), { maxBytes: IMAGE_CACHE_BYTES });
    const group = options.group ?? DEFAULT_GROUP;
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const agent = await startRemoteAgent({
        api: session.api,
        registry: session.registry,
        endpoints,
        app,
        group,
        credentials: async () => mqttCredentials(await session.api.tokens?.authorization()),
        images: remoteImages(new FirmwareClient(session.api), new ImageCache(IMAGE_CACHE_BYTES), oci),
        problem: ({ device, message }) => ctx.out.warn(device ? `${device}: ${message}` : message),
        connected: () => ctx.out.note(`Serving the firmware of application ${app} in group ${group} (Ctrl+C to stop)`),
        disconnected: (reason) =>
          !stop.signal.aborted && ctx.out.note(`Disconnected from the MQTT integration (${reason}): reconnecting`),
      });
      if (!stop.signal.aborted)
        await new Promise((resolve) => stop.signal.addEventListener('abort', resolve, { once: true }));
      await agent.close();
      const c = agent.counts;
      ctx.out.note(
        `Stopped: ${c.reports} reports answered (${c.writes} blocks, ${c.swaps} swaps, ${c.syncs} in sync), ${c.problems} problems`,
      );
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
});

/** Basic user:token → both; a bearer token → the password alone (an OIDC access token, API.md). */
function mqttCredentials(authorization: string | undefined): { username?: string; password: string } {
  if (authorization?.startsWith('Basic ')) {
    const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (authorization?.startsWith('Bearer ')) return { password: authorization.slice(7) };
  throw new DrgError('the firmware agent needs credentials: log in first (drg login URL)');
}
