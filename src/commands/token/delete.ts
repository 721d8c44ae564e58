// `drg delete token PREFIX`: one of the user's access tokens stops working.
import { arg, defineCommand } from '../../cli/command.js';
import { UsageError } from '../../errors.js';
import { tokenDeletedMessage } from '../../output/messages.js';

/** `drg_XXXXXX`; a whole token given by mistake is cut to its prefix, so its secret goes nowhere. */
function tokenPrefix(arg: string): string {
  const whole = /^(drg_[A-Za-z0-9]+)_/.exec(arg);
  return whole ? whole[1] : arg;
}

export const deleteToken = defineCommand({
  path: 'delete token',
  summary: 'delete one of your API access tokens',
  args: { prefix: arg.required('the prefix of the token (drg_XXXXXX), see `drg get token`') },
  examples: [{ command: 'drg delete token drg_a1B2c3', description: 'The token with this prefix stops working' }],
  async handler({ args }, ctx) {
    const prefix = tokenPrefix(args.prefix.trim());
    if (prefix === '') throw new UsageError('give the prefix of the token (see `drg get token`)');
    await (await ctx.session()).tokens.delete(prefix);
    await ctx.out.outcome({ message: tokenDeletedMessage(prefix) });
  },
});
