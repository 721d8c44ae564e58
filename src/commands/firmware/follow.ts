// Following a rollout until it finishes (`rollout --wait`, `status --watch`): on a terminal, live bars per stage on
// stderr; elsewhere, a line whenever the counts change. Read from the registry once a second.
import type { CommandContext } from '../../cli/context.js';
import type { Session } from '../../client/session.js';
import { ApiError, DrgError, NetworkError } from '../../errors.js';
import { isFinished } from '../../model/rollout.js';
import { countsText, overallPercent, type RolloutView, rolloutView } from '../../model/rollout-view.js';
import { escapeInline } from '../../output/escape.js';

const POLL_MS = 1_000;
const BAR_WIDTH = 24;

export interface FollowOptions {
  /** Fail (exit 1) unless every device ends in sync. */
  requireSuccess: boolean;
}

/** Resolves with the final view once the rollout `id` finished (or was replaced by another). */
export async function followRollout(
  ctx: CommandContext,
  session: Session,
  app: string,
  id: string,
  options: FollowOptions = { requireSuccess: true },
): Promise<RolloutView> {
  const live = ctx.io.stderr.isTTY && !ctx.out.machine;
  let drawn = 0;
  let lastLine = '';
  let lost = false;
  for (;;) {
    let view: RolloutView | undefined;
    try {
      view = await readView(session, app);
    } catch (err) {
      if (!isTransient(err)) throw err;
      // The server restarting, or the network gone for a moment: the rollout goes on there; keep following.
      if (!lost) ctx.out.note(`lost contact (${err.message}): trying again every ${POLL_MS / 1000} s`);
      lost = true;
      drawn = 0;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      continue;
    }
    if (lost) ctx.out.note('in contact again');
    lost = false;
    if (!view || view.spec.id !== id) throw new DrgError(`rollout ${id} of application ${app} was replaced or removed`);
    const phase = view.status?.phase ?? 'Starting';
    if (live) {
      const lines = progressLines(view, phase);
      ctx.io.stderr.write(`${drawn > 0 ? `\u001b[${drawn}A` : ''}${lines.map((l) => `\u001b[2K${l}\n`).join('')}`);
      drawn = lines.length;
    } else {
      const line = `${phase}: ${countsText(view.counts)}${view.status?.reason ? ` (${view.status.reason})` : ''}`;
      if (line !== lastLine) ctx.out.note(line);
      lastLine = line;
    }
    if (isFinished(view.status?.phase) || (view.status?.phase === 'Paused' && options.requireSuccess)) {
      return finish(view, options);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function finish(view: RolloutView, options: FollowOptions): RolloutView {
  const status = view.status;
  if (!options.requireSuccess || status?.phase === 'Completed') return view;
  const why = status?.reason ? `: ${status.reason}` : '';
  const hint =
    status?.phase === 'Paused'
      ? 'see drg firmware status; then drg firmware resume, retry or cancel'
      : status?.phase === 'Failed'
        ? 'see drg firmware status; drg firmware retry tries the failed devices again'
        : undefined;
  throw new DrgError(`rollout ${view.spec.id} ${status?.phase?.toLowerCase() ?? 'stopped'}${why}`, { hint });
}

function isTransient(err: unknown): err is Error {
  return err instanceof NetworkError || (err instanceof ApiError && [502, 503, 504].includes(err.status));
}

export async function readView(session: Session, app: string): Promise<RolloutView | undefined> {
  const [application, devices] = await Promise.all([session.registry.getApp(app), session.registry.listDevices(app)]);
  return rolloutView(application, devices, Date.now());
}

function progressLines(view: RolloutView, phase: string): string[] {
  const lines = view.stages.map((s) => {
    const done = s.devices === 0 ? 100 : Math.floor((s.counts.inSync * 100) / s.devices);
    const state = s.started
      ? `${s.counts.inSync}/${s.devices} in sync${s.counts.failed ? `, ${s.counts.failed} failed` : ''}`
      : 'waiting';
    return `stage ${s.stage}${s.stage === 1 ? ' (canary)' : ''}  ${bar(s.started ? done : 0)}  ${state}`;
  });
  lines.push(`${phase}  ${bar(overallPercent(view))} ${overallPercent(view)}%  ${countsText(view.counts)}`);
  lines.push(view.status?.reason ? `  ${view.status.reason}` : '');
  return lines.map(escapeInline);
}

function bar(percent: number): string {
  const filled = Math.round((percent * BAR_WIDTH) / 100);
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
}
