// `drg get device [NAME]`: the devices of the application (a list), or one.
import { arg, defineCommand } from '../../cli/command.js';
import type { CommandContext } from '../../cli/context.js';
import { connectedDevices } from '../../client/connections.js';
import { UsageError } from '../../errors.js';
import { errorWords } from '../../output/error-words.js';
import { checkDeviceName } from '../../resources/names.js';
import { DEVICE_ALIASES, HEADERS, parseSelectorFlag, SELECTOR } from '../options.js';

export const getDevice = defineCommand({
  path: 'get device',
  aliases: DEVICE_ALIASES,
  summary: "list the application's devices, or show one",
  args: { name: arg.optional('the device (leave out to list them)', 'device') },
  options: { labels: SELECTOR, headers: HEADERS },
  examples: [
    { command: 'drg get devices --app my-app', description: 'List the devices of an application' },
    {
      command: 'drg get devices -l room=kitchen -o wide',
      description: 'Those labelled room=kitchen, with credentials, gateways and (drg serve) since when connected',
    },
    { command: 'drg get device sensor-1 -o json', description: 'One device as JSON (the default app of the context)' },
  ],
  async handler({ args, options }, ctx) {
    const labels = parseSelectorFlag(options.labels);
    if (args.name !== undefined) {
      checkDeviceName(args.name);
      if (labels !== undefined) throw new UsageError('--labels selects from a list: leave out the NAME');
    }
    const session = await ctx.session();
    const app = session.requireApp();
    // -o wide: who is connected, where the server knows (drg serve), asked for beside the devices.
    const connections =
      ctx.format === 'wide'
        ? connectedDevices(session.api, app).catch((err) => connectionsUnknown(ctx, err))
        : undefined;
    const data =
      args.name !== undefined
        ? await session.registry.getDevice(app, args.name)
        : await session.registry.listDevices(app, { labels });
    await ctx.out.resources(data, 'device', await connections);
  },
});

/** The devices are shown without their CONNECTED column, and a warning says why. */
function connectionsUnknown(ctx: CommandContext, err: unknown): undefined {
  ctx.out.warn(`cannot tell which devices are connected: ${errorWords(err).message}`);
  return undefined;
}
