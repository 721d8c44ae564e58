// `drg whoami [--token]` and `drg whoami endpoints [NAME]`.
import { arg, defineCommand, option } from '../../cli/command.js';
import type { CommandContext } from '../../cli/context.js';
import { type DiscoveredEndpoints, EndpointsClient } from '../../client/endpoints.js';
import { isAccessTokenCredentials } from '../../config/config.js';
import { AuthError, UsageError } from '../../errors.js';
import { isDocumentFormat } from '../../output/format.js';
import { HEADERS } from '../options.js';

export const whoami = defineCommand({
  path: 'whoami',
  summary: 'print the user and the cluster of the context',
  options: {
    token: option.boolean('-t, --token', 'print only the access token of the context (refreshed if it expires soon)'),
    endpoints: option.string('-e, --endpoints [name]', 'same as `whoami endpoints [name]`'),
  },
  examples: [
    { command: 'drg whoami', description: 'Who you are, where' },
    {
      command:
        'curl -H "Authorization: Bearer $(drg whoami --token)" "$(drg whoami endpoints api)/api/registry/v1alpha1/apps"',
      description: 'Call the API with the token of an OIDC login',
    },
  ],
  async handler({ options }, ctx) {
    if (options.endpoints !== undefined) {
      // `-e` without a name: commander gives true.
      await printEndpoints(ctx, (options.endpoints as unknown) === true ? undefined : options.endpoints);
      return;
    }
    const session = await ctx.session();
    if (options.token) {
      // Asked for explicitly: the one place a secret is printed. An OAuth token is refreshed first if it expires soon.
      const token = session.context.token;
      if (isAccessTokenCredentials(token)) {
        ctx.out.note(
          `(an access token: send it as HTTP Basic credentials ${token.id}:TOKEN, e.g. curl -u ${token.id}:TOKEN, not as a Bearer token)`,
        );
      }
      const secret = isAccessTokenCredentials(token)
        ? token.token
        : token?.access_token && (await session.api.tokens?.authorization())?.replace(/^Bearer /, '');
      if (!secret) throw new AuthError(`context ${session.context.name} holds no token: run \`drg login URL\``);
      if (isDocumentFormat(ctx.format)) await ctx.out.data({ token: secret });
      else ctx.out.line(secret);
      return;
    }
    const user = await session.admin.whoami();
    const info = {
      context: session.context.name,
      user,
      drogue_cloud_url: session.context.drogue_cloud_url,
      ...(session.context.default_app ? { default_app: session.context.default_app } : {}),
    };
    if (isDocumentFormat(ctx.format)) {
      await ctx.out.data(info);
      return;
    }
    ctx.out.line(`You are logged in to ${info.drogue_cloud_url} as ${user} (context ${info.context})`);
    if (info.default_app) ctx.out.line(`Default application: ${info.default_app}`);
  },
});

export const whoamiEndpoints = defineCommand({
  path: 'whoami endpoints',
  aliases: ['endpoint'],
  summary: "list the cluster's endpoints, or print one",
  args: { name: arg.optional('an endpoint, e.g. registry or mqtt') },
  options: { headers: HEADERS },
  examples: [
    { command: 'drg whoami endpoints', description: 'Every endpoint the cluster serves' },
    { command: 'drg whoami endpoints mqtt', description: 'Only the MQTT endpoint, as host:port' },
    {
      command: 'curl --cacert "$(drg whoami endpoints local_ca_file)" "$(drg whoami endpoints https)/v1/telemetry" ...',
      description: "Trust drg serve's local CA",
    },
  ],
  handler: ({ args }, ctx) => printEndpoints(ctx, args.name),
});

async function printEndpoints(ctx: CommandContext, name: string | undefined): Promise<void> {
  const session = await ctx.session();
  const endpoints = await new EndpointsClient(session.api).endpoints();
  if (name !== undefined) {
    if (!(name in endpoints)) {
      throw new UsageError(`no endpoint "${name}": known are ${Object.keys(endpoints).join(', ')}`);
    }
    if (isDocumentFormat(ctx.format)) await ctx.out.data({ [name]: endpoints[name] });
    else ctx.out.line(endpointAddress(endpoints[name]));
    return;
  }
  if (isDocumentFormat(ctx.format)) {
    await ctx.out.data(endpoints);
    return;
  }
  const rows = Object.entries(endpoints).map(([key, value]) => [key, endpointAddress(value)]);
  ctx.out.table([['NAME', 'URL'], ...rows], 'The cluster names no endpoints.');
  const caHint = localCaHint(endpoints);
  if (caHint) ctx.out.note(caHint);
}

/** With drg serve's local CA: where its file is, and how TLS clients trust it. */
function localCaHint({ local_certs, local_ca_file: file, mqtts, https }: DiscoveredEndpoints): string | undefined {
  if (!local_certs || typeof file !== 'string') return undefined;
  const mqtt = typeof mqtts?.host === 'string' ? `-h ${mqtts.host} -p ${mqtts.port}` : '-h HOST -p PORT';
  const url = typeof https?.url === 'string' ? `${https.url}/v1/telemetry` : 'URL';
  return `The TLS endpoints use a local CA: trust its certificate ${file}, e.g. mosquitto_pub --cafile ${file} ${mqtt} ..., curl --cacert ${file} ${url} ...`;
}

/** A URL string, `{url}`, or `{host, port}` as one string. */
function endpointAddress(value: DiscoveredEndpoints[string]): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const v = value as { url?: string; host?: string; port?: number };
    if (typeof v.url === 'string') return v.url;
    if (typeof v.host === 'string') return v.port !== undefined ? `${v.host}:${v.port}` : v.host;
  }
  return String(value);
}
