// `drg logout [-c NAME]`: revokes the context's OIDC session at the issuer and removes its credentials (from the
// keyring too). The context stays, with its URL and default application: `drg login URL -c NAME` logs in again.
import { defineCommand } from '../../cli/command.js';
import { loggedOutMessage } from '../../output/messages.js';

export const logout = defineCommand({
  path: 'logout',
  summary: 'end the session of the context (or -c NAME) at the issuer and remove its credentials',
  description: 'An access token (drg login --access-token) stays valid until it is deleted: drg delete token PREFIX.',
  examples: [
    { command: 'drg logout', description: 'Log out of the active context' },
    { command: 'drg logout -c sandbox', description: 'Log out of the context sandbox' },
  ],
  async handler(_input, ctx) {
    const { logOut } = await import('../../auth/logout.js');
    const { context, outcome, warning } = await logOut(ctx.selection);
    if (warning) ctx.out.warn(warning);
    await ctx.out.outcome({ message: loggedOutMessage(context, outcome) });
  },
});
