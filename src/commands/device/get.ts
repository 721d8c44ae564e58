// `drg get device [NAME]`: the devices of the application (a list), or one.
import { arg, defineCommand } from '../../cli/command.js';
import { UsageError } from '../../errors.js';
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
      description: 'Those labelled room=kitchen, with credentials and gateways',
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
    const data =
      args.name !== undefined
        ? await session.registry.getDevice(app, args.name)
        : await session.registry.listDevices(app, { labels });
    await ctx.out.resources(data, 'device');
  },
});
