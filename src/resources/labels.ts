// `drg label`: label changes merged into a resource's labels, as a read-modify-write.
import type { RegistryClient } from '../client/registry.js';
import { applyLabelChanges, type LabelChanges } from '../model/labels.js';
import { type ChangeOutcome, readModifyWrite, type Target } from './target.js';

export function relabel(registry: RegistryClient, target: Target, changes: LabelChanges): Promise<ChangeOutcome> {
  return readModifyWrite(registry, target, (current) => ({
    ...current,
    metadata: { ...current.metadata, labels: applyLabelChanges(current.metadata.labels, changes) },
  }));
}
