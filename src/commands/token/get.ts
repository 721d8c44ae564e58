// `drg get token`: the user's API access tokens, by prefix (the secrets are never shown again).
import { defineCommand } from '../../cli/command.js';
import { isDocumentFormat } from '../../output/format.js';
import { HEADERS } from '../options.js';

export const getToken = defineCommand({
  path: 'get token',
  aliases: ['tokens'],
  summary: 'list your API access tokens (their prefixes; the secrets are never shown again)',
  options: { headers: HEADERS },
  examples: [{ command: 'drg get tokens', description: 'List your tokens with their descriptions' }],
  async handler(_input, ctx) {
    const list = await (await ctx.session()).tokens.list();
    if (isDocumentFormat(ctx.format)) await ctx.out.data(list);
    else if (ctx.format === 'name') ctx.out.names(list.map((t) => `token/${t.prefix}`));
    else {
      const rows = list.map((t) => [t.prefix, t.created.replace(/\.\d+(?=Z$)/, ''), t.description ?? '']);
      ctx.out.table([['PREFIX', 'CREATED', 'DESCRIPTION'], ...rows], 'You have no access tokens.');
    }
  },
});
