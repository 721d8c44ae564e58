// The certificate chain a TLS client presented (for X.509 device authentication), read the same way by the HTTPS
// and MQTTS endpoints.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** A longer chain is cut here (a CA's certificate is its own issuer, which ends the walk anyway). */
const MAX_CHAIN = 10;

/** DER, leaf first; empty on a plain socket or without a client certificate. */
export function peerCertificates(socket: Socket): Buffer[] {
  const tls = socket as Partial<TLSSocket>;
  if (typeof tls.getPeerCertificate !== 'function') return [];
  const chain: Buffer[] = [];
  let cert = tls.getPeerCertificate(true);
  while (cert?.raw && chain.length < MAX_CHAIN) {
    chain.push(cert.raw);
    if (!cert.issuerCertificate || cert.issuerCertificate === cert) break;
    cert = cert.issuerCertificate;
  }
  return chain;
}
