// A rollout's plan in words: what `--dry-run` prints and what the confirmation shows.

import { formatSeconds } from '../../model/rollout.js';
import type { Plan } from '../../model/rollout-plan.js';

/** Device names shown per stage before "and N more". */
const NAMES_SHOWN = 10;

/** `all`: every device's name, else the first few of each stage. */
export function planLines(app: string, plan: Plan, all = false): string[] {
  const { spec } = plan;
  const total = spec.stages.flat().length;
  const firmware =
    'container' in spec.firmware ? spec.firmware.container.image : `${spec.firmware.file.name} ${spec.version}`;
  const from = [...plan.fromVersions].map(([version, count]) => `${version} (${count})`).join(', ');
  const lines = [
    `Rollout ${spec.id}: firmware ${firmware} to ${total} device${total === 1 ? '' : 's'} of application ${app}`,
    `  from: ${from || 'none (every device already runs it)'}${plan.alreadyInSync.length ? `; already ${spec.version}: ${plan.alreadyInSync.length}` : ''}`,
  ];
  spec.stages.forEach((names, i) => {
    const shown = (all ? names : names.slice(0, NAMES_SHOWN)).join(', ');
    const more =
      !all && names.length > NAMES_SHOWN ? `, and ${names.length - NAMES_SHOWN} more (-o wide lists them)` : '';
    lines.push(
      `  stage ${i + 1}${i === 0 ? ' (canary)' : ''}: ${names.length} device${names.length === 1 ? '' : 's'}: ${shown}${more}`,
    );
  });
  lines.push(
    `  next stage at ${Math.round(spec.successThreshold * 100)}% of a stage in sync; pauses beyond ${spec.maxFailures} failed device${spec.maxFailures === 1 ? '' : 's'}; a device fails when not in sync ${formatSeconds(spec.timeoutSeconds)} after its stage started`,
  );
  return lines;
}
