// `drg get app [NAME]`: the applications the user can read (a list), or one.
import { arg, defineCommand } from '../../cli/command.js';
import { UsageError } from '../../errors.js';
import { checkAppName } from '../../resources/names.js';
import { APP_ALIASES, HEADERS, parseSelectorFlag, SELECTOR } from '../options.js';

export const getApp = defineCommand({
  path: 'get app',
  aliases: APP_ALIASES,
  summary: 'list the applications you can read, or show one',
  args: { name: arg.optional('the application (leave out to list them)', 'app') },
  options: { labels: SELECTOR, headers: HEADERS },
  examples: [
    { command: 'drg get apps', description: 'List the applications you own or are a member of' },
    {
      command: "drg get apps -l 'env=prod,!legacy' -o wide",
      description: 'Those labelled env=prod and not legacy, with more columns',
    },
    { command: 'drg get app my-app -o yaml', description: 'One application as YAML' },
  ],
  async handler({ args, options }, ctx) {
    const labels = parseSelectorFlag(options.labels);
    if (args.name !== undefined) {
      checkAppName(args.name);
      if (labels !== undefined) throw new UsageError('--labels selects from a list: leave out the NAME');
    }
    const { registry } = await ctx.session();
    const data = args.name !== undefined ? await registry.getApp(args.name) : await registry.listApps({ labels });
    await ctx.out.resources(data, 'application');
  },
});
