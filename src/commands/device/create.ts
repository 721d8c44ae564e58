// `drg create device NAME [--spec JSON] [--labels k=v]`, or `drg create device --filename FILE`.
import { arg, defineCommand } from '../../cli/command.js';
import { UsageError } from '../../errors.js';
import type { Device } from '../../model/resource.js';
import { resourceOutcome } from '../../output/messages.js';
import {
  checkFilenameAlone,
  DATA,
  DEVICE_ALIASES,
  FILENAME,
  LABELS,
  parseLabelFlag,
  parseSpecFlag,
  SPEC,
} from '../options.js';
import { warnUnknownSpecFields } from '../spec-warnings.js';

export const createDevice = defineCommand({
  path: 'create device',
  aliases: DEVICE_ALIASES,
  summary: 'create a device in the application',
  args: { name: arg.optional('the device: 1 to 255 bytes of UTF-8') },
  options: { spec: SPEC, data: DATA, filename: FILENAME, labels: LABELS },
  description:
    "A file's metadata.application wins over the context's default application, but must match an explicit --app.",
  examples: [
    { command: 'drg create device sensor-1 --app my-app', description: 'Create a device' },
    {
      command: `drg create device sensor-2 --spec '{"core":{"disabled":true}}'`,
      description: 'Create a disabled device in the default application',
    },
    { command: 'drg create device -f device.yaml', description: 'Create a device from a file' },
  ],
  async handler({ args, options }, ctx) {
    const { resourceFromFile, resourceFromFlags } = await import('../../resources/create.js');
    const labels = parseLabelFlag(options.labels);
    const spec = parseSpecFlag(options.spec ?? options.data);
    if (options.filename !== undefined) checkFilenameAlone('device', args.name, spec);
    const flags = options.filename === undefined ? resourceFromFlags('device', args.name, { spec, labels }) : undefined;
    const session = await ctx.session();
    let device: Device;
    if (flags) {
      device = { ...flags, metadata: { ...flags.metadata, application: session.requireApp() } };
    } else {
      const resource = await resourceFromFile('device', {
        file: options.filename as string,
        labels,
        files: ctx.io,
        defaultApp: () => session.requireApp(),
      });
      const app = resource.metadata.application as string;
      const explicit = ctx.selection.app;
      if (explicit !== undefined && explicit !== app) {
        throw new UsageError(`the file's metadata.application is "${app}" but --app is "${explicit}"`);
      }
      device = resource as Device;
    }
    warnUnknownSpecFields(ctx.out, 'device', device);
    await session.registry.createDevice(device.metadata.application, device);
    await ctx.out.outcome(resourceOutcome('device', device.metadata.name, 'created'));
  },
});
