// `drg stream` (and `drg stream tail`): an application's events from the WebSocket integration, until Ctrl+C or
// `-n` events. The stream client (and `ws`) load with the command: other commands never pay for them.
import { isOAuthContext } from '../../auth/oauth-tokens.js';
import { arg, defineCommand, type OptionValues, option } from '../../cli/command.js';
import type { CommandContext } from '../../cli/context.js';
import { type DiscoveredEndpoints, EndpointsClient } from '../../client/endpoints.js';
import type { Session } from '../../client/session.js';
import { DrgError, UsageError } from '../../errors.js';
import type { CloudEvent } from '../../model/cloudevents.js';
import { isJsonObject } from '../../model/json.js';
import { parseDuration } from '../../model/units.js';
import { EventLines } from './event-line.js';

const OPTIONS = {
  device: option.string('--device <device>', 'only the events of this device, or those a gateway of this name sent'),
  channel: option.string('--channel <channel>', 'only the events of this channel'),
  group: option.string(
    '--group <group>',
    'consume as a member of this consumer group: members share its events, and it resumes where it left off',
  ),
  since: option.string('--since <duration>', 'first the events of the last DURATION (90s, 10m, 2h, 1d; drg serve)'),
  fromStart: option.boolean('--from-start', 'first every event the server keeps (drg serve)'),
  count: option.string('-n, --count <count>', 'exit after this many events'),
};

const DESCRIPTION = `Each event prints as one line: its time, device (and the gateway that sent it), channel and payload;
with -o json, as the CloudEvent itself, one JSON document per line (for jq). --device is matched here; the others
are the server's: --channel and --group as Drogue Cloud has them, --since and --from-start only with drg serve,
which keeps events (a Drogue Cloud streams from the moment drg connects). A dropped connection is opened again,
1 s, 2 s, 4 s ... up to 30 s later; with --group the stream resumes where it left off, without one the events sent
meanwhile are missed. An OIDC login's token is renewed on the open stream before it expires.`;

const EXAMPLES = [
  { command: 'drg stream --app my-app', description: "Follow an application's events" },
  { command: 'drg stream tail --app my-app', description: 'The same' },
  { command: 'drg stream --device sensor-1 --channel temperature', description: 'One device, one channel' },
  { command: 'drg stream -n 1 -o json | jq .data', description: 'Wait for the next event and print its payload' },
  { command: 'drg stream --group dashboard --from-start', description: 'Replay what drg serve kept, then follow' },
] as const;

type StreamOptions = OptionValues<typeof OPTIONS>;

export const stream = defineCommand({
  path: 'stream',
  summary: "follow an application's events (Ctrl+C to stop); `drg stream tail` is the same",
  description: DESCRIPTION,
  // A word, not a command of its own: the options after it are stream's.
  args: { tail: arg.optional('`tail`, which changes nothing') },
  options: OPTIONS,
  examples: EXAMPLES,
  handler: ({ args, options }, ctx) => {
    if (args.tail !== undefined && args.tail !== 'tail') {
      throw new UsageError(
        `unknown word ${JSON.stringify(args.tail)}: drg stream takes only \`tail\` (the same as without it)`,
      );
    }
    return follow(options, ctx);
  },
});

/** Streams until Ctrl+C, `-n` events, or a failure. */
async function follow(options: StreamOptions, ctx: CommandContext): Promise<void> {
  const count = parseCount(options.count);
  const sinceMs = parseSince(options.since);
  if (sinceMs !== undefined && options.fromStart) throw new UsageError('give --since or --from-start, not both');
  if (ctx.format === 'yaml' || ctx.format === 'name') {
    throw new UsageError(`drg stream prints lines, or JSON lines with -o json: not -o ${ctx.format}`);
  }
  for (const [flag, value] of [
    ['--device', options.device],
    ['--channel', options.channel],
    ['--group', options.group],
  ] as const) {
    if (value === '') throw new UsageError(`${flag} must not be empty`);
  }
  if (options.channel === '.' || options.channel === '..') {
    throw new UsageError(`--channel ${options.channel} cannot be streamed: it is not a name in a URL path`);
  }

  const session = await ctx.session();
  const app = session.requireApp();
  const endpoints = await new EndpointsClient(session.api).endpoints();
  const integrationUrl = endpoints.websocket_integration?.url;
  if (typeof integrationUrl !== 'string') {
    throw new DrgError(
      `${session.api.baseUrl} has no WebSocket integration (discovery lists no websocket_integration)`,
    );
  }
  const replay = sinceMs !== undefined || options.fromStart;
  if (replay && !replaysEvents(endpoints)) {
    throw new DrgError(`${session.api.baseUrl} does not keep events: --since and --from-start need drg serve`, {
      hint: 'a Drogue Cloud streams the events from the moment drg connects (and a --group resumes where it left off)',
    });
  }

  const { streamEvents } = await import('../../client/stream.js');
  const stop = new AbortController();
  let shown = 0;
  const show = eventPrinter(ctx, options.device, () => {
    if (++shown === count) stop.abort();
  });
  // Ctrl+C ends the stream normally. The listener stays until the stream has ended: removed in the signal's own
  // emit, signal-exit (loaded with the config lock of a token refresh) would re-raise the signal.
  const onSignal = () => stop.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await streamEvents(
      {
        integrationUrl,
        app,
        channel: options.channel,
        group: options.group,
        since: sinceMs === undefined ? undefined : new Date(ctx.clock.now() - sinceMs).toISOString(),
        fromStart: options.fromStart,
        api: session.api,
        context: session.context.name,
        renew: tokenRenewal(session),
        signal: stop.signal,
      },
      {
        opened: (again) => ctx.out.note(again ? 'Reconnected' : openedText(app, options)),
        event: show,
        retrying: (reason, delayMs, dropped) => ctx.out.warn(retryText(reason, delayMs, dropped, options.group)),
      },
    );
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * drg serve's marker in discovery: its WebSocket integration replays kept events (`?since=`, `?from_start=true`).
 * A Drogue Cloud ignores both parameters, so asking it would silently show only new events.
 */
function replaysEvents(endpoints: DiscoveredEndpoints): boolean {
  return endpoints.event_replay === true;
}

/** Prints each event that passes the --device filter, in the output format; `shown` counts it. */
function eventPrinter(ctx: CommandContext, device: string | undefined, shown: () => void): (text: string) => void {
  const lines = ctx.format === 'json' ? undefined : new EventLines(ctx.out.colors('stdout'), terminalWidth(ctx));
  return (text) => {
    let event: Partial<CloudEvent>;
    try {
      const parsed: unknown = JSON.parse(text);
      if (!isJsonObject(parsed)) throw new Error('not an object');
      event = parsed as Partial<CloudEvent>;
    } catch {
      ctx.out.warn('the server sent a frame that is not a CloudEvent: skipped');
      return;
    }
    if (device !== undefined && event.device !== device && event.sender !== device) return;
    // -o json: the event as it came, unless it spans lines (then as one line).
    const line = lines ? lines.line(event, ctx.clock.now()) : text.includes('\n') ? JSON.stringify(event) : text;
    ctx.io.stdout.write(`${line}\n`);
    shown();
  };
}

function terminalWidth(ctx: CommandContext): number | undefined {
  return ctx.io.stdout.isTTY ? ctx.io.stdout.columns : undefined;
}

/** Fresh tokens for an OIDC login, by the refresh every command uses (the config's lock, compare-and-swap). */
function tokenRenewal(session: Session): ((current: string) => Promise<string>) | undefined {
  const { context, configPath } = session;
  if (!isOAuthContext(context)) return undefined;
  return async (current) => {
    const { refreshContextToken } = await import('../../auth/refresh.js');
    return (await refreshContextToken(configPath, context.name, current, 'expiring')).accessToken;
  };
}

function openedText(app: string, options: StreamOptions): string {
  const parts = [`Streaming the events of application ${app}`];
  if (options.channel !== undefined) parts.push(`, channel ${options.channel}`);
  if (options.group !== undefined) parts.push(`, as a member of group ${options.group}`);
  return `${parts.join('')} (Ctrl+C to stop)`;
}

function retryText(reason: string, delayMs: number, dropped: boolean, group: string | undefined): string {
  const when = `${delayMs / 1000}s`;
  if (!dropped) return `cannot reconnect (${reason}): retrying in ${when}`;
  const resume =
    group === undefined ? ' (events sent meanwhile are missed without --group)' : `, resuming group ${group}`;
  return `the event stream dropped (${reason}): reconnecting in ${when}${resume}`;
}

function parseCount(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`-n/--count must be a positive whole number, not ${JSON.stringify(text)}`);
  }
  return Number(text);
}

function parseSince(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined) {
    throw new UsageError(`--since must be a duration such as 90s, 10m, 2h or 1d, not ${JSON.stringify(text)}`);
  }
  return ms;
}
