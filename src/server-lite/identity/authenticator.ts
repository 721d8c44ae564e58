// Authentication of API calls (docs/drogue-api.md): exactly one kind of credentials per request, checked by pluggable
// verifiers: access tokens (synchronous, the fast path) and OIDC access tokens (JWTs, asynchronous).
import type { AccessTokens } from './access-tokens.js';
import { type JwtVerifier, TokenRejectedError } from './oidc/verifier.js';

export type Credentials = { kind: 'basic'; username: string; password: string } | { kind: 'bearer'; token: string };

/** The user id, with the credentials' expiry (ms since the epoch) when they expire (OIDC access tokens). */
export type Verified = string | { user: string; expiresAt: number };

/**
 * Checks credentials; returns who they are of, or undefined when they are not valid for this verifier. May answer
 * asynchronously; a rejection other than "not valid" (e.g. IssuerUnavailableError) fails the request.
 */
export interface CredentialVerifier {
  verify(credentials: Credentials): Verified | undefined | Promise<Verified | undefined>;
}

export type Authentication =
  | { outcome: 'user'; user: string; expiresAt?: number }
  | { outcome: 'anonymous' }
  | { outcome: 'invalid' };

const ANONYMOUS: Authentication = { outcome: 'anonymous' };
const INVALID: Authentication = { outcome: 'invalid' };

type QueryCredentials = { token?: unknown; username?: unknown; api_key?: unknown };

/**
 * Credentials from the `Authorization` header or the query (`?token=` / `?username=&api_key=`);
 * undefined when there are none, 'malformed' when they are incomplete, ambiguous or unreadable.
 */
export function extractCredentials(
  authorization: string | undefined,
  query: QueryCredentials | undefined,
): Credentials | undefined | 'malformed' {
  const inQuery = query !== undefined && (query.token ?? query.username ?? query.api_key) !== undefined;
  if (authorization !== undefined) return inQuery ? 'malformed' : fromHeader(authorization);
  return inQuery ? fromQuery(query) : undefined;
}

function fromHeader(header: string): Credentials | 'malformed' {
  const space = header.indexOf(' ');
  if (space < 0) return 'malformed';
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer') return value ? { kind: 'bearer', token: value } : 'malformed';
  if (scheme !== 'basic') return 'malformed';
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return 'malformed';
  return { kind: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function fromQuery(query: QueryCredentials): Credentials | 'malformed' {
  const { token, username, api_key } = query;
  if (token !== undefined) {
    return typeof token === 'string' && token && username === undefined && api_key === undefined
      ? { kind: 'bearer', token }
      : 'malformed';
  }
  return typeof username === 'string' && username && typeof api_key === 'string' && api_key
    ? { kind: 'basic', username, password: api_key }
    : 'malformed';
}

export class Authenticator {
  constructor(private readonly verifiers: readonly CredentialVerifier[]) {}

  /** Synchronous unless a verifier that needs to be awaited gets to see the credentials. */
  authenticate(
    authorization: string | undefined,
    query: QueryCredentials | undefined,
  ): Authentication | Promise<Authentication> {
    const credentials = extractCredentials(authorization, query);
    if (credentials === undefined) return ANONYMOUS;
    if (credentials === 'malformed') return INVALID;
    return this.verifyFrom(0, credentials);
  }

  private verifyFrom(first: number, credentials: Credentials): Authentication | Promise<Authentication> {
    for (let i = first; i < this.verifiers.length; i++) {
      const verified = this.verifiers[i].verify(credentials);
      if (verified instanceof Promise) {
        return verified.then((v) => (v === undefined ? this.verifyFrom(i + 1, credentials) : authenticated(v)));
      }
      if (verified !== undefined) return authenticated(verified);
    }
    return INVALID;
  }
}

function authenticated(verified: Verified): Authentication {
  return typeof verified === 'string'
    ? { outcome: 'user', user: verified }
    : { outcome: 'user', user: verified.user, expiresAt: verified.expiresAt };
}

/** `username:drg_token` (Basic or `?username=&api_key=`): valid when the token exists and belongs to the user. */
export function accessTokenVerifier(tokens: AccessTokens): CredentialVerifier {
  return {
    verify: (c) => (c.kind === 'basic' && tokens.ownerOf(c.password) === c.username ? c.username : undefined),
  };
}

/** Bearer tokens (header or `?token=`) as OIDC access tokens. `onUser` learns every user a token was accepted for. */
export function oidcTokenVerifier(jwt: JwtVerifier, onUser: (user: string) => void = () => {}): CredentialVerifier {
  return {
    verify: (c) => {
      if (c.kind !== 'bearer') return undefined;
      return jwt.verify(c.token).then(
        (verified) => {
          onUser(verified.user);
          return verified;
        },
        (err: unknown) => {
          if (err instanceof TokenRejectedError) return undefined;
          throw err;
        },
      );
    },
  };
}
