// `drg edit device NAME` (in the editor), `-s JSON` (a new spec) or `--filename FILE` (drg 0.11).
import { arg, defineCommand } from '../../cli/command.js';
import { EDIT_DESCRIPTION, EDIT_OPTIONS, editResource } from '../edit.js';
import { DEVICE_ALIASES } from '../options.js';

export const editDevice = defineCommand({
  path: 'edit device',
  aliases: DEVICE_ALIASES,
  summary: 'change a device in your editor, from a file, or with a new spec',
  args: { name: arg.optional('the device (with --filename: taken from the file)', 'device') },
  options: EDIT_OPTIONS,
  description: EDIT_DESCRIPTION,
  examples: [
    { command: 'drg edit device sensor-1 --app my-app', description: 'Edit the device as YAML in $EDITOR' },
    { command: `drg edit device sensor-1 -s '{"core":{"disabled":true}}'`, description: 'Disable it (a new spec)' },
    { command: 'drg edit device -f sensor-1.yaml', description: 'Update it from a file saved with drg get -o yaml' },
  ],
  handler: ({ args, options }, ctx) => editResource('device', args.name, options, ctx),
});
