// `drg label app NAME k=v ... k-`: merges into the application's labels (read-modify-write, 409 on a race).
import { arg, defineCommand } from '../../cli/command.js';
import { resourceOutcome } from '../../output/messages.js';
import { relabel } from '../../resources/labels.js';
import { appTarget } from '../../resources/target.js';
import { APP_ALIASES, parseLabelArgs } from '../options.js';

export const labelApp = defineCommand({
  path: 'label app',
  aliases: APP_ALIASES,
  summary: 'label an application; other labels stay as they are',
  args: {
    name: arg.required('the application', 'app'),
    labels: arg.variadic('key=value to set, key- to remove', true),
  },
  examples: [
    { command: 'drg label app my-app env=prod tier=edge', description: 'Set two labels' },
    { command: 'drg label app my-app tier-', description: 'Remove the label tier' },
  ],
  async handler({ args }, ctx) {
    const changes = parseLabelArgs(args.labels);
    const target = appTarget(args.name);
    const { registry } = await ctx.session();
    const outcome = await relabel(registry, target, changes);
    await ctx.out.outcome(resourceOutcome('application', args.name, outcome));
  },
});
