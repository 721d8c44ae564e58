// `drg firmware delete NAME VERSION`: removes one image from the firmware store (its bytes too, unless another
// image has the same).
import { arg, defineCommand } from '../../cli/command.js';
import { checkImageName, checkImageVersion, STORE_HELP } from './images.js';

export const deleteFirmware = defineCommand({
  path: 'firmware delete',
  aliases: ['rm'],
  summary: 'delete an image from the firmware store',
  description: `${STORE_HELP}

Devices whose spec.firmware names the image wait for it (the agent answers them Wait) until it is there again.`,
  args: { name: arg.required("the image's name"), version: arg.required('its version') },
  examples: [{ command: 'drg firmware delete fw 1.0.0 --app my-app', description: 'Delete fw 1.0.0 of my-app' }],
  async handler({ args }, ctx) {
    const name = checkImageName(args.name);
    const version = checkImageVersion(args.version);
    const session = await ctx.session();
    const app = session.requireApp();
    const { FirmwareClient } = await import('../../client/firmware.js');
    await new FirmwareClient(session.api).delete(app, name, version);
    await ctx.out.outcome({ message: `Deleted firmware ${name} ${version} from application ${app}` });
  },
});
