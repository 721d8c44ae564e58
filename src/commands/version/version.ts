// `drg version`: the client's version, and the server's when a context is configured (never fails on it).
import { defineCommand } from '../../cli/command.js';
import type { CommandContext } from '../../cli/context.js';
import { EndpointsClient } from '../../client/endpoints.js';
import { ApiClient } from '../../client/http.js';
import { resolveContext, wantedContextName } from '../../client/session.js';
import { loadConfig } from '../../config/config.js';
import { errorWords } from '../../output/error-words.js';
import { isDocumentFormat } from '../../output/format.js';
import { VERSION } from '../../version.js';

export const version = defineCommand({
  path: 'version',
  summary: "print the client's version, and the server's when a context is configured",
  examples: [
    { command: 'drg version', description: 'The versions of drg and of the cluster of the active context' },
    { command: 'drg version -o json', description: 'As JSON' },
  ],
  async handler(_input, ctx) {
    const server = await serverVersion(ctx);
    if (isDocumentFormat(ctx.format)) {
      await ctx.out.data({
        client: VERSION,
        ...(server.version ? { server: server.version, server_url: server.url } : {}),
      });
      return;
    }
    ctx.out.line(`Drg Version: ${VERSION}`);
    if (server.version) ctx.out.line(`Connected drogue-cloud service: v${server.version}`);
    else if (server.problem) ctx.out.note(`(server version unknown: ${server.problem})`);
  },
});

async function serverVersion(ctx: CommandContext): Promise<{ version?: string; url?: string; problem?: string }> {
  try {
    const config = await loadConfig(ctx.selection.configPath);
    if (!wantedContextName(ctx.selection, config)) return {};
    const context = resolveContext(ctx.selection, config);
    const api = new ApiClient({ baseUrl: context.drogue_cloud_url, deadlineMs: 5_000 });
    return { version: await new EndpointsClient(api).version(), url: api.baseUrl };
  } catch (err) {
    return { problem: errorWords(err).message };
  }
}
