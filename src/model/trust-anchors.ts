// An application's trust anchors (docs/drogue-api.md, "Application spec sections"): the CA certificates in
// spec.trustAnchors.anchors[].certificate (base64 of the PEM text), which the server validates into
// status.trustAnchors. Pure: each returns values, or the problem with the section.
import { X509Certificate } from 'node:crypto';
import { isJsonObject } from './json.js';
import type { Application } from './resource.js';
import { rfc3339Seconds } from './time.js';

export type TrustAnchorEntry =
  | { valid: { subject: string; notBefore: string; notAfter: string; certificate: string } }
  | { invalid: { error: string; message: string } };

export interface TrustAnchorsStatus {
  anchors: TrustAnchorEntry[];
}

/** A value, or why the trust anchors section does not have the API's shape. */
export type Checked<T> = { value: T } | { problem: string };

const BASE64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** The anchors of a spec as given (none when the section or its list is absent). */
function anchorList(spec: Record<string, unknown> | undefined): Checked<unknown[]> {
  const section = spec?.trustAnchors;
  if (section === undefined || section === null) return { value: [] };
  if (!isJsonObject(section)) return { problem: 'spec.trustAnchors must be an object' };
  const anchors = section.anchors;
  if (anchors === undefined || anchors === null) return { value: [] };
  if (!Array.isArray(anchors)) return { problem: 'spec.trustAnchors.anchors must be a list' };
  return { value: anchors };
}

/**
 * The status of the anchors in an application spec (undefined when there are none). A malformed section is a
 * problem; a certificate that cannot be used is an `invalid` entry.
 */
export function trustAnchorsStatus(spec: Record<string, unknown> | undefined): Checked<TrustAnchorsStatus | undefined> {
  const list = anchorList(spec);
  if ('problem' in list) return list;
  const anchors: TrustAnchorEntry[] = [];
  for (const [i, anchor] of list.value.entries()) {
    if (!isJsonObject(anchor) || typeof anchor.certificate !== 'string') {
      return { problem: `spec.trustAnchors.anchors[${i}].certificate must be a string (base64 of a PEM certificate)` };
    }
    anchors.push(validateAnchor(anchor.certificate));
  }
  return { value: anchors.length > 0 ? { anchors } : undefined };
}

/** Validates one anchor: the first PEM CERTIFICATE block in the decoded text. */
export function validateAnchor(certificate: string): TrustAnchorEntry {
  if (!BASE64.test(certificate)) {
    return { invalid: { error: 'Failed', message: 'the certificate is not base64 encoded' } };
  }
  const pem = Buffer.from(certificate, 'base64').toString('latin1');
  for (const [, tag, body] of pem.matchAll(PEM_BLOCK)) {
    if (tag !== 'CERTIFICATE') continue;
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(Buffer.from(body, 'base64'));
    } catch (err) {
      return { invalid: { error: 'Failed', message: `Failed to parse certificate: ${(err as Error).message}` } };
    }
    return {
      valid: {
        subject: cert.subject.split('\n').join(', '),
        notBefore: rfc3339(cert.validFrom),
        notAfter: rfc3339(cert.validTo),
        certificate,
      },
    };
  }
  return { invalid: { error: 'NoCertificateFound', message: 'No PEM encoded certificate was found' } };
}

/** OpenSSL's "Feb  2 11:11:31 2021 GMT" as "2021-02-02T11:11:31Z". */
function rfc3339(opensslTime: string): string {
  return rfc3339Seconds(new Date(opensslTime));
}

/** The PEM text of each anchor, in order. Entries without a certificate string are left out. */
export function trustAnchorPems(app: Application): string[] {
  const list = anchorList(app.spec);
  if ('problem' in list) return [];
  return list.value.flatMap((anchor) =>
    isJsonObject(anchor) && typeof anchor.certificate === 'string'
      ? [Buffer.from(anchor.certificate, 'base64').toString('utf8')]
      : [],
  );
}

/** The application with the certificate added after its anchors (drg 0.11 merged a new one in the same way). */
export function withTrustAnchor(app: Application, certificatePem: string): Checked<Application> {
  const list = anchorList(app.spec);
  if ('problem' in list) return list;
  const next = structuredClone(app);
  next.spec ??= {};
  const certificate = Buffer.from(certificatePem, 'utf8').toString('base64');
  next.spec.trustAnchors = {
    ...(next.spec.trustAnchors as object | undefined),
    anchors: [...list.value, { certificate }],
  };
  return { value: next };
}
