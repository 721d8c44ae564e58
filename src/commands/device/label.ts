// `drg label device NAME k=v ... k-`: merges into the device's labels (read-modify-write, 409 on a race).
import { arg, defineCommand } from '../../cli/command.js';
import { resourceOutcome } from '../../output/messages.js';
import { relabel } from '../../resources/labels.js';
import { deviceTarget } from '../../resources/target.js';
import { DEVICE_ALIASES, parseLabelArgs } from '../options.js';

export const labelDevice = defineCommand({
  path: 'label device',
  aliases: DEVICE_ALIASES,
  summary: 'label a device; other labels stay as they are',
  args: { name: arg.required('the device', 'device'), labels: arg.variadic('key=value to set, key- to remove', true) },
  examples: [
    { command: 'drg label device sensor-1 room=kitchen --app my-app', description: 'Set a label' },
    { command: 'drg label device sensor-1 room- floor=2', description: 'Remove one label and set another' },
  ],
  async handler({ args }, ctx) {
    const changes = parseLabelArgs(args.labels);
    const session = await ctx.session();
    const target = deviceTarget(session.requireApp(), args.name);
    const outcome = await relabel(session.registry, target, changes);
    await ctx.out.outcome(resourceOutcome('device', args.name, outcome));
  },
});
