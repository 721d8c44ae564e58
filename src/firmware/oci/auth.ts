// Registry authentication as `WWW-Authenticate` asks for it (distribution's token spec): Basic, or Bearer with a
// token from the challenge's realm for the scope `repository:<repo>:pull[,push]`, fetched anonymously or with
// Basic credentials and kept until it expires, per registry and scope.
import { send, TransportError } from '../../client/transport.js';
import type { RegistryCredentials } from './credentials.js';
import { OciError } from './errors.js';

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** The challenges of a `WWW-Authenticate` header: `Bearer realm="...",service="..."`, `Basic realm="..."`. */
export function parseChallenges(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  const token = /\s*([!#$%&'*+.^_`|~\w-]+)/y;
  const param = /\s*([!#$%&'*+.^_`|~\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?/y;
  let at = 0;
  while (at < header.length) {
    token.lastIndex = at;
    const scheme = token.exec(header);
    if (!scheme) break;
    at = token.lastIndex;
    const params: Record<string, string> = {};
    for (;;) {
      param.lastIndex = at;
      const match = param.exec(header);
      if (!match) break;
      params[match[1].toLowerCase()] = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3];
      at = param.lastIndex;
    }
    challenges.push({ scheme: scheme[1].toLowerCase(), params });
    at = header.indexOf(',', at) === at ? at + 1 : at;
  }
  return challenges;
}

export type Access = 'pull' | 'push';

/** What the registry is told a request needs: push also pulls (docker asks for both). */
export function scopeOf(repository: string, access: Access): string {
  return `repository:${repository}:${access === 'push' ? 'pull,push' : 'pull'}`;
}

interface CachedToken {
  authorization: string;
  expiresAt: number;
}

const MAX_TOKENS = 256;
const DEFAULT_TOKEN_SECONDS = 60;
/** A token is not used in its last seconds: it could expire on the way. */
const EXPIRY_MARGIN_MS = 5_000;
const MAX_TOKEN_RESPONSE = 1024 * 1024;

export interface AuthContext {
  registry: string;
  repository: string;
  access: Access;
  credentials: RegistryCredentials | undefined;
  /** For messages: `registry/repository`. */
  subject: string;
}

export class RegistryAuth {
  /** Registries that asked for Basic: sent at once from then on. */
  private readonly basic = new Set<string>();
  /** Tokens by registry and scope, oldest first (bounded). */
  private readonly tokens = new Map<string, CachedToken>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The Authorization header for a request, when one is known already. */
  current(context: AuthContext): string | undefined {
    if (this.basic.has(context.registry)) return context.credentials && basicHeader(context.credentials);
    const key = tokenKey(context);
    const token = this.tokens.get(key);
    if (token && token.expiresAt > this.now()) return token.authorization;
    if (token) this.tokens.delete(key);
    return undefined;
  }

  /** The Authorization header that answers a 401's challenges; throws an OciError when there is none. */
  async answer(context: AuthContext, header: string | undefined): Promise<string> {
    const challenges = parseChallenges(header ?? '');
    const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm);
    if (bearer) return this.fetchToken(context, bearer.params);
    if (challenges.some((c) => c.scheme === 'basic')) {
      if (!context.credentials) throw unauthorized(context, 401, false);
      this.basic.add(context.registry);
      return basicHeader(context.credentials);
    }
    throw new OciError(`${context.subject}: the registry asks for authentication drg does not speak (401)`, {
      code: 'unauthorized',
      status: 401,
    });
  }

  /** Forgets what was learnt for this registry and scope (credentials refused, a token revoked). */
  forget(context: AuthContext): void {
    this.basic.delete(context.registry);
    this.tokens.delete(tokenKey(context));
  }

  private async fetchToken(context: AuthContext, params: Record<string, string>): Promise<string> {
    const scopes = [scopeOf(context.repository, context.access)];
    // What the challenge names besides (another repository's access, say) is asked for too.
    if (params.scope && params.scope !== scopeOf(context.repository, 'pull')) {
      if (!scopes.includes(params.scope)) scopes.push(params.scope);
    }
    if (!URL.canParse(params.realm) || !/^https?:$/.test(new URL(params.realm).protocol)) {
      throw new OciError(`${context.subject}: the registry's token realm is not an http(s) URL`, {
        code: 'registry',
        status: 401,
      });
    }
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    for (const scope of scopes) url.searchParams.append('scope', scope);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (context.credentials) headers.authorization = basicHeader(context.credentials);
    const requested = this.now();
    let response: Awaited<ReturnType<typeof send>>;
    try {
      response = await send({ method: 'GET', url: url.href, headers, maxBytes: MAX_TOKEN_RESPONSE });
    } catch (err) {
      if (!(err instanceof TransportError)) throw err;
      throw new OciError(`${context.subject}: cannot get a token from ${url.host}: ${err.message}`, {
        code: 'network',
        cause: err,
      });
    }
    if (response.status === 401 || response.status === 403)
      throw unauthorized(context, response.status, !!headers.authorization);
    const answer = parseJson(response.body) as {
      token?: unknown;
      access_token?: unknown;
      expires_in?: unknown;
      issued_at?: unknown;
    };
    const token = typeof answer?.token === 'string' ? answer.token : answer?.access_token;
    if (response.status !== 200 || typeof token !== 'string' || token === '') {
      throw new OciError(
        `${context.subject}: the token service ${url.host} answered ${response.status} without a token`,
        {
          code: 'registry',
          status: response.status,
        },
      );
    }
    const seconds =
      typeof answer.expires_in === 'number' && answer.expires_in > 0 ? answer.expires_in : DEFAULT_TOKEN_SECONDS;
    const issued = typeof answer.issued_at === 'string' ? Date.parse(answer.issued_at) : Number.NaN;
    const authorization = `Bearer ${token}`;
    this.remember(tokenKey(context), {
      authorization,
      expiresAt: (Number.isNaN(issued) ? requested : issued) + seconds * 1000 - EXPIRY_MARGIN_MS,
    });
    return authorization;
  }

  private remember(key: string, token: CachedToken): void {
    this.tokens.delete(key);
    this.tokens.set(key, token);
    if (this.tokens.size > MAX_TOKENS) this.tokens.delete(this.tokens.keys().next().value as string);
  }
}

/** The 401 (or 403 from a token service) that says what to do: log in, or check the credentials sent. */
export function unauthorized(context: AuthContext, status: number, sentCredentials: boolean): OciError {
  const login = `docker login ${context.registry}, or set DRG_REGISTRY_USERNAME and DRG_REGISTRY_PASSWORD`;
  return sentCredentials
    ? new OciError(`${context.subject}: the registry refused the credentials (${status})`, {
        code: 'unauthorized',
        status,
        hint: `check them (${login}), and that they may ${context.access} this repository`,
      })
    : new OciError(`${context.subject}: the registry needs credentials (${status})`, {
        code: 'unauthorized',
        status,
        hint: `log in with ${login}`,
      });
}

function tokenKey(context: AuthContext): string {
  return `${context.registry} ${scopeOf(context.repository, context.access)}`;
}

function basicHeader({ username, password }: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}
