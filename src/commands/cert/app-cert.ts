// `drg create app-cert`: a CA key pair and self-signed certificate, added to the application's trust anchors.

import { CA_DAYS } from '../../certs/validity.js';
import { defineCommand, option } from '../../cli/command.js';
import { keyOptions } from './options.js';

export const createAppCertCommand = defineCommand({
  path: 'create app-cert',
  summary: "create a CA key pair and self-signed certificate, and add it to the application's trust anchors",
  options: {
    ...keyOptions(CA_DAYS),
    keyOutput: option.string(
      '--key-output <file>',
      'where to write the private key (mode 0600; default <app>-ca-key.pem)',
    ),
  },
  description: `The certificate's subject is "O=Drogue IoT, OU=Cloud, CN=<app>". It is added after any existing anchors, with
the application's resourceVersion: if someone changes the application meanwhile, nothing is changed (409).
The key file is written only when the application was updated, and existing files are not overwritten
unless --force. Keep the key: \`drg create device-cert\` signs device certificates with it.`,
  examples: [
    {
      command: 'drg create app-cert --app my-app',
      description: 'A new CA for my-app; its key goes to my-app-ca-key.pem',
    },
    { command: 'drg create app-cert --algo RSA --days 365 --key-output ca.key', description: 'An RSA CA for a year' },
  ],
  async handler({ options }, ctx) {
    const { createAppCert } = await import('../../certs/issue.js');
    await ctx.out.outcome({ message: await createAppCert(ctx.session, { ...options, cwd: ctx.io.cwd }) });
  },
});
