// X.509 certificates for Drogue Cloud's trust anchors and device client certificates, with the subjects drg 0.11
// gave them: an application CA `O=Drogue IoT, OU=Cloud, CN=<app>`, a device `O=Drogue IoT, OU=<app>, CN=<device>`.
// Heavy (@peculiar/x509 and its ASN.1 stack): import this module only where a certificate is made.
import 'reflect-metadata'; // @peculiar/x509's dependency injection (tsyringe) needs it, before it loads
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { SigningKeyPair } from './keys.js';

x509.cryptoProvider.set(webcrypto as Crypto);

export const ORGANIZATION = 'Drogue IoT';
const DAY_MS = 24 * 60 * 60 * 1000;
/** Certificates start a little in the past, so a device whose clock is slightly behind accepts them. */
const BACKDATE_MS = 5 * 60 * 1000;

/** The subject alias drg 0.11 gave a device, the form Drogue Cloud matches client certificates with. */
export function deviceCertificateAlias(app: string, device: string): string {
  return `CN=${device}, O=${ORGANIZATION}, OU=${app}`;
}

export interface IssuedCertificate {
  pem: string;
  /** RDNs in certificate order, joined by `, ` (as the registry shows trust anchors). */
  subject: string;
  notAfter: Date;
}

/** A self-signed CA certificate for the application, valid for `days`. */
export async function createCaCertificate(app: string, key: SigningKeyPair, days: number): Promise<IssuedCertificate> {
  const notBefore = new Date(Date.now() - BACKDATE_MS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: [{ O: [ORGANIZATION] }, { OU: ['Cloud'] }, { CN: [app] }],
    notBefore,
    notAfter: new Date(notBefore.getTime() + BACKDATE_MS + days * DAY_MS),
    keys: key.keys,
    signingAlgorithm: key.signature,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(key.keys.publicKey),
    ],
  });
  return issued(cert);
}

export interface DeviceCertificateRequest {
  app: string;
  device: string;
  /** The device's public key. */
  publicKey: CryptoKey;
  /** The application's CA certificate (DER) and its key pair. */
  caDer: Uint8Array<ArrayBuffer>;
  caKey: SigningKeyPair;
  /** Validity in days, cut at the CA's own expiry. */
  days: number;
}

/** A client (and server) certificate for the device, signed by the application's CA. */
export async function createDeviceCertificate(req: DeviceCertificateRequest): Promise<IssuedCertificate> {
  const ca = new x509.X509Certificate(req.caDer);
  const notBefore = new Date(Date.now() - BACKDATE_MS);
  const wanted = notBefore.getTime() + BACKDATE_MS + req.days * DAY_MS;
  const caKeyId = ca.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: [{ O: [ORGANIZATION] }, { OU: [req.app] }, { CN: [req.device] }],
    issuer: ca.subjectName,
    notBefore,
    notAfter: new Date(Math.min(wanted, ca.notAfter.getTime())),
    publicKey: req.publicKey,
    signingKey: req.caKey.keys.privateKey,
    signingAlgorithm: req.caKey.signature,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      await x509.SubjectKeyIdentifierExtension.create(req.publicKey),
      caKeyId
        ? new x509.AuthorityKeyIdentifierExtension(caKeyId)
        : await x509.AuthorityKeyIdentifierExtension.create(req.caKey.keys.publicKey),
    ],
  });
  return issued(cert);
}

function issued(cert: x509.X509Certificate): IssuedCertificate {
  return { pem: `${cert.toString('pem')}\n`, subject: cert.subject, notAfter: cert.notAfter };
}

/** 16 random bytes as a positive number without a leading zero octet (RFC 5280: at most 20 octets). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  bytes[0] |= 0x01;
  return bytes.toString('hex');
}
