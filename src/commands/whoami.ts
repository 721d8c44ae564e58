// `drg whoami [--token]` and `drg whoami endpoints [NAME]`.
import type { GlobalOptions } from '../cli.js';
import { AdminClient } from '../client/admin.js';
import { type DiscoveredEndpoints, EndpointsClient } from '../client/endpoints.js';
import { openSession } from '../client/session.js';
import { isAccessTokenCredentials } from '../config/config.js';
import { CliError, UsageError } from '../output/errors.js';
import { printData, renderTable } from '../output/render.js';
import { outputFormat } from './common.js';

export async function whoami(globals: GlobalOptions, opts: { token?: boolean }): Promise<void> {
  const format = outputFormat(globals);
  const session = await openSession(globals);
  if (opts.token) {
    // Asked for explicitly: the one place a secret is printed. An OAuth token is refreshed first if it expires soon.
    const token = session.context.token;
    const secret = isAccessTokenCredentials(token)
      ? token.token
      : token?.access_token && (await session.api.tokens?.authorization())?.replace(/^Bearer /, '');
    if (!secret) throw new CliError(`context ${session.context.name} holds no token: run \`drg login URL\``);
    if (format === 'json') await printData({ token: secret }, format);
    else process.stdout.write(`${secret}\n`);
    return;
  }
  const user = await new AdminClient(session.api).whoami();
  const info = {
    context: session.context.name,
    user,
    drogue_cloud_url: session.context.drogue_cloud_url,
    ...(session.context.default_app ? { default_app: session.context.default_app } : {}),
  };
  if (format === 'json' || format === 'yaml') {
    await printData(info, format);
    return;
  }
  process.stdout.write(`You are logged in to ${info.drogue_cloud_url} as ${user} (context ${info.context})\n`);
  if (info.default_app) process.stdout.write(`Default application: ${info.default_app}\n`);
}

export async function whoamiEndpoints(globals: GlobalOptions, name: string | undefined): Promise<void> {
  const format = outputFormat(globals);
  const session = await openSession(globals);
  const endpoints = await new EndpointsClient(session.api).endpoints();
  if (name !== undefined) {
    if (!(name in endpoints)) {
      throw new UsageError(`no endpoint "${name}": known are ${Object.keys(endpoints).join(', ')}`);
    }
    const value = endpointAddress(endpoints[name]);
    if (format === 'json') await printData({ [name]: endpoints[name] }, format);
    else process.stdout.write(`${value}\n`);
    return;
  }
  if (format === 'json' || format === 'yaml') {
    await printData(endpoints, format);
    return;
  }
  const rows = Object.entries(endpoints).map(([key, value]) => [key, endpointAddress(value)]);
  process.stdout.write(renderTable([['NAME', 'URL'], ...rows]));
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
