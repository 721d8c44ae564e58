// `drg firmware pause|resume|cancel|retry`: an operator's hand on the application's rollout. Each is one change of
// its state in the registry (with optimistic locking); the agent acts on it at its next evaluation.
import { defineCommand } from '../../cli/command.js';
import type { CommandContext } from '../../cli/context.js';
import type { Session } from '../../client/session.js';
import { DrgError } from '../../errors.js';
import type { FleetRegistry } from '../../firmware/fleet-registry.js';
import { isFinished, rolloutSpecOf, rolloutStatusOf } from '../../model/rollout.js';

async function withRollout<T>(
  ctx: CommandContext,
  act: (fleet: FleetRegistry, app: string, session: Session, id: string) => Promise<T>,
): Promise<{ app: string; id: string; result: T }> {
  const session = await ctx.session();
  const app = session.requireApp();
  const current = await session.registry.getApp(app);
  const spec = rolloutSpecOf(current);
  if (!spec)
    throw new DrgError(`application ${app} has no rollout`, { hint: 'start one: drg firmware rollout --version V' });
  const phase = rolloutStatusOf(current, spec.id)?.phase;
  if (isFinished(phase) && phase !== 'Failed') {
    throw new DrgError(
      `rollout ${spec.id} of application ${app} is ${phase?.toLowerCase()}: there is nothing to change`,
    );
  }
  const { ApiFleetRegistry } = await import('../../firmware/remote.js');
  return { app, id: spec.id, result: await act(new ApiFleetRegistry(session.registry), app, session, spec.id) };
}

export const pauseRollout = defineCommand({
  path: 'firmware pause',
  summary: 'pause the rollout: no further stage starts (devices already updating go on)',
  examples: [{ command: 'drg firmware pause --app my-app', description: 'Hold the rollout where it is' }],
  async handler(_input, ctx) {
    const { setPaused } = await import('../../firmware/rollout/controller.js');
    const { app, id } = await withRollout(ctx, (fleet, app) => setPaused(fleet, app, true, ctx.clock.now()));
    await ctx.out.outcome({ message: `Rollout ${id} of application ${app} paused` });
  },
});

export const resumeRollout = defineCommand({
  path: 'firmware resume',
  summary: 'resume a paused rollout; devices failed so far no longer count against --max-failures',
  examples: [{ command: 'drg firmware resume --app my-app', description: 'Go on after a pause' }],
  async handler(_input, ctx) {
    const { setPaused } = await import('../../firmware/rollout/controller.js');
    const { app, id } = await withRollout(ctx, (fleet, app) => setPaused(fleet, app, false, ctx.clock.now()));
    await ctx.out.outcome({ message: `Rollout ${id} of application ${app} resumed` });
  },
});

export const cancelRollout = defineCommand({
  path: 'firmware cancel',
  summary: 'cancel the rollout: devices not yet updated get back the firmware they had before',
  examples: [{ command: 'drg firmware cancel --app my-app', description: 'Stop it and put the rest back' }],
  async handler(_input, ctx) {
    const { evaluateRollout, markCancelled } = await import('../../firmware/rollout/controller.js');
    const { app, id, result } = await withRollout(ctx, async (fleet, app) => {
      await markCancelled(fleet, app);
      return evaluateRollout(fleet, app, { now: ctx.clock.now() });
    });
    const kept = result?.counts.inSync ?? 0;
    await ctx.out.outcome({
      message: `Rollout ${id} of application ${app} cancelled: ${kept} device${kept === 1 ? '' : 's'} already updated keep the new firmware, the others got their previous one back`,
    });
  },
});

export const retryRollout = defineCommand({
  path: 'firmware retry',
  summary: 'retry the devices whose update failed (only those); their timeout starts again',
  examples: [{ command: 'drg firmware retry --app my-app', description: 'Give the failed devices another go' }],
  async handler(_input, ctx) {
    const { retryFailed } = await import('../../firmware/rollout/controller.js');
    const { app, id, result } = await withRollout(ctx, (fleet, app) => retryFailed(fleet, app, ctx.clock.now()));
    const message =
      result.length === 0
        ? `Rollout ${id} of application ${app} has no failed devices`
        : `Retrying ${result.length} device${result.length === 1 ? '' : 's'} of rollout ${id}: ${result.slice(0, 10).join(', ')}${result.length > 10 ? ', ...' : ''}`;
    await ctx.out.outcome({ message, details: { devices: result } });
  },
});
