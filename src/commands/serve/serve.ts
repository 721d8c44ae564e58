// `drg serve`: a local Drogue Cloud in this process. Only the flags are here; the server loads when it runs.
import { defineCommand, option } from '../../cli/command.js';

export const serve = defineCommand({
  path: 'serve',
  summary: 'run a local Drogue Cloud: registry, API and OpenID Provider, in one process',
  options: {
    port: option.string('--port <port>', 'HTTP port', { default: '8011' }),
    bind: option.string('--bind <address>', 'address to listen on', { default: '127.0.0.1' }),
    dataDir: option.string('--data-dir <dir>', 'where the data lives (default: $XDG_DATA_HOME/drg/serve)'),
    mqttPort: option.string('--mqtt-port <port>', 'MQTT device endpoint port', { default: '1883' }),
    mqttIntegrationPort: option.string('--mqtt-integration-port <port>', 'MQTT integration port', { default: '18883' }),
    login: option.boolean('--no-login', 'do not write a context for this instance into the drg config'),
    tokenTtl: option.string(
      '--token-ttl <seconds>',
      'lifetime of the OIDC access tokens the built-in issuer signs (default: 300)',
    ),
    adminPassword: option.string('--admin-password <password>', 'set the password of the built-in user "admin"'),
    user: option.list('--user <name:password>', 'create a user, or set their password (repeatable)'),
    usersFile: option.string(
      '--users-file <file>',
      'create users from an htpasswd file with bcrypt hashes (htpasswd -nbB NAME PASSWORD)',
    ),
    issuerUrl: option.string(
      '--issuer-url <url>',
      'use this OpenID Provider instead of the built-in one (tokens checked with its keys)',
    ),
  },
  description: `On start, drg serve writes a context (named "local", or -c NAME) with an access token for the
built-in user "admin" into the drg config and makes it active, so other drg commands just work.

Users log in (drg login URL) at the built-in OpenID Provider, URL/oidc. On the first start, admin's
password is generated and printed once; --admin-password sets it. The API accepts the issuer's
access tokens (JWTs) as Bearer tokens or ?token=, and access tokens (drg create token).
With --issuer-url, users log in at that provider instead; its access tokens must have the audience
"drogue" and name the user in preferred_username (else sub).`,
  examples: [
    {
      command: 'drg serve',
      description: 'A local Drogue Cloud on http://127.0.0.1:8011, data in ~/.local/share/drg/serve',
    },
    {
      command: 'drg serve --port 0 --data-dir /tmp/drg --no-login',
      description: 'On a free port, elsewhere, without a context',
    },
    { command: 'drg serve --users-file users.htpasswd', description: 'With users from an htpasswd file (bcrypt)' },
  ],
  async handler({ options }, ctx) {
    const { run } = await import('../serve.js');
    await run({
      ...options,
      user: options.user,
      contextName: ctx.selection.context,
      config: ctx.selection.configPath,
      verbose: ctx.verbose,
    });
  },
});
