// `drg firmware rollout`: moves the devices of an application (or those a selector picks) to a firmware version in
// stages, the canary group first. Its state lives in the registry; the firmware agent advances it.
import { defineCommand, option } from '../../cli/command.js';
import type { CommandContext } from '../../cli/context.js';
import type { Session } from '../../client/session.js';
import { CancelledError, DrgError, isApiStatus, UsageError } from '../../errors.js';
import { type FirmwareSpec, imageTag } from '../../model/firmware.js';
import type { Application } from '../../model/resource.js';
import { hasRunningRollout, rolloutSpecOf, rolloutStatusOf } from '../../model/rollout.js';
import { type Amount, type PlanOptions, parseAmount, planRollout, rolloutId } from '../../model/rollout-plan.js';
import { rfc3339Seconds } from '../../model/time.js';
import { parseDuration } from '../../model/units.js';
import { parseSelectorFlag, SELECTOR } from '../options.js';

const OPTIONS = {
  version: option.string('--version <version>', 'the firmware version to move the devices to (required)'),
  image: option.string(
    '--image <ref>',
    'the firmware is this OCI artifact (REGISTRY/REPO[:TAG]; the tag is the version)',
  ),
  name: option.string('--name <name>', "the firmware is this image of the server's store (drg firmware push)"),
  selector: option.list('--selector <labels>', 'only the devices matching this label selector (env=prod,!legacy)'),
  labels: { ...SELECTOR, description: 'the same as --selector' },
  canary: option.string('--canary <n|n%>', 'devices in the first stage (default: 10%, at least one)'),
  batchSize: option.string('--batch-size <n|n%>', 'devices in each later stage (default: 25%)'),
  successThreshold: option.string(
    '--success-threshold <p%>',
    "share of a stage's devices in sync before the next stage starts (default: 100%)",
  ),
  maxFailures: option.string(
    '--max-failures <n|p%>',
    'failed devices tolerated before the rollout pauses (default: 0)',
  ),
  timeout: option.string(
    '--timeout <duration>',
    'a device not in sync this long after its stage started has failed (default: 10m)',
  ),
  wait: option.boolean('--wait', 'follow the rollout to its end: exit 0 when every device is in sync'),
  dryRun: option.boolean(
    '--dry-run',
    'show the stages and their devices (all of them with -o wide), and change nothing',
  ),
  yes: option.boolean('-y, --yes', 'do not ask for confirmation (needed without a terminal)'),
};

export const rollout = defineCommand({
  path: 'firmware rollout',
  summary: 'move the devices of an application to a firmware version in stages, the canary group first',
  description: `A rollout sets spec.firmware on the devices of one stage at a time: the canary group (the first
devices by name), then batches. The next stage starts as soon as the current one has --success-threshold of its
devices in sync; when more than --max-failures devices fail (their update did not take, or they were not in sync
--timeout after their stage started), the rollout pauses. Its state is kept in the application (spec.rollout,
status.rollout): it survives restarts, and the firmware agent advances it (drg serve runs one; against another
cluster, run drg firmware agent). Follow it with drg firmware status; pause, resume, cancel and retry it.

Without --image or --name, the version is the image of the server's store that has it (when one name does).
Without --selector (or -l), every device of the application takes part. On a terminal the plan is shown and confirmed
first; without one, give --yes.`,
  options: OPTIONS,
  examples: [
    { command: 'drg firmware rollout --app my-app --version 1.2.0', description: 'Every device, default stages' },
    {
      command: 'drg firmware rollout --version 1.2.0 --canary 5 --batch-size 20% --selector region=eu --wait',
      description: 'The devices labelled region=eu, five as canaries, then batches of 20%, followed to the end',
    },
    {
      command: 'drg firmware rollout --version 1.2.0 --image registry.example.com/fw/sensor:1.2.0 --dry-run',
      description: 'The stages of a rollout of an OCI artifact, without starting it',
    },
  ],
  async handler({ options }, ctx) {
    const settings = parseSettings(options);
    const session = await ctx.session();
    const app = session.requireApp();
    const firmware = await resolveFirmware(session, app, settings.version, options);
    const { ApiFleetRegistry } = await import('../../firmware/remote.js');
    const current = await session.registry.getApp(app);
    refuseIfRunning(current);
    const devices = await session.registry.listDevices(app, { labels: settings.selector });
    if (devices.length === 0) {
      throw new DrgError(
        `no devices to roll out to in application ${app}${settings.selector ? ` with labels ${settings.selector}` : ''}`,
      );
    }
    const now = ctx.clock.now();
    const plan = planRollout(devices, {
      ...settings,
      firmware,
      id: rolloutId(now),
      createdAt: rfc3339Seconds(now),
    });
    const { planLines } = await import('./plan-text.js');
    if (options.dryRun) {
      if (ctx.out.machine) await ctx.out.data({ ...plan.spec, alreadyInSync: plan.alreadyInSync });
      else for (const line of planLines(app, plan, ctx.format === 'wide')) ctx.out.line(line);
      return;
    }
    await confirm(ctx, options.yes, planLines(app, plan));
    const { modifyApp } = await import('../../firmware/fleet-registry.js');
    const fleet = new ApiFleetRegistry(session.registry);
    await modifyApp(fleet, app, (a) => {
      refuseIfRunning(a);
      const { rollout: _old, ...status } = a.status ?? {};
      return { ...a, spec: { ...a.spec, rollout: plan.spec }, status };
    });
    const total = plan.spec.stages.flat().length;
    if (!options.wait) {
      await ctx.out.outcome({
        message: `Rollout ${plan.spec.id} of ${settings.version} to ${total} device${total === 1 ? '' : 's'} of application ${app} created: follow it with drg firmware status --watch`,
        details: { rollout: plan.spec },
      });
      return;
    }
    const { followRollout } = await import('./follow.js');
    await followRollout(ctx, session, app, plan.spec.id);
  },
});

/** What the flags say of the plan. */
type Settings = Omit<PlanOptions, 'id' | 'firmware' | 'createdAt'>;

function parseSettings(options: {
  version?: string;
  image?: string;
  name?: string;
  selector: string[];
  labels: string[];
  canary?: string;
  batchSize?: string;
  successThreshold?: string;
  maxFailures?: string;
  timeout?: string;
}): Settings {
  if (!options.version) throw new UsageError('give the firmware version: --version V');
  if (options.image !== undefined && options.name !== undefined)
    throw new UsageError('give --image or --name, not both');
  const amount = (flag: string, text: string | undefined, fallback: Amount, allowZero = false): Amount => {
    if (text === undefined) return fallback;
    const value = parseAmount(text);
    if (!value || (!allowZero && ('count' in value ? value.count : value.percent) === 0)) {
      throw new UsageError(`${flag} must be a number of devices or a percentage (5, 10%), not ${JSON.stringify(text)}`);
    }
    return value;
  };
  const threshold = options.successThreshold === undefined ? 100 : percentOf(options.successThreshold);
  const timeoutMs = options.timeout === undefined ? 600_000 : parseDuration(options.timeout);
  if (timeoutMs === undefined || timeoutMs < 1000) {
    throw new UsageError(
      `--timeout must be a duration of at least 1s (90s, 10m, 2h), not ${JSON.stringify(options.timeout)}`,
    );
  }
  return {
    version: options.version,
    selector: parseSelectorFlag([...options.selector, ...options.labels]),
    canary: amount('--canary', options.canary, { percent: 10 }),
    batchSize: amount('--batch-size', options.batchSize, { percent: 25 }),
    successThreshold: threshold,
    maxFailures: amount('--max-failures', options.maxFailures, { count: 0 }, true),
    timeoutSeconds: Math.round(timeoutMs / 1000),
  };
}

function percentOf(text: string): number {
  const match = /^(\d+(?:\.\d+)?)%?$/.exec(text.trim());
  const value = match ? Number(match[1]) : Number.NaN;
  if (!(value > 0 && value <= 100)) {
    throw new UsageError(
      `--success-threshold must be a percentage above 0 and at most 100 (90%), not ${JSON.stringify(text)}`,
    );
  }
  return value;
}

async function resolveFirmware(
  session: Session,
  app: string,
  version: string,
  options: { image?: string; name?: string },
): Promise<FirmwareSpec> {
  if (options.image !== undefined) {
    const tag = imageTag(options.image);
    if (tag !== undefined && tag !== version) {
      throw new UsageError(`the image's tag ${tag} is not the version ${version}: the tag is the firmware's version`);
    }
    return { container: { image: tag === undefined ? `${options.image}:${version}` : options.image } };
  }
  const { FirmwareClient } = await import('../../client/firmware.js');
  const store = new FirmwareClient(session.api);
  let images: Awaited<ReturnType<typeof store.list>>;
  try {
    images = await store.list(app);
  } catch (err) {
    if (isApiStatus(err, 404) && options.name === undefined) {
      throw new DrgError('this server has no firmware store: give the firmware with --image REGISTRY/REPO:TAG', {
        cause: err,
      });
    }
    throw err;
  }
  const names = [...new Set(images.filter((i) => i.version === version).map((i) => i.name))];
  if (options.name !== undefined) {
    if (!names.includes(options.name)) {
      throw new DrgError(`the store of application ${app} has no firmware ${options.name} ${version}`, {
        hint: `push it first: drg firmware push FILE --name ${options.name} --version ${version}`,
      });
    }
    return { file: { name: options.name, version } };
  }
  if (names.length === 1) return { file: { name: names[0] as string, version } };
  if (names.length === 0) {
    throw new DrgError(`the store of application ${app} has no firmware with version ${version}`, {
      hint: `push one (drg firmware push FILE --version ${version}) or give --image REGISTRY/REPO:TAG`,
    });
  }
  throw new UsageError(`several firmware images have version ${version} (${names.join(', ')}): choose one with --name`);
}

function refuseIfRunning(app: Application): void {
  const spec = rolloutSpecOf(app);
  if (!spec || !hasRunningRollout(app)) return;
  const phase = rolloutStatusOf(app, spec.id)?.phase;
  throw new DrgError(
    `rollout ${spec.id} of application ${app.metadata.name} is not finished${phase ? ` (${phase})` : ''}`,
    {
      hint: 'follow it with drg firmware status, or cancel it first: drg firmware cancel',
    },
  );
}

/** Asks on a terminal; without one, --yes is needed (as gh and terraform do). */
async function confirm(ctx: CommandContext, yes: boolean, plan: string[]): Promise<void> {
  if (yes) return;
  if (!ctx.io.stdout.isTTY || !ctx.io.stderr.isTTY || ctx.out.machine) {
    throw new UsageError(
      'a rollout changes devices and there is no terminal to confirm it on: add --yes (or --dry-run)',
    );
  }
  for (const line of plan) ctx.out.note(line);
  const { importEsm } = await import('../../esm-import.js');
  const prompts = await importEsm<typeof import('@inquirer/prompts')>('@inquirer/prompts');
  let answer: boolean;
  try {
    answer = await prompts.confirm({ message: 'Start this rollout?', default: false });
  } catch {
    answer = false;
  }
  if (!answer) throw new CancelledError('rollout not started');
}
