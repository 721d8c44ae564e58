// The TLS material of drg serve's device endpoints (MQTTS, HTTPS): the certificate and key given with --tls-cert and
// --tls-key, or else a local CA and a server certificate signed by it in <dataDir>/tls/, made on the first start,
// reused later, and renewed on start when the server certificate expires within 30 days or no longer names the
// bind address. Files are written atomically (temp file, fsync, rename), keys 0600 in a 0700 directory.
import { createPrivateKey, type KeyObject, randomBytes, X509Certificate } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  generateKeyPair,
  privateKeyPem,
  readPrivateKey,
  type SigningKeyPair,
  signingKeyPair,
} from '../../certs/keys.js';
import { CA_DAYS } from '../../certs/validity.js';
import type { Endpoints } from '../../model/endpoints.js';
import type { Component } from '../runtime.js';

export const TLS_DIR = 'tls';
const SERVER_DAYS = 365;
const DAY_MS = 24 * 60 * 60 * 1000;
const RENEW_WITHIN_MS = 30 * DAY_MS;
const KEY_MODE = 0o600;
const CERT_MODE = 0o644;
const DIR_MODE = 0o700;

export interface TlsOptions {
  dataDir: string;
  /** The address (or host name) the endpoints listen on: the server certificate must name it. */
  bind: string;
  /** A certificate (PEM, its chain may follow) and its private key, both or neither, instead of the local CA. */
  certFile?: string;
  keyFile?: string;
}

export interface TlsMaterial {
  /** PEM, for tls.createSecureContext. */
  key: string;
  cert: string;
  /** The local CA's certificate, which clients trust; absent with a given certificate. */
  caFile?: string;
  /**
   * What this start made: the first local CA, a new one in place of one that could not be used (and a server
   * certificate with either), or a renewed server certificate.
   */
  made?: 'first-ca' | 'new-ca' | 'server';
}

/** The TLS material, as TlsOptions say; a failure is one line (a file that cannot be read or written, a bad pair). */
export async function loadTlsMaterial(options: TlsOptions): Promise<TlsMaterial> {
  const { certFile, keyFile } = options;
  if (certFile !== undefined || keyFile !== undefined) {
    if (certFile === undefined || keyFile === undefined) throw new Error('--tls-cert and --tls-key go together');
    return givenMaterial(certFile, keyFile);
  }
  return localMaterial(join(options.dataDir, TLS_DIR), serverNames(options.bind));
}

/** The TLS material as a component, loaded after the store (which holds the data directory's lock). */
export class TlsComponent implements Component {
  readonly name = 'tls';
  private loaded?: TlsMaterial;

  constructor(
    private readonly options: TlsOptions,
    private readonly logger: Logger,
  ) {}

  get material(): TlsMaterial {
    if (!this.loaded) throw new Error('the TLS material is not loaded yet');
    return this.loaded;
  }

  async start(): Promise<void> {
    this.loaded = await loadTlsMaterial(this.options);
    const { made, caFile } = this.loaded;
    if (made === 'first-ca') this.logger.debug({ caFile }, 'made a local CA');
    if (made === 'server') this.logger.debug({ caFile }, 'renewed the server certificate');
    if (made === 'new-ca') {
      const why = 'the old one expires within 30 days, or it or its key is missing or damaged';
      this.logger.warn({ caFile }, `made a new local CA (${why}): TLS clients must trust the new one`);
    }
  }

  stop(): void {}

  endpoints(): Endpoints {
    const { caFile } = this.material;
    return caFile === undefined ? {} : { local_certs: true, local_ca_file: caFile };
  }
}

interface ServerNames {
  dnsNames: string[];
  ips: string[];
}

/**
 * What the server certificate names: localhost, 127.0.0.1 and ::1, and the bind address (a name or an IP); for a
 * wildcard bind, this machine's host name and its addresses (link-local IPv6 ones aside).
 */
export function serverNames(bind: string): ServerNames {
  const dnsNames = new Set(['localhost']);
  const ips = new Set(['127.0.0.1', '::1']);
  if (bind === '' || bind === '0.0.0.0' || bind === '::') {
    dnsNames.add(hostname());
    for (const address of Object.values(networkInterfaces()).flat()) {
      if (address && !address.internal && !/^fe80:/i.test(address.address)) ips.add(address.address);
    }
  } else if (isIP(bind)) {
    ips.add(bind);
  } else {
    dnsNames.add(bind);
  }
  return { dnsNames: [...dnsNames], ips: [...ips] };
}

async function givenMaterial(certFile: string, keyFile: string): Promise<TlsMaterial> {
  const cert = await readText(certFile, '--tls-cert');
  const parsed = cert.includes('-----BEGIN CERTIFICATE-----') ? parseCertificate(cert) : undefined;
  if (!parsed) throw new Error(`--tls-cert ${certFile} is not a PEM certificate`);
  const key = await readPrivateKey(keyFile, '--tls-key', process.cwd());
  if (!belongs(key, parsed)) {
    throw new Error(`the key in --tls-key ${keyFile} does not belong to the certificate in --tls-cert ${certFile}`);
  }
  return { key: key.export({ type: 'pkcs8', format: 'pem' }) as string, cert };
}

interface Pem {
  pem: string;
  cert: X509Certificate;
}

async function localMaterial(dir: string, names: ServerNames): Promise<TlsMaterial> {
  const files = {
    ca: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca-key.pem'),
    cert: join(dir, 'server.pem'),
    key: join(dir, 'server-key.pem'),
  };
  await mkdir(dir, { recursive: true, mode: DIR_MODE }).catch((err) => {
    throw new Error(`cannot create ${dir}: ${reason(err)}`);
  });
  await chmod(dir, DIR_MODE);
  const caPem = await readText(files.ca, undefined);
  const caCert = caPem === undefined ? undefined : parseCertificate(caPem);
  // A CA about to expire is replaced (after ten years), as is a damaged one or one whose key is lost.
  const ca = caCert && fresh(caCert) ? { pem: caPem!, cert: caCert } : undefined;
  if (ca) {
    const server = await validServer(files, ca.cert, names);
    if (server) return { ...server, caFile: files.ca };
  }
  const caKey = ca && (await caKeyOf(files.caKey, ca.cert));
  const signer = ca && caKey ? { ca, key: caKey } : await newCa(files);
  const server = await newServer(files, signer, names);
  await syncDirectory(dir);
  const made = signer.ca === ca ? 'server' : caPem === undefined ? 'first-ca' : 'new-ca';
  return { ...server, caFile: files.ca, made };
}

/** The server certificate and key, if they belong together, chain to the CA, stay valid a while and name `names`. */
async function validServer(
  files: { cert: string; key: string },
  ca: X509Certificate,
  names: ServerNames,
): Promise<{ key: string; cert: string } | undefined> {
  const server = await readCertificate(files.cert);
  const key = await readText(files.key, undefined);
  const keyObject = key === undefined ? undefined : parseKey(key);
  if (!server || !keyObject || !belongs(keyObject, server.cert)) return undefined;
  if (!server.cert.checkIssued(ca) || !server.cert.verify(ca.publicKey) || !fresh(server.cert)) return undefined;
  const covered =
    names.dnsNames.every((name) => server.cert.checkHost(name) !== undefined) &&
    names.ips.every((ip) => server.cert.checkIP(ip) !== undefined);
  return covered ? { key: key!, cert: server.pem } : undefined;
}

/** The CA's key pair for signing, if its key file is there and belongs to the certificate. */
async function caKeyOf(path: string, ca: X509Certificate): Promise<SigningKeyPair | undefined> {
  const pem = await readText(path, undefined);
  const key = pem === undefined ? undefined : parseKey(pem);
  return key && belongs(key, ca) ? signingKeyPair(key, path) : undefined;
}

async function newCa(files: { ca: string; caKey: string }): Promise<{ ca: Pem; key: SigningKeyPair }> {
  const { createLocalCaCertificate } = await import('../../certs/x509.js');
  const key = await generateKeyPair('ECDSA');
  const issued = await createLocalCaCertificate(key, CA_DAYS);
  // The key first: a certificate on disk always has its key beside it.
  await writeAtomically(files.caKey, privateKeyPem(key.keys.privateKey), KEY_MODE);
  await writeAtomically(files.ca, issued.pem, CERT_MODE);
  return { ca: { pem: issued.pem, cert: new X509Certificate(issued.pem) }, key };
}

async function newServer(
  files: { cert: string; key: string },
  signer: { ca: Pem; key: SigningKeyPair },
  names: ServerNames,
): Promise<{ key: string; cert: string }> {
  const { createServerCertificate } = await import('../../certs/x509.js');
  const key = await generateKeyPair('ECDSA');
  const issued = await createServerCertificate({
    ...names,
    publicKey: key.keys.publicKey,
    caDer: new Uint8Array(signer.ca.cert.raw),
    caKey: signer.key,
    days: SERVER_DAYS,
  });
  const keyPem = privateKeyPem(key.keys.privateKey);
  await writeAtomically(files.key, keyPem, KEY_MODE);
  await writeAtomically(files.cert, issued.pem, CERT_MODE);
  return { key: keyPem, cert: issued.pem };
}

/** Valid now, and for more than the renewal window. */
function fresh(cert: X509Certificate): boolean {
  const now = Date.now();
  return Date.parse(cert.validFrom) <= now && Date.parse(cert.validTo) - now > RENEW_WITHIN_MS;
}

function belongs(key: KeyObject, cert: X509Certificate): boolean {
  try {
    return cert.checkPrivateKey(key);
  } catch {
    return false; // a key of another type
  }
}

async function readCertificate(path: string): Promise<Pem | undefined> {
  const pem = await readText(path, undefined);
  const cert = pem === undefined ? undefined : parseCertificate(pem);
  return cert && { pem: pem!, cert };
}

function parseCertificate(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

function parseKey(pem: string): KeyObject | undefined {
  try {
    return createPrivateKey(pem);
  } catch {
    return undefined;
  }
}

/** A file's text; a missing one is undefined, unless it was given with `flag`. */
async function readText(path: string, flag: string): Promise<string>;
async function readText(path: string, flag: undefined): Promise<string | undefined>;
async function readText(path: string, flag: string | undefined): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (flag === undefined && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${flag ? `${flag} ` : ''}${path}: ${reason(err)}`);
  }
}

/** A temp file beside the target, synced, then renamed over it: a crash leaves the old file or the new one. */
async function writeAtomically(path: string, content: string, mode: number): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.writeFile(content, 'utf8');
      await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw new Error(`cannot write ${path}: ${reason(err)}`);
  }
}

/** The renames are durable once the directory is synced. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  return code ?? (err as Error).message;
}
