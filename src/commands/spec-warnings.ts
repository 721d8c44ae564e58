// A spec the cloud does not understand is stored, and does nothing: say so before it surprises anyone.
import { type UnknownSpecField, unknownSpecFields } from '../model/device-spec.js';
import type { Resource, ResourceKind } from '../model/resource.js';
import type { Printer } from '../output/printer.js';

export function warnUnknownSpecFields(out: Printer, kind: ResourceKind, resource: Resource): void {
  const unknown = unknownSpecFields(kind, resource.spec);
  if (unknown.length === 0) return;
  out.warn(
    `${kind} ${resource.metadata.name}: Drogue Cloud does not act on ${unknown.map(describe).join(', ')} (stored as given)`,
  );
}

function describe(field: UnknownSpecField): string {
  return field.didYouMean ? `${field.path} (did you mean ${field.didYouMean}?)` : field.path;
}
