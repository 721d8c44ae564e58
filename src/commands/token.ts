// `drg create token [--description D]`, `drg get token`, `drg delete token PREFIX`: API access tokens.
import type { GlobalOptions } from '../cli.js';
import { openSession } from '../client/session.js';
import { TokensClient } from '../client/tokens.js';
import { UsageError } from '../output/errors.js';
import { tokenDeletedMessage } from '../output/messages.js';
import { printData, renderTable } from '../output/render.js';
import { outputFormat, reportSuccess } from './common.js';

async function tokensClient(globals: GlobalOptions): Promise<TokensClient> {
  return new TokensClient((await openSession(globals)).api);
}

/** The token goes alone to stdout (`TOKEN=$(drg create token)` works); the explanation to stderr. */
export async function createToken(globals: GlobalOptions, opts: { description?: string }): Promise<void> {
  const format = outputFormat(globals);
  const tokens = await tokensClient(globals);
  const created = await tokens.create(opts.description || undefined);
  if (format === 'json' || format === 'yaml') {
    await printData({ prefix: created.prefix, token: created.token }, format);
    return;
  }
  process.stderr.write('A new access token was created:\n');
  process.stdout.write(`${created.token}\n`);
  process.stderr.write(
    'Save it now: it will not be shown again. Log in with it by `drg login URL --access-token USER:TOKEN`.\n',
  );
}

export async function getTokens(globals: GlobalOptions): Promise<void> {
  const format = outputFormat(globals);
  const list = await (await tokensClient(globals)).list();
  if (format === 'json' || format === 'yaml') {
    await printData(list, format);
  } else if (format === 'name') {
    process.stdout.write(list.map((t) => `token/${t.prefix}\n`).join(''));
  } else {
    const rows = list.map((t) => [t.prefix, t.created.replace(/\.\d+(?=Z$)/, ''), t.description ?? '']);
    process.stdout.write(renderTable([['PREFIX', 'CREATED', 'DESCRIPTION'], ...rows]));
  }
}

/** `drg_XXXXXX`; a whole token given by mistake is cut to its prefix, so its secret goes nowhere. */
export function tokenPrefix(arg: string): string {
  const whole = /^(drg_[A-Za-z0-9]+)_/.exec(arg);
  return whole ? whole[1] : arg;
}

export async function deleteToken(globals: GlobalOptions, arg: string): Promise<void> {
  const format = outputFormat(globals);
  const prefix = tokenPrefix(arg.trim());
  if (prefix === '') throw new UsageError('give the prefix of the token (see `drg get token`)');
  await (await tokensClient(globals)).delete(prefix);
  reportSuccess(format, tokenDeletedMessage(prefix));
}
