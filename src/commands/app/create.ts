// `drg create app NAME [--spec JSON] [--labels k=v]`, or `drg create app --filename FILE`.
import { arg, defineCommand } from '../../cli/command.js';
import { resourceOutcome } from '../../output/messages.js';
import {
  APP_ALIASES,
  checkFilenameAlone,
  DATA,
  FILENAME,
  LABELS,
  parseLabelFlag,
  parseSpecFlag,
  SPEC,
} from '../options.js';
import { warnUnknownSpecFields } from '../spec-warnings.js';

export const createApp = defineCommand({
  path: 'create app',
  aliases: APP_ALIASES,
  summary: 'create an application',
  args: { name: arg.optional('the application: lowercase letters, digits and -, up to 63') },
  options: { spec: SPEC, data: DATA, filename: FILENAME, labels: LABELS },
  examples: [
    { command: 'drg create app my-app', description: 'Create an application; you become its owner' },
    { command: 'drg create app my-app --labels env=prod,team=edge', description: 'Create it with labels' },
    {
      command: 'drg get app old-app -o yaml > app.yaml && drg create app -f app.yaml',
      description: 'Create one from a file',
    },
  ],
  async handler({ args, options }, ctx) {
    const { resourceFromFile, resourceFromFlags } = await import('../../resources/create.js');
    const labels = parseLabelFlag(options.labels);
    const spec = parseSpecFlag(options.spec ?? options.data);
    if (options.filename !== undefined) checkFilenameAlone('application', args.name, spec);
    const app =
      options.filename === undefined
        ? resourceFromFlags('application', args.name, { spec, labels })
        : await resourceFromFile('application', {
            file: options.filename,
            labels,
            files: ctx.io,
            defaultApp: () => undefined,
          });
    warnUnknownSpecFields(ctx.out, 'application', app);
    const session = await ctx.session();
    await session.registry.createApp(app);
    await ctx.out.outcome(resourceOutcome('application', app.metadata.name, 'created'));
  },
});
