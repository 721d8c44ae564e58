// `drg edit app NAME` (in the editor), `-s JSON` (a new spec) or `--filename FILE` (drg 0.11).
import { arg, defineCommand } from '../../cli/command.js';
import { EDIT_DESCRIPTION, EDIT_OPTIONS, editResource } from '../edit.js';
import { APP_ALIASES } from '../options.js';

export const editApp = defineCommand({
  path: 'edit app',
  aliases: APP_ALIASES,
  summary: 'change an application in your editor, from a file, or with a new spec',
  args: { name: arg.optional('the application (with --filename: taken from the file)', 'app') },
  options: EDIT_OPTIONS,
  description: EDIT_DESCRIPTION,
  examples: [
    { command: 'drg edit app my-app', description: 'Edit the application as YAML in $EDITOR' },
    { command: `drg edit app my-app -s '{"mqtt":{"dialect":{"type":"plainTopic"}}}'`, description: 'Replace its spec' },
    { command: 'drg edit app -f my-app.yaml', description: 'Update it from a file saved with drg get -o yaml' },
  ],
  handler: ({ args, options }, ctx) => editResource('application', args.name, options, ctx),
});
