// Key pairs for `drg create app-cert|device-cert`: generated, or read from a file, as WebCrypto keys that can
// sign certificates. Algorithms as drg 0.11 named them: ECDSA (P-256, the default), EdDSA (Ed25519), RSA (2048).
import { createPrivateKey, createPublicKey, KeyObject, webcrypto } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DrgError, UsageError } from '../errors.js';

export const KEY_ALGORITHMS = ['ECDSA', 'EdDSA', 'RSA'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

/** A key pair with the WebCrypto algorithm its private key signs with. */
export interface SigningKeyPair {
  keys: CryptoKeyPair;
  signature: Algorithm | EcdsaParams;
}

/** `--algo` or a context's `default_algo`, case-insensitively; `source` names where it came from. */
export function parseKeyAlgorithm(name: string, source = '--algo'): KeyAlgorithm {
  const found = KEY_ALGORITHMS.find((a) => a.toLowerCase() === name.trim().toLowerCase());
  if (!found) throw new UsageError(`${source} must be one of ${KEY_ALGORITHMS.join(', ')}, not "${name}"`);
  return found;
}

const RSA_BITS = 2048;
const F4 = new Uint8Array([1, 0, 1]);

export async function generateKeyPair(algorithm: KeyAlgorithm): Promise<SigningKeyPair> {
  const subtle = webcrypto.subtle;
  const usages: KeyUsage[] = ['sign', 'verify'];
  switch (algorithm) {
    case 'ECDSA':
      return {
        keys: (await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, usages)) as CryptoKeyPair,
        signature: { name: 'ECDSA', hash: 'SHA-256' },
      };
    case 'EdDSA':
      return {
        keys: (await subtle.generateKey({ name: 'Ed25519' }, true, usages)) as CryptoKeyPair,
        signature: { name: 'Ed25519' },
      };
    case 'RSA': {
      const params = { name: 'RSASSA-PKCS1-v1_5', modulusLength: RSA_BITS, publicExponent: F4, hash: 'SHA-256' };
      return {
        keys: (await subtle.generateKey(params, true, usages)) as CryptoKeyPair,
        signature: { name: 'RSASSA-PKCS1-v1_5' },
      };
    }
  }
}

/**
 * A private key file (`flag` names it in errors): PEM (PKCS#8, SEC1 or PKCS#1) or DER PKCS#8 (what drg 0.11's
 * --key-input took). Encrypted keys are refused.
 */
export async function readPrivateKey(path: string, flag: string, cwd: string): Promise<KeyObject> {
  let data: Buffer;
  try {
    data = await readFile(resolve(cwd, path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code;
    throw new DrgError(`cannot read ${flag} ${path}: ${reason ?? (err as Error).message}`);
  }
  try {
    return data.includes('-----BEGIN')
      ? createPrivateKey(data)
      : createPrivateKey({ key: data, format: 'der', type: 'pkcs8' });
  } catch (err) {
    const encrypted = /passphrase/i.test((err as Error).message);
    throw new DrgError(
      encrypted
        ? `${flag} ${path} is an encrypted key: give an unencrypted one`
        : `${flag} ${path} is not a private key (PEM, or DER PKCS#8)`,
    );
  }
}

/** The key pair of a private key, for signing; ECDSA P-256/P-384, Ed25519 and RSA (PKCS#1 v1.5) keys. */
export async function signingKeyPair(privateKey: KeyObject, describe: string): Promise<SigningKeyPair> {
  const { importParams, signature } = webCryptoAlgorithm(privateKey, describe);
  const subtle = webcrypto.subtle;
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const keys = {
    privateKey: await subtle.importKey('pkcs8', pkcs8, importParams, true, ['sign']),
    publicKey: await subtle.importKey('spki', spki, importParams, true, ['verify']),
  };
  return { keys, signature };
}

function webCryptoAlgorithm(key: KeyObject, describe: string) {
  const type = key.asymmetricKeyType;
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') {
      return { importParams: { name: 'ECDSA', namedCurve: 'P-256' }, signature: { name: 'ECDSA', hash: 'SHA-256' } };
    }
    if (curve === 'secp384r1') {
      return { importParams: { name: 'ECDSA', namedCurve: 'P-384' }, signature: { name: 'ECDSA', hash: 'SHA-384' } };
    }
    throw new DrgError(`${describe} uses the curve ${curve}: only P-256 and P-384 are supported`);
  }
  if (type === 'ed25519') return { importParams: { name: 'Ed25519' }, signature: { name: 'Ed25519' } };
  if (type === 'rsa') {
    return { importParams: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, signature: { name: 'RSASSA-PKCS1-v1_5' } };
  }
  throw new DrgError(`${describe} is a ${type} key: only ECDSA, Ed25519 and RSA keys are supported`);
}

/** PKCS#8 PEM of a private key. */
export function privateKeyPem(key: CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }) as string;
}
