// An application's trust anchors (API.md, "Application spec sections"): the CA certificates in
// spec.trustAnchors.anchors[].certificate (base64 of PEM text), validated into status.trustAnchors.
import { X509Certificate } from 'node:crypto';
import { isJsonObject } from '../../model/json.js';
import { badRequest } from '../errors.js';

export type TrustAnchorEntry =
  | { valid: { subject: string; notBefore: string; notAfter: string; certificate: string } }
  | { invalid: { error: string; message: string } };

export interface TrustAnchorsStatus {
  anchors: TrustAnchorEntry[];
}

const BASE64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/**
 * The status of the anchors in an application spec, or undefined when there are none.
 * A malformed section (wrong JSON types) is a BadRequest; an unusable certificate is an `invalid` entry.
 */
export function trustAnchorsStatus(spec: Record<string, unknown> | undefined): TrustAnchorsStatus | undefined {
  const section = spec?.trustAnchors;
  if (section === undefined || section === null) return undefined;
  if (!isJsonObject(section)) throw badRequest('spec.trustAnchors must be an object');
  const anchors = section.anchors;
  if (anchors === undefined || anchors === null) return undefined;
  if (!Array.isArray(anchors)) throw badRequest('spec.trustAnchors.anchors must be an array');
  if (anchors.length === 0) return undefined;
  return {
    anchors: anchors.map((anchor, i) => {
      if (!isJsonObject(anchor) || typeof anchor.certificate !== 'string') {
        throw badRequest(`spec.trustAnchors.anchors[${i}].certificate must be a string (base64 of a PEM certificate)`);
      }
      return validateAnchor(anchor.certificate);
    }),
  };
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
  return new Date(opensslTime).toISOString().replace(/\.\d+Z$/, 'Z');
}
