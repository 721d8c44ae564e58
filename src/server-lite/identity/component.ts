// Identity as a component of drg serve: users, access tokens and the authentication of API calls, with OIDC
// access tokens from the embedded issuer (at <listener URL>/oidc) or from an external one (`--issuer-url`).
import type { Endpoints } from '../../model/endpoints.js';
import type { Component } from '../runtime.js';
import type { StoreComponent } from '../store/component.js';
import { AccessTokens } from './access-tokens.js';
import { Authenticator, accessTokenVerifier, oidcTokenVerifier } from './authenticator.js';
import {
  API_AUDIENCE,
  createIssuer,
  DEFAULT_ISSUER_PATH,
  type EmbeddedIssuer,
  type IssuerLogger,
} from './oidc/issuer.js';
import type { LoginThrottleOptions } from './oidc/login-throttle.js';
import { PasswordPool, type PasswordPoolOptions } from './oidc/password-pool.js';
import { remoteJwtVerifier } from './oidc/verifier.js';
import { ADMIN_USER, Users } from './users.js';

export interface IdentityOptions {
  /** An external OpenID Provider instead of the embedded one: no local logins then. */
  issuerUrl?: string;
  /** Lifetime in seconds of the embedded issuer's access tokens. */
  accessTokenTtl?: number;
  loginThrottle?: LoginThrottleOptions;
  passwordPool?: PasswordPoolOptions;
  logger: IssuerLogger;
}

interface Ready {
  users: Users;
  accessTokens: AccessTokens;
  authenticator: Authenticator;
  issuerUrl: string;
  /** Both absent with an external issuer. */
  issuer?: EmbeddedIssuer;
  passwords?: PasswordPool;
}

export class IdentityComponent implements Component {
  readonly name = 'identity';
  private ready?: Ready;

  constructor(
    private readonly store: StoreComponent,
    /** The URL the API is served at, once listening. */
    private readonly apiUrl: () => string,
    private readonly options: IdentityOptions,
  ) {}

  get users(): Users {
    return this.started().users;
  }

  get accessTokens(): AccessTokens {
    return this.started().accessTokens;
  }

  get authenticator(): Authenticator {
    return this.started().authenticator;
  }

  /** The OpenID Provider users log in at. */
  get issuerUrl(): string {
    return this.started().issuerUrl;
  }

  /** The embedded issuer; undefined with an external one. */
  get issuer(): EmbeddedIssuer | undefined {
    return this.started().issuer;
  }

  /** The threads that hash and check the embedded issuer's passwords; undefined with an external issuer. */
  get passwords(): PasswordPool | undefined {
    return this.started().passwords;
  }

  async start(): Promise<void> {
    const { db } = this.store;
    const users = new Users(db);
    users.ensure(ADMIN_USER);
    const accessTokens = new AccessTokens(db);
    const tokens = accessTokenVerifier(accessTokens);
    const external = this.options.issuerUrl;
    if (external) {
      const jwt = remoteJwtVerifier({ issuerUrl: external, audience: API_AUDIENCE });
      const authenticator = new Authenticator([tokens, oidcTokenVerifier(jwt, rememberUsers(users))]);
      this.ready = { users, accessTokens, authenticator, issuerUrl: external };
      return;
    }
    const passwords = new PasswordPool(this.options.passwordPool);
    let issuer: EmbeddedIssuer;
    try {
      issuer = await createIssuer({
        db,
        issuerUrl: `${this.apiUrl()}${DEFAULT_ISSUER_PATH}`,
        accessTokenTtl: this.options.accessTokenTtl,
        passwords,
        loginThrottle: this.options.loginThrottle,
        logger: this.options.logger,
      });
    } catch (err) {
      await passwords.close();
      throw err;
    }
    const authenticator = new Authenticator([tokens, oidcTokenVerifier(issuer.verifier)]);
    this.ready = { users, accessTokens, authenticator, issuerUrl: issuer.issuerUrl, issuer, passwords };
  }

  /** Lets the password checks under way finish. */
  async stop(): Promise<void> {
    await this.ready?.passwords?.close();
    this.ready = undefined;
  }

  endpoints(): Endpoints {
    return { issuer_url: this.issuerUrl };
  }

  private started(): Ready {
    if (!this.ready) throw new Error('identity has not started');
    return this.ready;
  }
}

/** Users of an external issuer become known users (members, transfers) with their first accepted token. */
function rememberUsers(users: Users): (user: string) => void {
  const known = new Set<string>();
  return (user) => {
    if (known.has(user)) return;
    users.ensure(user);
    known.add(user);
  };
}
