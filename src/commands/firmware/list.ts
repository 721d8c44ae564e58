// `drg firmware list`: the images of the application's firmware store (drg serve), by name, newest first.
import { defineCommand } from '../../cli/command.js';
import { HEADERS } from '../options.js';
import { printImages, STORE_HELP } from './images.js';

export const listFirmware = defineCommand({
  path: 'firmware list',
  aliases: ['ls'],
  summary: "list the images of the application's firmware store (drg serve)",
  description: `${STORE_HELP}

-o wide shows whole checksums; -o json and -o yaml give each image's name, version, size, checksum and created.`,
  options: { headers: HEADERS },
  examples: [
    { command: 'drg firmware list --app my-app', description: "The images of my-app's store" },
    { command: 'drg firmware list -o json', description: 'As JSON' },
  ],
  async handler(_input, ctx) {
    const session = await ctx.session();
    const app = session.requireApp();
    const { FirmwareClient } = await import('../../client/firmware.js');
    const images = await new FirmwareClient(session.api).list(app);
    await printImages(ctx, images, `Application ${app} has no firmware images: drg firmware push FILE --version V`);
  },
});
