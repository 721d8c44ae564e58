// `drg label app|device NAME k=v ... k-`: merges into the existing labels (read-modify-write, 409 on a race).
import type { GlobalOptions } from '../cli.js';
import { openSession } from '../client/session.js';
import type { ResourceKind } from '../model/resource.js';
import { applyLabelChanges, parseLabelArgs } from '../resources/labels.js';
import { appTarget, deviceTarget, readModifyWrite } from '../resources/target.js';
import { outputFormat, reportResource } from './common.js';

export async function run(kind: ResourceKind, name: string, args: string[], globals: GlobalOptions): Promise<void> {
  const format = outputFormat(globals);
  const changes = parseLabelArgs(args);
  const session = await openSession(globals);
  const target = kind === 'application' ? appTarget(name) : deviceTarget(session.requireApp(), name);
  const outcome = await readModifyWrite(session.registry, target, (current) => ({
    ...current,
    metadata: { ...current.metadata, labels: applyLabelChanges(current.metadata.labels, changes) },
  }));
  reportResource(format, kind, name, outcome);
}
