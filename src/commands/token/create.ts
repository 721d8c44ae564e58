// `drg create token [--description D]`: an API access token, shown only this once.
import { defineCommand, option } from '../../cli/command.js';
import { isDocumentFormat } from '../../output/format.js';

export const createToken = defineCommand({
  path: 'create token',
  summary: 'create an API access token for yourself; it is shown only this once',
  options: { description: option.string('--description <text>', 'what the token is for') },
  description:
    'The token goes alone to stdout (TOKEN=$(drg create token) works), the explanation to stderr. Use it as\n' +
    'HTTP Basic credentials USER:TOKEN, e.g. drg login URL --access-token-file FILE, or curl -u USER:TOKEN.',
  examples: [
    { command: 'drg create token --description "CI pipeline"', description: 'Create a token for a script' },
    { command: 'drg create token -o json', description: 'As {"prefix": ..., "token": ...}' },
  ],
  async handler({ options }, ctx) {
    const session = await ctx.session();
    const created = await session.tokens.create(options.description || undefined);
    if (isDocumentFormat(ctx.format)) {
      await ctx.out.data({ prefix: created.prefix, token: created.token });
      return;
    }
    ctx.out.note('A new access token was created:');
    ctx.out.line(created.token);
    ctx.out.note(
      'Save it now: it will not be shown again. Log in with it by `drg login URL --access-token USER:TOKEN`.',
    );
  },
});
