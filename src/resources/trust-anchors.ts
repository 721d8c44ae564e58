// An application's trust anchors as the client writes them: the rules are model/trust-anchors.ts'; a section
// that does not have the API's shape is the user's to fix.

import { DrgError } from '../errors.js';
import type { Application } from '../model/resource.js';
import { withTrustAnchor as addTrustAnchor } from '../model/trust-anchors.js';

export { trustAnchorPems } from '../model/trust-anchors.js';

/** Adds the certificate after the existing anchors. */
export function withTrustAnchor(app: Application, certificatePem: string): Application {
  const result = addTrustAnchor(app, certificatePem);
  if ('value' in result) return result.value;
  throw new DrgError(`application ${app.metadata.name}: ${result.problem}`, {
    hint: `fix it with \`drg edit app ${app.metadata.name}\``,
  });
}
