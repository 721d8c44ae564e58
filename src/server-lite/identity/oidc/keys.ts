// The issuer's secrets, generated on first start and kept in oidc_secrets (migration 3), so that tokens and
// sessions stay valid across restarts: the JWT signing key (RS256, which every OIDC client supports) and
// the key that signs the provider's cookies.
import { randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Db } from '../../store/db.js';

export const SIGNING_ALG = 'RS256';

/** A private signing JWK with `kid`, `alg` and `use`. */
export type SigningJwk = JWK & { kid: string; alg: string };

export interface JsonWebKeySet {
  keys: JWK[];
}

/** The signing keys, newest first; creates one when there is none. */
export async function loadSigningKeys(db: Db): Promise<SigningJwk[]> {
  const existing = readSecrets(db, 'signing');
  if (existing.length > 0) return existing.map((value) => JSON.parse(value) as SigningJwk);
  const { privateKey } = await generateKeyPair(SIGNING_ALG, { modulusLength: 2048, extractable: true });
  const jwk = await exportJWK(privateKey);
  const key: SigningJwk = { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: SIGNING_ALG, use: 'sig' };
  insertFirstSecret(db, 'signing', key.kid, JSON.stringify(key));
  return readSecrets(db, 'signing').map((value) => JSON.parse(value) as SigningJwk);
}

const PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']);

/** The public half of signing keys, for verifiers (the provider serves the same at its jwks endpoint). */
export function publicJwks(keys: readonly SigningJwk[]): JsonWebKeySet {
  return { keys: keys.map((key) => Object.fromEntries(Object.entries(key).filter(([m]) => !PRIVATE_MEMBERS.has(m)))) };
}

/** Keys for the provider's signed cookies, newest first; creates one when there is none. */
export function loadCookieKeys(db: Db): string[] {
  const existing = readSecrets(db, 'cookie');
  if (existing.length > 0) return existing;
  const key = randomBytes(32).toString('base64url');
  insertFirstSecret(db, 'cookie', key.slice(0, 8), key);
  return readSecrets(db, 'cookie');
}

function readSecrets(db: Db, purpose: string): string[] {
  return db
    .prepare<[string], string>('SELECT value FROM oidc_secrets WHERE purpose = ? ORDER BY created DESC, id')
    .pluck()
    .all(purpose);
}

/** Stores the secret unless one for the purpose exists (another process may have been quicker). */
function insertFirstSecret(db: Db, purpose: string, id: string, value: string): void {
  db.prepare(
    `INSERT INTO oidc_secrets (purpose, id, value, created)
     SELECT @purpose, @id, @value, @created WHERE NOT EXISTS (SELECT 1 FROM oidc_secrets WHERE purpose = @purpose)`,
  ).run({ purpose, id, value, created: new Date().toISOString() });
}
