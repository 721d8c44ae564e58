// What `drg create app-cert` and `drg create device-cert DEVICE --ca-key FILE` do: an application's X.509 trust
// anchor (a self-signed CA) and device certificates signed by it, as in drg 0.11. The registry updates are
// read-modify-write with the resourceVersion (a concurrent change is a 409, nothing lost), and the key and
// certificate files appear only when the update succeeded.
import { type KeyObject, X509Certificate } from 'node:crypto';
import type { Session } from '../client/session.js';
import { DrgError, UsageError } from '../errors.js';
import { type Application, type Resource, sameContent } from '../model/resource.js';
import { rfc3339Seconds } from '../model/time.js';
import { subjectText } from '../output/error-words.js';
import { deviceCertificateMessage, trustAnchorAddedMessage } from '../output/messages.js';
import { withAlias } from '../resources/device-spec.js';
import { checkDeviceName } from '../resources/names.js';
import {
  appTarget,
  asConflict,
  deviceTarget,
  readTarget,
  type Target,
  targetText,
  writeTarget,
} from '../resources/target.js';
import { trustAnchorPems, withTrustAnchor } from '../resources/trust-anchors.js';
import {
  generateKeyPair,
  type KeyAlgorithm,
  parseKeyAlgorithm,
  privateKeyPem,
  readPrivateKey,
  type SigningKeyPair,
  signingKeyPair,
} from './keys.js';
import { checkOutputs, type OutputFile, stageOutputs } from './output-files.js';
import { CA_DAYS, DEVICE_DAYS } from './validity.js';

const MAX_DAYS = 36500;
const KEY_MODE = 0o600;
const CERT_MODE = 0o644;

export interface KeyOptions {
  /** Where relative file names are. */
  cwd: string;
  /** Generate the key with this algorithm (default: the context's `default_algo`, else ECDSA). */
  algo?: string;
  /** Use this existing private key instead of generating one. */
  keyInput?: string;
  keyOutput?: string;
  days?: string;
  force?: boolean;
}

export type AppCertOptions = KeyOptions;

export interface DeviceCertOptions extends KeyOptions {
  caKey: string;
  certOutput?: string;
}

type PlannedFile = Omit<OutputFile, 'content'>;

/** Checks the flags, then adds the CA; resolves with the message that says what was done. */
export async function createAppCert(openSession: () => Promise<Session>, opts: AppCertOptions): Promise<string> {
  const { days, flagAlgo } = checkKeyOptions(opts, CA_DAYS);
  const session = await openSession();
  const target = appTarget(session.requireApp());
  const keyFile = opts.keyInput
    ? undefined
    : keyOutput(opts.keyOutput ?? `${target.app}-ca-key.pem`, "the application's private key");
  checkOutputs(keyFile ? [keyFile] : [], !!opts.force, opts.cwd);
  const inputKey = opts.keyInput ? await readPrivateKey(opts.keyInput, '--key-input', opts.cwd) : undefined;

  const current = await readTarget(session.registry, target);
  const key = await keyPair(inputKey, opts.keyInput, () => algorithmOf(flagAlgo, session));
  const { createCaCertificate } = await import('./x509.js');
  const cert = await createCaCertificate(target.app, key, days);
  const files = keyFile ? [{ ...keyFile, content: privateKeyPem(key.keys.privateKey) }] : [];

  await updateWithFiles(session, target, current, withTrustAnchor(current, cert.pem), files, opts);
  const issued = { subject: cert.subject, validUntil: rfc3339Seconds(cert.notAfter) };
  return trustAnchorAddedMessage(target.app, issued, keyFile?.path);
}

export async function createDeviceCert(
  openSession: () => Promise<Session>,
  device: string,
  opts: DeviceCertOptions,
): Promise<string> {
  checkDeviceName(device);
  const { days, flagAlgo } = checkKeyOptions(opts, DEVICE_DAYS);
  const certFile: PlannedFile = {
    path: opts.certOutput ?? defaultDeviceFile(device, 'cert', '--cert_output'),
    mode: CERT_MODE,
    what: "the device's certificate",
    flag: '--cert_output',
  };
  const keyFile = opts.keyInput
    ? undefined
    : keyOutput(opts.keyOutput ?? defaultDeviceFile(device, 'key', '--key-output'), "the device's private key");
  checkOutputs(keyFile ? [certFile, keyFile] : [certFile], !!opts.force, opts.cwd);
  const caPrivateKey = await readPrivateKey(opts.caKey, '--ca-key', opts.cwd);
  const inputKey = opts.keyInput ? await readPrivateKey(opts.keyInput, '--key-input', opts.cwd) : undefined;

  const session = await openSession();
  const app = session.requireApp();
  const target = deviceTarget(app, device);
  const ca = matchingAnchor(await session.registry.getApp(app), caPrivateKey, opts.caKey);
  const current = await readTarget(session.registry, target);
  const caKey = await signingKeyPair(caPrivateKey, `--ca-key ${opts.caKey}`);
  const key = await keyPair(inputKey, opts.keyInput, () => algorithmOf(flagAlgo, session));
  const { createDeviceCertificate, deviceCertificateAlias } = await import('./x509.js');
  const cert = await createDeviceCertificate({
    app,
    device,
    publicKey: key.keys.publicKey,
    caDer: new Uint8Array(ca.raw),
    caKey,
    days,
  });
  const alias = deviceCertificateAlias(app, device);
  const files: OutputFile[] = [{ ...certFile, content: cert.pem }];
  if (keyFile) files.push({ ...keyFile, content: privateKeyPem(key.keys.privateKey) });

  await updateWithFiles(session, target, current, withAlias(current, alias), files, opts);
  const issued = { subject: cert.subject, validUntil: rfc3339Seconds(cert.notAfter), file: certFile.path, alias };
  return deviceCertificateMessage(app, device, issued, keyFile?.path);
}

/** Flag checks shared by both commands, before any file is read or request made. */
function checkKeyOptions(opts: KeyOptions, defaultDays: number): { days: number; flagAlgo?: KeyAlgorithm } {
  if (opts.keyInput !== undefined && opts.keyOutput !== undefined) {
    throw new UsageError('--key-output cannot be combined with --key-input: the key is already in that file');
  }
  if (opts.keyInput !== undefined && opts.algo !== undefined) {
    throw new UsageError("--algo cannot be combined with --key-input: the key's own algorithm is used");
  }
  return {
    days: parseDays(opts.days, defaultDays),
    flagAlgo: opts.algo === undefined ? undefined : parseKeyAlgorithm(opts.algo),
  };
}

function parseDays(text: string | undefined, defaultDays: number): number {
  if (text === undefined) return defaultDays;
  const days = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(days >= 1 && days <= MAX_DAYS)) throw new UsageError(`--days must be a whole number from 1 to ${MAX_DAYS}`);
  return days;
}

function keyOutput(path: string, what: string): PlannedFile {
  return { path, mode: KEY_MODE, what, flag: '--key-output' };
}

/** `<device>-cert.pem` / `<device>-key.pem` in the current directory, when the name is a plain file name. */
function defaultDeviceFile(device: string, kind: 'cert' | 'key', flag: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/.test(device)) {
    throw new UsageError(`the device name is not a plain file name: give ${flag} FILE`);
  }
  return `${device}-${kind}.pem`;
}

/** `--algo`, else the context's `default_algo` (drg 0.11), else ECDSA. */
function algorithmOf(flagAlgo: KeyAlgorithm | undefined, session: Session): KeyAlgorithm {
  if (flagAlgo) return flagAlgo;
  const configured = session.context.default_algo;
  if (typeof configured === 'string' && configured !== '') {
    return parseKeyAlgorithm(configured, `default_algo of context ${session.context.name}`);
  }
  return 'ECDSA';
}

async function keyPair(
  inputKey: KeyObject | undefined,
  inputPath: string | undefined,
  algorithm: () => KeyAlgorithm,
): Promise<SigningKeyPair> {
  return inputKey ? signingKeyPair(inputKey, `--key-input ${inputPath}`) : generateKeyPair(algorithm());
}

/** The application's trust anchor whose public key belongs to the CA key. */
function matchingAnchor(app: Application, caKey: KeyObject, caKeyPath: string): X509Certificate {
  const name = app.metadata.name;
  const pems = trustAnchorPems(app);
  if (pems.length === 0) {
    throw new DrgError(`${subjectText({ kind: 'application', app: name })} has no trust anchors`, {
      hint: `create one with \`drg create app-cert --app ${name}\``,
    });
  }
  for (const pem of pems) {
    const cert = parseCertificate(pem);
    if (cert && matches(cert, caKey)) return cert;
  }
  throw new DrgError(
    `--ca-key ${caKeyPath} does not match any trust anchor of ${subjectText({ kind: 'application', app: name })}`,
    {
      hint: 'give the private key that `drg create app-cert` wrote for this application',
    },
  );
}

function parseCertificate(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

function matches(cert: X509Certificate, key: KeyObject): boolean {
  try {
    return cert.checkPrivateKey(key);
  } catch {
    return false; // a key of another type
  }
}

/**
 * Stages the files, writes `next` with the uid and resourceVersion `current` was read with (unless nothing
 * changed), then moves the files into place. When the write fails, the staged files are removed.
 */
async function updateWithFiles(
  session: Session,
  target: Target,
  current: Resource,
  next: Resource,
  files: OutputFile[],
  { force, cwd }: Pick<KeyOptions, 'force' | 'cwd'>,
): Promise<void> {
  const staged = await stageOutputs(files, !!force, cwd);
  try {
    if (!sameContent(current, next)) await writeTarget(session.registry, target, next);
  } catch (err) {
    await staged.discard();
    throw asConflict(err, `${targetText(target)} was changed by someone else while drg was updating it`, {
      hint: 'nothing was changed and no file was written: run the command again',
    });
  }
  await staged.commit();
}
