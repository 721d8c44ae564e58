// `drg delete app NAME [--ignore-missing]`.
import { arg, defineCommand } from '../../cli/command.js';
import { resourceOutcome } from '../../output/messages.js';
import { checkAppName } from '../../resources/names.js';
import { APP_ALIASES, IGNORE_MISSING } from '../options.js';

export const deleteApp = defineCommand({
  path: 'delete app',
  aliases: APP_ALIASES,
  summary: 'delete an application and its devices',
  args: { name: arg.required('the application', 'app') },
  options: { ignoreMissing: IGNORE_MISSING },
  description:
    'Devices without finalizers go at once. Devices with finalizers stay as they are, and the application stays\n' +
    '(marked for deletion, with the finalizer has-devices) until the last of them is gone.',
  examples: [
    { command: 'drg delete app my-app', description: 'Delete an application (owner or admin members only)' },
    { command: 'drg delete app my-app --ignore-missing', description: 'Succeed also when it does not exist' },
  ],
  async handler({ args, options }, ctx) {
    checkAppName(args.name);
    const { registry } = await ctx.session();
    const deleted = await registry.deleteApp(args.name, { ignoreMissing: options.ignoreMissing });
    await ctx.out.outcome(resourceOutcome('application', args.name, deleted ? 'deleted' : 'missing'));
  },
});
