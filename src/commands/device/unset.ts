// `drg unset gateway|alias DEVICE NAME`: removes what `drg set gateway|alias` added (read-modify-write).
import { arg, defineCommand } from '../../cli/command.js';
import { checkDeviceName } from '../../resources/names.js';
import { changeDevice, deviceSpec } from './set.js';

export const unsetGateway = defineCommand({
  path: 'unset gateway',
  summary: 'stop a device from acting as gateway for this device',
  args: {
    device: arg.required('the device', 'device'),
    gateway: arg.required('the gateway device to remove', 'device'),
  },
  examples: [
    { command: 'drg unset gateway sensor-1 gw-1 --app my-app', description: 'gw-1 may no longer publish for sensor-1' },
  ],
  async handler({ args }, ctx) {
    checkDeviceName(args.device);
    const { withoutGateway } = await deviceSpec();
    await changeDevice(ctx, args.device, (d) => withoutGateway(d, args.gateway));
  },
});

export const unsetAlias = defineCommand({
  path: 'unset alias',
  summary: 'remove an alias of a device',
  args: { device: arg.required('the device', 'device'), alias: arg.required('the alias to remove') },
  examples: [{ command: 'drg unset alias sensor-1 old-name', description: 'Remove the alias old-name' }],
  async handler({ args }, ctx) {
    checkDeviceName(args.device);
    const { withoutAlias } = await deviceSpec();
    await changeDevice(ctx, args.device, (d) => withoutAlias(d, args.alias));
  },
});
