// `drg firmware show NAME [VERSION]`: one image of the firmware store, or every version of a name.
import { arg, defineCommand } from '../../cli/command.js';
import { HEADERS } from '../options.js';
import { checkImageName, checkImageVersion, printImages, STORE_HELP } from './images.js';

export const showFirmware = defineCommand({
  path: 'firmware show',
  summary: 'show an image of the firmware store, or all the versions of a name (newest first)',
  description: STORE_HELP,
  args: { name: arg.required("the image's name"), version: arg.optional('its version (default: every version)') },
  options: { headers: HEADERS },
  examples: [
    { command: 'drg firmware show fw', description: 'Every version of fw, newest first' },
    { command: 'drg firmware show fw 1.2.0 -o json', description: 'One image as JSON (size, checksum, created)' },
  ],
  async handler({ args }, ctx) {
    const name = checkImageName(args.name);
    const version = args.version === undefined ? undefined : checkImageVersion(args.version);
    const session = await ctx.session();
    const app = session.requireApp();
    const { FirmwareClient } = await import('../../client/firmware.js');
    const client = new FirmwareClient(session.api);
    const images = version === undefined ? await client.versions(app, name) : await client.get(app, name, version);
    await printImages(ctx, images, `Application ${app} has no firmware ${name}.`);
  },
});
