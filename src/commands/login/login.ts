// `drg login URL`: discover the cluster (and its issuer), get and verify credentials, write the context. The
// logic is in ../../auth/login.ts; this is the command line.

import { parseClusterUrl } from '../../auth/cluster-url.js';
import type { LoginCredentials } from '../../auth/login.js';
import { arg, defineCommand, option } from '../../cli/command.js';
import { type AccessTokenCredentials, DEFAULT_LOGIN_CONTEXT } from '../../config/config.js';
import { UsageError } from '../../errors.js';
import { loggedInMessage } from '../../output/messages.js';

export const login = defineCommand({
  path: 'login',
  summary: 'log in to a Drogue Cloud and store the context (named "default", or -c NAME)',
  args: { url: arg.required('the API URL of the cluster (https:// is assumed when left out)') },
  options: {
    browser: option.boolean('--no-browser', 'only print the login URL, do not open a browser'),
    device: option.boolean(
      '--device',
      'log in on another device (device authorization grant), for machines without a browser',
    ),
    token: option.string(
      '-t, --token <refresh-token>',
      'log in with an OIDC refresh token (visible in the process list: prefer --token-stdin)',
    ),
    tokenStdin: option.boolean('--token-stdin', 'read the refresh token from stdin'),
    accessToken: option.string(
      '--access-token <user:token>',
      'log in with an API access token (see `drg create token`; visible in the process list: prefer --access-token-stdin)',
    ),
    accessTokenStdin: option.boolean('--access-token-stdin', 'read USER:TOKEN from stdin'),
    keepCurrent: option.boolean('-k, --keep-current', 'do not make the new context the active one'),
  },
  description: `By default drg opens a browser at the login page of the cluster's issuer and waits for it on a local
port. The refresh token goes to the OS keyring when there is one, else into the config file (mode 0600).
Secrets given as arguments are visible to other users of the machine (ps): read them from stdin, or set
DRG_ACCESS_TOKEN (USER:TOKEN) or DRG_REFRESH_TOKEN, which drg login uses when no other way is chosen.`,
  examples: [
    { command: 'drg login https://api.sandbox.drogue.cloud', description: 'Log in with your browser' },
    { command: 'drg login https://api.sandbox.drogue.cloud --device', description: 'On a machine without a browser' },
    {
      command: 'drg login https://drogue.example.com --access-token-stdin -c ci < token.txt',
      description: 'With an access token, as context ci',
    },
    { command: 'drg login http://127.0.0.1:8011 -k', description: 'Add a context without making it the active one' },
  ],
  async handler({ args, options }, ctx) {
    const { logIn } = await import('../../auth/login.js');
    const baseUrl = parseClusterUrl(args.url);
    const chosen = [
      options.accessToken !== undefined,
      options.accessTokenStdin,
      options.token !== undefined,
      options.tokenStdin,
      options.device,
    ].filter(Boolean);
    if (chosen.length > 1) {
      throw new UsageError('use only one of --access-token(-stdin), --token(-stdin) and --device');
    }
    const fromStdin = async () => (await ctx.io.readStdin()).trim();
    let credentials: LoginCredentials;
    if (options.accessToken !== undefined) credentials = accessTokenOf(options.accessToken, '--access-token');
    else if (options.accessTokenStdin) credentials = accessTokenOf(await fromStdin(), 'the access token on stdin');
    else if (options.token !== undefined) credentials = { refreshToken: options.token };
    else if (options.tokenStdin) credentials = { refreshToken: await fromStdin() };
    else if (options.device) credentials = { interactive: 'device' };
    else if (ctx.env.DRG_ACCESS_TOKEN) credentials = accessTokenOf(ctx.env.DRG_ACCESS_TOKEN, 'DRG_ACCESS_TOKEN');
    else if (ctx.env.DRG_REFRESH_TOKEN) credentials = { refreshToken: ctx.env.DRG_REFRESH_TOKEN };
    else credentials = { interactive: 'browser', openBrowser: options.browser };
    const result = await logIn({
      baseUrl,
      contextName: ctx.selection.context ?? DEFAULT_LOGIN_CONTEXT,
      configPath: ctx.selection.configPath,
      credentials,
      keepCurrent: options.keepCurrent,
      tell: (line) => ctx.out.note(line),
    });
    await ctx.out.outcome({ message: loggedInMessage(baseUrl, result.user, result.context, result.active) });
  },
});

/** `user:token` (the token may itself contain ':'); `source` names where it came from. */
function accessTokenOf(text: string, source: string): { accessToken: AccessTokenCredentials } {
  const colon = text.indexOf(':');
  if (colon <= 0 || colon === text.length - 1) {
    throw new UsageError(`${source} must be USER:TOKEN`, 'create a token with `drg create token`');
  }
  return { accessToken: { id: text.slice(0, colon), token: text.slice(colon + 1) } };
}
