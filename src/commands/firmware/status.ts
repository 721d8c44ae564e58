// `drg firmware status`: the application's rollout (the current one, or the last, kept after it finished): its
// phase, stages and counts, and each device's state.
import { defineCommand, option } from '../../cli/command.js';
import { DrgError } from '../../errors.js';
import type { RolloutView } from '../../model/rollout-view.js';
import { HEADERS } from '../options.js';

export const firmwareStatus = defineCommand({
  path: 'firmware status',
  summary: "show the application's rollout: its stage, counts per state and each device (kept after it finished)",
  description: `States: pending (its stage has not started, or it has not reported yet), updating (with the share
of the image it has), in sync (it runs the version), failed (its update did not take, or it was not in sync
--timeout after its stage started). -o json gives the rollout, its status and every device; -o wide adds the
reason a device failed. --watch follows it live until it finishes.`,
  options: {
    watch: option.boolean('-w, --watch', 'follow it until it finishes (live bars on a terminal)'),
    headers: HEADERS,
  },
  examples: [
    { command: 'drg firmware status --app my-app', description: 'Where the rollout is, device by device' },
    { command: 'drg firmware status --watch', description: 'Follow it live' },
    { command: 'drg firmware status -o json | jq .counts', description: 'The counts, for a script' },
  ],
  async handler({ options }, ctx) {
    const session = await ctx.session();
    const app = session.requireApp();
    const { followRollout, readView } = await import('./follow.js');
    const { countsText } = await import('../../model/rollout-view.js');
    let view = await readView(session, app);
    if (!view) {
      throw new DrgError(`application ${app} has no rollout`, {
        hint: 'start one: drg firmware rollout --version V',
      });
    }
    if (options.watch) view = await followRollout(ctx, session, app, view.spec.id, { requireSuccess: false });
    if (ctx.out.machine) {
      await ctx.out.data(document(view));
      return;
    }
    const { spec, status } = view;
    ctx.out.line(`Rollout ${spec.id} of ${spec.version} in application ${app}: ${status?.phase ?? 'not started yet'}`);
    ctx.out.line(`  stage ${status?.stagesStarted.length ?? 0} of ${spec.stages.length}; ${countsText(view.counts)}`);
    if (status?.reason) ctx.out.line(`  ${status.reason}`);
    const wide = ctx.format === 'wide';
    const header = ['DEVICE', 'STAGE', 'STATE', 'CURRENT', ...(wide ? ['REASON'] : [])];
    const rows = view.devices.map((d) => [
      d.name,
      String(d.stage),
      d.state === 'updating' ? `updating ${d.percent ?? 0}%` : d.state.replace('-', ' '),
      d.current ?? '',
      ...(wide ? [d.reason ?? ''] : []),
    ]);
    ctx.out.table([header, ...rows], 'The rollout has no devices.');
  },
});

function document(view: RolloutView) {
  return {
    application: view.app,
    rollout: view.spec,
    ...(view.status ? { status: view.status } : {}),
    counts: view.counts,
    stages: view.stages,
    devices: view.devices,
  };
}
