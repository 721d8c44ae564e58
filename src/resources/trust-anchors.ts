// An application's trust anchors as the client reads and writes them (API.md, "Application spec sections"):
// `spec.trustAnchors.anchors[{"certificate": "<base64 of the PEM text>"}]`. Pure: each returns new values.

import { DrgError } from '../errors.js';
import { isJsonObject } from '../model/json.js';
import type { Application } from '../model/resource.js';

/** The PEM text of each anchor, in order. Entries without a certificate string are left out. */
export function trustAnchorPems(app: Application): string[] {
  const section = app.spec?.trustAnchors;
  if (!isJsonObject(section) || !Array.isArray(section.anchors)) return [];
  return section.anchors.flatMap((anchor) =>
    isJsonObject(anchor) && typeof anchor.certificate === 'string'
      ? [Buffer.from(anchor.certificate, 'base64').toString('utf8')]
      : [],
  );
}

/** Adds the certificate after the existing anchors (drg 0.11 merged the new one in the same way). */
export function withTrustAnchor(app: Application, certificatePem: string): Application {
  const next = structuredClone(app);
  next.spec ??= {};
  const section = next.spec.trustAnchors ?? {};
  if (!isJsonObject(section)) throw malformed(app, 'spec.trustAnchors', 'an object');
  const anchors = section.anchors ?? [];
  if (!Array.isArray(anchors)) throw malformed(app, 'spec.trustAnchors.anchors', 'a list');
  const certificate = Buffer.from(certificatePem, 'utf8').toString('base64');
  next.spec.trustAnchors = { ...section, anchors: [...anchors, { certificate }] };
  return next;
}

function malformed(app: Application, path: string, expected: string): DrgError {
  return new DrgError(`application ${app.metadata.name}: ${path} is not ${expected}`, {
    hint: `fix it with \`drg edit app ${app.metadata.name}\``,
  });
}
