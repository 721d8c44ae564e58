// `drg delete device NAME [--ignore-missing]`.
import { arg, defineCommand } from '../../cli/command.js';
import { resourceOutcome } from '../../output/messages.js';
import { checkDeviceName } from '../../resources/names.js';
import { DEVICE_ALIASES, IGNORE_MISSING } from '../options.js';

export const deleteDevice = defineCommand({
  path: 'delete device',
  aliases: DEVICE_ALIASES,
  summary: 'delete a device',
  args: { name: arg.required('the device', 'device') },
  options: { ignoreMissing: IGNORE_MISSING },
  description: 'A device with finalizers is marked for deletion and goes when its last finalizer is removed.',
  examples: [
    { command: 'drg delete device sensor-1 --app my-app', description: 'Delete a device' },
    { command: 'drg delete device sensor-1 --ignore-missing', description: 'Succeed also when it does not exist' },
  ],
  async handler({ args, options }, ctx) {
    checkDeviceName(args.name);
    const session = await ctx.session();
    const app = session.requireApp();
    const deleted = await session.registry.deleteDevice(app, args.name, { ignoreMissing: options.ignoreMissing });
    await ctx.out.outcome(resourceOutcome('device', args.name, deleted ? 'deleted' : 'missing'));
  },
});
