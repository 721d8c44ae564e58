// Verification of OIDC access tokens (JWTs) presented to the API: signature against the issuer's keys
// (asymmetric algorithms only, so `alg: none` and HS* signed with a public key never pass), `iss`, `aud`, `exp`.
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  jwtVerify,
} from 'jose';
import type { JsonWebKeySet } from './keys.js';

/** The token is not valid: the API answers 403. The message never contains the token. */
export class TokenRejectedError extends Error {}

/** The issuer's discovery document or keys cannot be fetched: the token could not be checked. */
export class IssuerUnavailableError extends Error {}

export interface VerifiedToken {
  /** The user the token was issued to. */
  user: string;
  /** When it expires (its `exp`, ms since the epoch). */
  expiresAt: number;
}

export interface JwtVerifier {
  /** Rejects with TokenRejectedError or IssuerUnavailableError. */
  verify(token: string): Promise<VerifiedToken>;
}

const ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];
const CLOCK_TOLERANCE_SECONDS = 5;

export interface LocalVerifierOptions {
  issuer: string;
  audience: string;
  /** The issuer's public keys. */
  jwks: JsonWebKeySet;
  /** For tests: the time tokens are checked at. */
  now?: () => Date;
}

/**
 * Verifier for the embedded issuer: its keys are at hand. Requires `typ: at+jwt` (RFC 9068), which
 * oidc-provider sets on access tokens, so that its ID tokens (same issuer, same keys) are not taken for them.
 * The user is `sub`.
 */
export function localJwtVerifier(opts: LocalVerifierOptions): JwtVerifier {
  const keys = createLocalJWKSet(opts.jwks);
  return {
    async verify(token) {
      const payload = await verifyJwt(token, keys, {
        issuer: opts.issuer,
        audience: opts.audience,
        typ: 'at+jwt',
        currentDate: opts.now?.(),
      });
      return { user: userOf(payload.sub), expiresAt: payload.exp! * 1000 };
    },
  };
}

export interface RemoteVerifierOptions {
  /** The external issuer (`--issuer-url`), exactly as its discovery document names it. */
  issuerUrl: string;
  /** Expected `aud` of access tokens (for Keycloak: add an audience mapper to the client). */
  audience: string;
}

/**
 * Verifier for an external OpenID Provider (`--issuer-url`): discovery on first use (retried after a failure),
 * keys from its `jwks_uri` (cached, refetched for an unknown `kid`). The user is `preferred_username`, else `sub`.
 */
export function remoteJwtVerifier(opts: RemoteVerifierOptions): JwtVerifier {
  let discovered: Promise<{ issuer: string; keys: JWTVerifyGetKey }> | undefined;
  const discover = () => {
    discovered ??= discoverKeys(opts.issuerUrl).catch((err: unknown) => {
      discovered = undefined;
      throw err;
    });
    return discovered;
  };
  return {
    async verify(token) {
      const { issuer, keys } = await discover();
      const payload = await verifyJwt(token, keys, { issuer, audience: opts.audience });
      return { user: userOf(payload.preferred_username ?? payload.sub), expiresAt: payload.exp! * 1000 };
    },
  };
}

async function discoverKeys(issuerUrl: string) {
  const url = `${issuerUrl.replace(/\/$/, '')}/.well-known/openid-configuration`;
  let metadata: { issuer?: unknown; jwks_uri?: unknown };
  try {
    const res = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    metadata = (await res.json()) as typeof metadata;
  } catch (err) {
    throw new IssuerUnavailableError(`OIDC discovery at ${url} failed: ${(err as Error).message}`);
  }
  const { issuer, jwks_uri } = metadata;
  if (typeof issuer !== 'string' || issuer.replace(/\/$/, '') !== issuerUrl.replace(/\/$/, '')) {
    throw new IssuerUnavailableError(`OIDC discovery at ${url} names another issuer: ${JSON.stringify(issuer)}`);
  }
  if (typeof jwks_uri !== 'string') throw new IssuerUnavailableError(`OIDC discovery at ${url} has no jwks_uri`);
  return { issuer, keys: createRemoteJWKSet(new URL(jwks_uri)) };
}

async function verifyJwt(token: string, keys: JWTVerifyGetKey, options: JWTVerifyOptions): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, keys, {
      ...options,
      algorithms: ALGORITHMS,
      requiredClaims: ['exp', 'sub'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    });
    return payload;
  } catch (err) {
    throw asVerificationError(err);
  }
}

function asVerificationError(err: unknown): Error {
  if (err instanceof errors.JWKSTimeout)
    return new IssuerUnavailableError('the issuer keys could not be fetched in time');
  if (err instanceof errors.JWTExpired) return new TokenRejectedError('the token has expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    return new TokenRejectedError(`the token's "${err.claim}" claim is not valid (${err.reason})`);
  }
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return new TokenRejectedError('the token signature is invalid');
  if (err instanceof errors.JWKSNoMatchingKey)
    return new TokenRejectedError('the token is not signed by a key of the issuer');
  if (err instanceof errors.JOSEAlgNotAllowed)
    return new TokenRejectedError('the token signature algorithm is not accepted');
  if (err instanceof errors.JOSEError) return new TokenRejectedError('the token is not a valid JWT');
  // Anything else happened while fetching the issuer's keys.
  return new IssuerUnavailableError(`the issuer keys could not be fetched: ${(err as Error).message}`);
}

function userOf(user: unknown): string {
  if (typeof user !== 'string' || user === '') throw new TokenRejectedError('the token names no user');
  return user;
}
