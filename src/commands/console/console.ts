// `drg console`: the web console of the context's cluster (the `console` endpoint of its discovery, which drg serve
// and Drogue Cloud both have), printed and opened in a browser where there is one.
import { defineCommand, option } from '../../cli/command.js';
import type { Env } from '../../cli/io.js';
import { EndpointsClient } from '../../client/endpoints.js';
import { DrgError } from '../../errors.js';
import { isDocumentFormat } from '../../output/format.js';

export const consoleCommand = defineCommand({
  path: 'console',
  summary: "open the cluster's web console in a browser (its URL is printed too)",
  options: {
    browser: option.boolean('--no-browser', 'only print the URL, do not open a browser'),
  },
  description: `The console's URL comes from the discovery of the context's cluster. drg opens it in the default
browser unless --no-browser is given or there is no display (no DISPLAY or WAYLAND_DISPLAY on Linux and other Unix
systems, as over SSH); the URL is printed in any case. You log in to the console in the browser.`,
  examples: [
    { command: 'drg console', description: 'Open the console of the active context' },
    { command: 'drg console -c local --no-browser', description: 'Only print the URL of the console of context local' },
  ],
  async handler({ options }, ctx) {
    const session = await ctx.session();
    const server = session.context.drogue_cloud_url;
    const endpoints = await new EndpointsClient(session.api).endpoints();
    const url = consoleUrl(endpoints.console, server);
    if (isDocumentFormat(ctx.format)) await ctx.out.data({ console: url });
    else ctx.out.line(url);
    if (!options.browser) return;
    if (!hasDisplay(ctx.env)) {
      ctx.out.note('(no display to open a browser on: open the URL in one)');
      return;
    }
    const { openInBrowser } = await import('../../auth/flows.js');
    await openInBrowser(url);
  },
});

/** The discovered console as an http(s) URL: nothing else is handed to a browser. */
function consoleUrl(value: unknown, server: string): string {
  if (value === undefined) throw new DrgError(`the server at ${server} has no console`);
  const url = typeof value === 'string' && URL.canParse(value) ? new URL(value) : undefined;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new DrgError(`the server at ${server} names a console that is not an http(s) URL`);
  }
  return url.href;
}

/** macOS and Windows always have one; elsewhere an X11 or Wayland display says so. */
function hasDisplay(env: Env): boolean {
  if (process.platform === 'darwin' || process.platform === 'win32') return true;
  return !!(env.DISPLAY || env.WAYLAND_DISPLAY);
}
