// X.509 certificates for Drogue Cloud's trust anchors and device client certificates, with the subjects drg 0.11
// gave them: an application CA `O=Drogue IoT, OU=Cloud, CN=<app>`, a device `O=Drogue IoT, OU=<app>, CN=<device>`;
// and drg serve's local CA and the server certificate of its TLS endpoints (server-lite/devices/tls.ts).
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
export function createCaCertificate(app: string, key: SigningKeyPair, days: number): Promise<IssuedCertificate> {
  return createSelfSignedCa([{ O: [ORGANIZATION] }, { OU: ['Cloud'] }, { CN: [app] }], key, days);
}

/** drg serve's local CA, which signs the server certificate of its TLS endpoints. */
export function createLocalCaCertificate(key: SigningKeyPair, days: number): Promise<IssuedCertificate> {
  return createSelfSignedCa([{ O: [ORGANIZATION] }, { OU: ['drg serve'] }, { CN: ['drg serve local CA'] }], key, days);
}

async function createSelfSignedCa(name: x509.JsonName, key: SigningKeyPair, days: number): Promise<IssuedCertificate> {
  const notBefore = new Date(Date.now() - BACKDATE_MS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name,
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

/** What a certificate signed by a CA is made from. */
interface SignedByCa {
  /** The certificate's public key. */
  publicKey: CryptoKey;
  /** The CA certificate (DER) and its key pair. */
  caDer: Uint8Array<ArrayBuffer>;
  caKey: SigningKeyPair;
  /** Validity in days, cut at the CA's own expiry. */
  days: number;
}

export interface DeviceCertificateRequest extends SignedByCa {
  app: string;
  device: string;
}

/** A client (and server) certificate for the device, signed by the application's CA. */
export function createDeviceCertificate(req: DeviceCertificateRequest): Promise<IssuedCertificate> {
  return createSignedCertificate([{ O: [ORGANIZATION] }, { OU: [req.app] }, { CN: [req.device] }], req, [
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
  ]);
}

export interface ServerCertificateRequest extends SignedByCa {
  /** The host names and IP addresses (v4 or v6) clients reach the server at; the first names it in the subject. */
  dnsNames: string[];
  ips: string[];
}

/** A TLS server certificate for drg serve's endpoints, signed by its local CA. */
export function createServerCertificate(req: ServerCertificateRequest): Promise<IssuedCertificate> {
  const names: x509.JsonGeneralNames = [
    ...req.dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...req.ips.map((value) => ({ type: 'ip' as const, value })),
  ];
  const subject: x509.JsonName = [
    { O: [ORGANIZATION] },
    { OU: ['drg serve'] },
    { CN: [req.dnsNames[0] ?? req.ips[0]] },
  ];
  return createSignedCertificate(subject, req, [
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    new x509.SubjectAlternativeNameExtension(names),
  ]);
}

async function createSignedCertificate(
  subject: x509.JsonName,
  req: SignedByCa,
  extensions: x509.Extension[],
): Promise<IssuedCertificate> {
  const ca = new x509.X509Certificate(req.caDer);
  const notBefore = new Date(Date.now() - BACKDATE_MS);
  const wanted = notBefore.getTime() + BACKDATE_MS + req.days * DAY_MS;
  const caKeyId = ca.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject,
    issuer: ca.subjectName,
    notBefore,
    notAfter: new Date(Math.min(wanted, ca.notAfter.getTime())),
    publicKey: req.publicKey,
    signingKey: req.caKey.keys.privateKey,
    signingAlgorithm: req.caKey.signature,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      ...extensions,
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
