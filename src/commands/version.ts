// `drg version`: the client's version, and the server's when a context is configured (never fails on it).
import type { GlobalOptions } from '../cli.js';
import { EndpointsClient } from '../client/endpoints.js';
import { ApiClient } from '../client/http.js';
import { readConfig, resolveContext, wantedContextName } from '../client/session.js';
import { CliError } from '../output/errors.js';
import { printData } from '../output/render.js';
import { VERSION } from '../version.js';
import { outputFormat } from './common.js';

export async function version(globals: GlobalOptions): Promise<void> {
  const format = outputFormat(globals);
  const server = await serverVersion(globals);
  if (format === 'json' || format === 'yaml') {
    await printData(
      { client: VERSION, ...(server.version ? { server: server.version, server_url: server.url } : {}) },
      format,
    );
    return;
  }
  process.stdout.write(`Drg Version: ${VERSION}\n`);
  if (server.version) process.stdout.write(`Connected drogue-cloud service: v${server.version}\n`);
  else if (server.problem) process.stderr.write(`(server version unknown: ${server.problem})\n`);
}

async function serverVersion(globals: GlobalOptions): Promise<{ version?: string; url?: string; problem?: string }> {
  try {
    const { config } = await readConfig(globals);
    if (!wantedContextName(globals, config)) return {};
    const context = resolveContext(globals, config);
    const api = new ApiClient({ baseUrl: context.drogue_cloud_url, timeoutMs: 5_000 });
    return { version: await new EndpointsClient(api).version(), url: api.baseUrl };
  } catch (err) {
    return { problem: err instanceof CliError ? err.message : String(err) };
  }
}
