// `drg label app|device NAME k=v ... k-`: merges into the existing labels (read-modify-write, 409 on a race).
import type { GlobalOptions } from '../cli.js';
import { openSession } from '../client/session.js';
import { parseOutputFormat } from '../output/format.js';
import { printMessage } from '../output/render.js';
import { applyLabelChanges, parseLabelArgs } from '../resources/labels.js';
import { appTarget, deviceTarget, readModifyWrite, targetName } from '../resources/target.js';
import type { ResourceKind } from '../resources/validate.js';

export async function run(kind: ResourceKind, name: string, args: string[], globals: GlobalOptions): Promise<void> {
  const format = parseOutputFormat(globals.output);
  const changes = parseLabelArgs(args);
  const session = await openSession(globals);
  const target = kind === 'application' ? appTarget(name) : deviceTarget(session.requireApp(), name);
  const outcome = await readModifyWrite(session.registry, target, (current) => ({
    ...current,
    metadata: { ...current.metadata, labels: applyLabelChanges(current.metadata.labels, changes) },
  }));
  const message = `${targetName(target)} ${outcome === 'updated' ? 'labeled' : 'unchanged'}`;
  printMessage(format, { status: 'success', message });
}
