// `drg simulate`: a fleet of simulated devices in an application, sending telemetry and taking firmware updates
// over DFU as real devices do (src/simulator/). The simulator (and MQTT.js) load with the command.
import { defineCommand, type OptionValues, option } from '../../cli/command.js';
import type { CommandContext } from '../../cli/context.js';
import { EndpointsClient } from '../../client/endpoints.js';
import type { DfuEncoding } from '../../dfu/codec.js';
import { MAX_VERSION_BYTES } from '../../dfu/limits.js';
import { UsageError } from '../../errors.js';
import { parseDuration } from '../../model/units.js';
import { escapeInline } from '../../output/escape.js';
import { checkDeviceName } from '../../resources/names.js';
import type { Fleet } from '../../simulator/fleet.js';

const MAX_DEVICES = 10_000;
const MAX_MTU = 1_048_576;
/** Registry requests at once while the devices are made. */
const PROVISION_CONCURRENCY = 16;
const LIVE_MS = 1_000;
const LOG_MS = 5_000;
const CLEAR_LINE = '\r\u001b[K';

const OPTIONS = {
  devices: option.string('-n, --devices <count>', 'how many devices (1 to 10000)', { required: true }),
  prefix: option.string('--prefix <prefix>', 'their names: PREFIX-1 ... PREFIX-N', { default: 'sim' }),
  protocol: option.string('--protocol <protocol>', 'how they connect', { choices: ['mqtt', 'http'], default: 'mqtt' }),
  rate: option.string('--rate <msg/s>', 'telemetry messages a second, per device (0: none)', { default: '0.1' }),
  firmwareVersion: option.string('--firmware-version <version>', 'the firmware they run at start', {
    default: '1.0.0',
  }),
  mtu: option.string('--mtu <bytes>', 'the largest firmware block they ask for', { default: '512' }),
  failRate: option.string('--fail-rate <share>', 'the share of devices whose updates fail (0.2 or 20%)', {
    default: '0',
  }),
  encoding: option.string('--encoding <encoding>', 'how they encode their DFU reports', {
    choices: ['packed', 'named', 'json'],
    default: 'packed',
  }),
  untilVersion: option.string(
    '--until-version <version>',
    'exit once every device runs this version and the cloud has taken its report of it',
  ),
  duration: option.string('--duration <duration>', 'stop after this long (90s, 10m, 2h)'),
};

type SimulateOptions = OptionValues<typeof OPTIONS>;

export const simulate = defineCommand({
  path: 'simulate',
  summary: 'simulate devices that send telemetry and take firmware updates (DFU), until Ctrl+C',
  description: `Devices PREFIX-1 ... PREFIX-N of the application are created when missing (labelled
simulated=true), each with a password of its own: derived from a secret kept beside the drg config
(drg_simulator_secret, 0600), so that the next run knows it; the registry holds only a bcrypt hash. They connect over
MQTT (user DEVICE@APP, commands on command/inbox//dfu) or HTTP (POST /v1/dfu?ct=30), send telemetry on the
telemetry channel, and report their firmware on the dfu channel as Drogue's embedded-update does: blocks are taken
at the offset they expect, the image's SHA-256 is checked at Swap, and the device then runs the new version.
--fail-rate makes that share of them (exactly, chosen by number) revert every update at Swap, as a bootloader that
rejects the image. The firmware agent (drg serve, or drg firmware agent) answers them; drg firmware rollout moves them.`,
  options: OPTIONS,
  examples: [
    { command: 'drg simulate --app fleet --devices 100', description: '100 devices over MQTT until Ctrl+C' },
    {
      command: 'drg simulate --app fleet -n 1000 --fail-rate 5% --until-version 2.0.0',
      description: 'Until every device runs 2.0.0; 5% of them fail their updates',
    },
    {
      command: 'drg simulate --app fleet -n 10 --protocol http --encoding json --duration 10m -o json',
      description: 'HTTP devices for ten minutes, then a JSON summary',
    },
  ],
  handler: ({ options }, ctx) => run(parseOptions(options), ctx),
});

interface Simulation {
  count: number;
  prefix: string;
  protocol: 'mqtt' | 'http';
  rate: number;
  firmwareVersion: string;
  mtu: number;
  failRate: number;
  encoding: DfuEncoding;
  untilVersion?: string;
  durationMs?: number;
}

function parseOptions(options: SimulateOptions): Simulation {
  const count = wholeNumber(options.devices, '--devices', 1, MAX_DEVICES);
  if (options.prefix === '') throw new UsageError('--prefix must not be empty');
  checkDeviceName(`${options.prefix}-${count}`);
  const rate = Number(options.rate);
  if (options.rate.trim() === '' || !Number.isFinite(rate) || rate < 0 || rate > 1000) {
    throw new UsageError(
      `--rate must be a number of messages a second from 0 to 1000, not ${JSON.stringify(options.rate)}`,
    );
  }
  const durationMs = options.duration === undefined ? undefined : parseDuration(options.duration);
  if (options.duration !== undefined && durationMs === undefined) {
    throw new UsageError(
      `--duration must be a duration such as 90s, 10m or 2h, not ${JSON.stringify(options.duration)}`,
    );
  }
  return {
    count,
    prefix: options.prefix,
    protocol: options.protocol as 'mqtt' | 'http',
    rate,
    firmwareVersion: version(options.firmwareVersion, '--firmware-version'),
    mtu: wholeNumber(options.mtu, '--mtu', 1, MAX_MTU),
    failRate: share(options.failRate),
    encoding: options.encoding as DfuEncoding,
    untilVersion: options.untilVersion === undefined ? undefined : version(options.untilVersion, '--until-version'),
    durationMs,
  };
}

function wholeNumber(text: string, flag: string, min: number, max: number): number {
  const value = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!(value >= min && value <= max)) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, not ${JSON.stringify(text)}`);
  }
  return value;
}

/** `0.2` or `20%`. */
function share(text: string): number {
  const percent = text.trim().endsWith('%');
  const number = percent ? text.trim().slice(0, -1) : text.trim();
  const value = /^\d+(\.\d+)?$|^\.\d+$/.test(number) ? Number(number) / (percent ? 100 : 1) : Number.NaN;
  if (!(value >= 0 && value <= 1)) {
    throw new UsageError(`--fail-rate must be a share from 0 to 1, or a percentage (20%), not ${JSON.stringify(text)}`);
  }
  return value;
}

function version(text: string, flag: string): string {
  if (text === '') throw new UsageError(`${flag} must not be empty`);
  if (Buffer.byteLength(text) > MAX_VERSION_BYTES)
    throw new UsageError(`${flag} is longer than ${MAX_VERSION_BYTES} bytes`);
  return text;
}

async function run(simulation: Simulation, ctx: CommandContext): Promise<number | undefined> {
  const session = await ctx.session();
  const app = session.requireApp();
  const server = session.api.baseUrl;
  const { deviceEndpoint } = await import('../../simulator/endpoints.js');
  const endpoint = await deviceEndpoint(
    await new EndpointsClient(session.api).endpoints(),
    simulation.protocol,
    server,
  );
  const { devicePassword, provisionDevices, simulatedDeviceNames, simulatorSecret } = await import(
    '../../simulator/provision.js'
  );
  const secret = await simulatorSecret(session.configPath);
  const devices = simulatedDeviceNames(simulation.prefix, simulation.count).map((name) => ({
    name,
    password: devicePassword(secret, app, name),
  }));
  ctx.out.note(`Preparing ${devices.length} devices in application ${app}...`);
  const provisioned = await provisionDevices(session.registry, app, devices, { concurrency: PROVISION_CONCURRENCY });
  if (provisioned.created > 0) ctx.out.note(`Created ${provisioned.created} devices`);
  if (provisioned.updated > 0) ctx.out.note(`Gave ${provisioned.updated} existing devices the simulator's credential`);

  const { startFleet } = await import('../../simulator/fleet.js');
  const startedAt = ctx.clock.now();
  const fleet = await startFleet({
    app,
    devices,
    protocol: simulation.protocol,
    ...endpoint,
    firmwareVersion: simulation.firmwareVersion,
    mtu: simulation.mtu,
    failRate: simulation.failRate,
    encoding: simulation.encoding,
    telemetryRate: simulation.rate,
  });
  const first = fleet.stats();
  if (simulation.protocol === 'mqtt' && first.connected === 0 && first.lastError) {
    ctx.out.warn(`no device could connect yet (they keep trying): ${first.lastError}`);
  }
  ctx.out.note(`Simulating ${devices.length} devices over ${simulation.protocol} (Ctrl+C to stop)`);
  let outcome: Ending;
  try {
    outcome = await untilDone(fleet, simulation, ctx);
  } finally {
    await fleet.close();
  }
  return summarize(ctx, fleet, simulation, { app, ms: ctx.clock.now() - startedAt, ...outcome });
}

type Ending = { reason: 'version' | 'duration' | 'signal' };

/** Runs until every device runs --until-version, --duration passed, or Ctrl+C; shows how it goes meanwhile. */
async function untilDone(fleet: Fleet, simulation: Simulation, ctx: CommandContext): Promise<Ending> {
  const live = ctx.io.stderr.isTTY && !ctx.out.machine;
  const show = () => {
    const text = escapeInline(statusLine(fleet));
    // One line, redrawn in place: never wider than the terminal, or it would wrap.
    const width = (ctx.io.stderr.columns ?? 80) - 1;
    if (live) ctx.io.stderr.write(`${CLEAR_LINE}${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
    else ctx.out.note(text);
  };
  const ticker = setInterval(show, live ? LIVE_MS : LOG_MS);
  const cleanups: (() => void)[] = [() => clearInterval(ticker)];
  try {
    return await new Promise<Ending>((resolve) => {
      const onSignal = () => resolve({ reason: 'signal' });
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      cleanups.push(() => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      });
      if (simulation.durationMs !== undefined) {
        const timer = setTimeout(() => resolve({ reason: 'duration' }), simulation.durationMs);
        cleanups.push(() => clearTimeout(timer));
      }
      if (simulation.untilVersion !== undefined) {
        fleet
          .waitForVersion(simulation.untilVersion, Number.POSITIVE_INFINITY)
          .then(() => resolve({ reason: 'version' }));
      }
    });
  } finally {
    for (const cleanup of cleanups) cleanup();
    if (live) ctx.io.stderr.write(CLEAR_LINE);
  }
}

function statusLine(fleet: Fleet): string {
  const stats = fleet.stats();
  const updating = fleet.devices.filter((d) => d.firmware.status().update).length;
  const failed = stats.failures.reverted + stats.failures.mismatched;
  return [
    `${stats.connected}/${stats.devices} connected`,
    `${stats.sent.telemetry + stats.sent.dfu} messages sent`,
    versionsText(fleet.versions()),
    ...(updating > 0 ? [`${updating} updating`] : []),
    ...(failed > 0 ? [`${failed} updates failed`] : []),
    ...(stats.errors > 0 ? [`${stats.errors} errors (last: ${stats.lastError})`] : []),
  ].join(' · ');
}

function versionsText(versions: Record<string, number>): string {
  return Object.entries(versions)
    .sort(([, a], [, b]) => b - a)
    .map(([version, count]) => `${version}: ${count}`)
    .join(', ');
}

/** The final summary; exit 1 when --duration ended it before every device ran --until-version. */
async function summarize(
  ctx: CommandContext,
  fleet: Fleet,
  simulation: Simulation,
  run: { app: string; ms: number; reason: Ending['reason'] },
): Promise<number | undefined> {
  const stats = fleet.stats();
  const versions = fleet.versions();
  const seconds = Math.round(run.ms / 1000);
  const details = {
    app: run.app,
    devices: stats.devices,
    seconds,
    versions,
    messages: stats.sent,
    commands: stats.commands,
    bytes_written: stats.bytesWritten,
    updates: stats.updates,
    failures: stats.failures,
    errors: stats.errors,
    ...(stats.lastError ? { last_error: stats.lastError } : {}),
  };
  const message =
    `${stats.devices} devices for ${seconds} s: ${versionsText(versions)}; ` +
    `${stats.sent.telemetry + stats.sent.dfu} messages sent, ${stats.updates} updates, ` +
    `${stats.failures.reverted + stats.failures.mismatched} failed`;
  const { untilVersion } = simulation;
  if (untilVersion === undefined || run.reason !== 'duration') {
    await ctx.out.outcome({ message, details });
    return undefined;
  }
  const failure = `not every device runs ${untilVersion} after ${seconds} s`;
  if (ctx.format === 'json' || ctx.format === 'yaml') {
    await ctx.out.document({ status: 'failure', message: `${failure}: ${message}`, ...details });
  } else {
    ctx.out.line(message);
    ctx.out.error(failure);
  }
  return 1;
}
