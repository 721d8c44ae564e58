// `drg create device-cert DEVICE --ca-key FILE`: a device key pair and certificate, signed by the application's CA.

import { DEVICE_DAYS } from '../../certs/validity.js';
import { arg, defineCommand, option } from '../../cli/command.js';
import { keyOptions } from './options.js';

export const createDeviceCertCommand = defineCommand({
  path: 'create device-cert',
  summary: "create a key pair and certificate for a device, signed by the application's CA key",
  args: { device: arg.required('the device (it must exist)', 'device') },
  options: {
    ...keyOptions(DEVICE_DAYS),
    caKey: option.string('--ca-key <file>', "the application CA's private key (from `drg create app-cert`)", {
      required: true,
    }),
    certOutput: option.string(
      '--cert-output <file>',
      "where to write the device's certificate (default <device>-cert.pem; also --cert_output)",
    ),
    certOutputUnderscore: option.string('--cert_output <file>', 'same as --cert-output', { hidden: true }),
    keyOutput: option.string(
      '--key-output <file>',
      "where to write the device's private key (mode 0600; default <device>-key.pem)",
    ),
  },
  description: `The certificate's subject is "O=Drogue IoT, OU=<app>, CN=<device>"; its issuer is the application's trust anchor
that matches --ca-key. Its validity ends at the latest when the CA's does. The device must exist: it gets the
alias "CN=<device>, O=Drogue IoT, OU=<app>" (as with drg 0.11), the name Drogue Cloud knows a client
certificate by. The files are written only when that update succeeded, and existing files are not overwritten
unless --force.`,
  examples: [
    {
      command: 'drg create device-cert sensor-1 --ca-key my-app-ca-key.pem --app my-app',
      description: 'sensor-1-cert.pem and sensor-1-key.pem, for mosquitto_pub --cert/--key',
    },
  ],
  async handler({ args, options }, ctx) {
    const certOutput = options.certOutput ?? options.certOutputUnderscore;
    const { createDeviceCert } = await import('../../certs/issue.js');
    const message = await createDeviceCert(ctx.session, args.device, { ...options, certOutput, cwd: ctx.io.cwd });
    await ctx.out.outcome({ message });
  },
});
