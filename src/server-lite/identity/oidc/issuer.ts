// The embedded OpenID Provider (oidc-provider) of drg serve: the public client `drogue` (authorization code
// with PKCE S256 on loopback redirect URIs, refresh tokens, device authorization grant, revocation) and the web
// console's `drg-console` (code with PKCE on the server's own /console/callback, refresh tokens that end with the
// browser's session, logout at the end_session endpoint), access tokens as short-lived JWTs for the API, everything
// persisted in the store.
import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { CONSOLE_CLIENT_ID, CONSOLE_PATH, CONSOLE_REDIRECT_PATH, DROGUE_CLIENT_ID } from '../../../model/oidc.js';
import type { Db } from '../../store/db.js';
import { sqliteAdapter } from './adapter.js';
import { interactionHandler, PageError, readForm, sendPage } from './interactions.js';
import { loadCookieKeys, loadSigningKeys, publicJwks, SIGNING_ALG } from './keys.js';
import { loadOidcProvider } from './load-provider.js';
import { clientOf, type LoginAttempt, LoginThrottle, type LoginThrottleOptions } from './login-throttle.js';
import {
  confirmDevicePage,
  deviceDonePage,
  errorPage,
  loggedOutPage,
  logoutPage,
  PAGE_HEADERS,
  userCodePage,
  waitText,
} from './pages.js';
import type { PasswordPool } from './password-pool.js';
import { canLogIn } from './passwords.js';
import { type JwtVerifier, localJwtVerifier } from './verifier.js';

/** `aud` of the access tokens: what the API checks. */
export const API_AUDIENCE = 'drogue';
/** The resource indicator (RFC 8707) of the API; tokens are issued for it when a client names none. */
export const API_RESOURCE = 'urn:drogue:api';
export const DEFAULT_ACCESS_TOKEN_TTL = 5 * 60;
/** Where drg serve mounts the issuer. */
export const DEFAULT_ISSUER_PATH = '/oidc';

const DAY = 24 * 60 * 60;
const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** Where the user enters a device flow's code (below the mount path). */
const CODE_VERIFICATION_ROUTE = '/device';
/** RP-initiated logout (below the mount path). */
const END_SESSION_ROUTE = '/session/end';
/** RFC 8252: the port of a loopback redirect URI is free; these are compared without it. */
const LOOPBACK_REDIRECT_URIS = ['localhost', '127.0.0.1', '[::1]'].flatMap((host) => [
  `http://${host}`,
  `http://${host}/`,
]);

/** pino's and fastify's loggers fit. */
export interface IssuerLogger {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface IssuerOptions {
  db: Db;
  /** Absolute URL; its path is where `callback` serves, e.g. `http://127.0.0.1:8011/oidc`. */
  issuerUrl: string;
  /** Access token lifetime in seconds (`--token-ttl`). */
  accessTokenTtl?: number;
  /** Checks the passwords of the login form. */
  passwords: PasswordPool;
  loginThrottle?: LoginThrottleOptions;
  logger?: IssuerLogger;
}

export interface EmbeddedIssuer {
  issuerUrl: string;
  /** The path prefix `callback` serves ('' for the root). */
  mountPath: string;
  provider: Provider;
  /** Node request handler for everything under `mountPath`; answers 404 for other paths. */
  callback: (req: IncomingMessage, res: ServerResponse) => void;
  /** Verifies this issuer's access tokens. */
  verifier: JwtVerifier;
}

export async function createIssuer(opts: IssuerOptions): Promise<EmbeddedIssuer> {
  const accessTokenTtl = opts.accessTokenTtl ?? DEFAULT_ACCESS_TOKEN_TTL;
  if (!Number.isSafeInteger(accessTokenTtl) || accessTokenTtl <= 0) {
    throw new Error(`the access token lifetime must be a positive number of seconds, not ${accessTokenTtl}`);
  }
  const url = new URL(opts.issuerUrl);
  const mountPath = url.pathname.replace(/\/$/, '');
  // No trailing slash, except for the root, as URL normalizes it.
  const issuerUrl = `${url.origin}${mountPath || '/'}`;
  const { db, logger } = opts;
  const logError = (err: unknown, msg: string) => logger?.error({ err }, msg);
  const throttle = new LoginThrottle(opts.loginThrottle);
  // The device code being checked per request, so that a wrong code counts as a failure of its client.
  const codeAttempts = new WeakMap<object, LoginAttempt>();

  const [{ default: ProviderClass, errors }, signingKeys] = await Promise.all([
    loadOidcProvider(),
    loadSigningKeys(db),
  ]);

  const configuration: Configuration = {
    adapter: sqliteAdapter(db),
    jwks: { keys: signingKeys },
    cookies: { keys: loadCookieKeys(db) },
    clients: [
      {
        client_id: DROGUE_CLIENT_ID,
        client_name: 'drg',
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token', DEVICE_CODE_GRANT],
        response_types: ['code'],
        redirect_uris: LOOPBACK_REDIRECT_URIS,
      },
      {
        // The console is served by this server, on the issuer's origin.
        client_id: CONSOLE_CLIENT_ID,
        client_name: 'drg console',
        application_type: 'web',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [`${url.origin}${CONSOLE_REDIRECT_PATH}`],
        post_logout_redirect_uris: [`${url.origin}${CONSOLE_PATH}`],
      },
    ],
    scopes: ['openid', 'offline_access', 'profile'],
    claims: { openid: ['sub'], profile: ['preferred_username'] },
    async findAccount(_ctx, sub) {
      if (!canLogIn(db, sub)) return undefined;
      return { accountId: sub, claims: () => ({ sub, preferred_username: sub }) };
    },
    pkce: { required: () => true },
    // Without `prompt=consent` (drg sends none) oidc-provider drops `offline_access` from the request, as
    // OIDC Core asks unless "other conditions permit offline access": here, the first-party clients. So `drogue`
    // always gets a refresh token, not bound to the browser session; the console one that ends with it (logout,
    // or the session's expiry), so that it refreshes silently while the user is logged in.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    expiresWithSession: async (ctx) => ctx.oidc.client?.clientId !== DROGUE_CLIENT_ID,
    ttl: {
      AccessToken: accessTokenTtl,
      AuthorizationCode: 60,
      DeviceCode: 10 * 60,
      IdToken: 60 * 60,
      Interaction: 60 * 60,
      // Refresh tokens rotate (public client): each use starts a new lifetime, up to the grant's.
      RefreshToken: 30 * DAY,
      Session: 14 * DAY,
      Grant: 365 * DAY,
    },
    interactions: { url: (_ctx, interaction) => `${mountPath}/interaction/${interaction.uid}` },
    routes: { code_verification: CODE_VERIFICATION_ROUTE, end_session: END_SESSION_ROUTE },
    // The console calls the token and revocation endpoints from its own page (same origin: the browser still
    // sends Origin on a POST).
    clientBasedCORS: (_ctx, origin, client) => client.clientId === CONSOLE_CLIENT_ID && origin === url.origin,
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => renderPage(ctx, logoutPage(form, ctx.oidc.session?.accountId)),
        postLogoutSuccessSource: async (ctx) => renderPage(ctx, loggedOutPage()),
      },
      revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      deviceFlow: {
        enabled: true,
        userCodeInputSource: async (ctx, _form, _out, err) => {
          const attempt = codeAttempts.get(ctx);
          if (attempt && (err as Error | undefined)?.name === 'NotFoundError') {
            const { clientFailures, waitSeconds } = attempt.failed();
            const lockout = waitSeconds > 0;
            logger?.warn(
              { client: ctx.req.socket.remoteAddress, clientFailures, lockout, ...(lockout && { waitSeconds }) },
              'device code not found',
            );
          }
          renderPage(
            ctx,
            userCodePage({
              action: ctx.oidc.urlFor('code_verification'),
              xsrf: String(ctx.oidc.session?.state?.secret ?? ''),
              userCode: (err as { userCode?: string } | undefined)?.userCode,
              error: userCodeError(err),
            }),
          );
        },
        userCodeConfirmSource: async (ctx, form, client, _deviceInfo, userCode) => {
          renderPage(ctx, confirmDevicePage(form, client.clientName ?? client.clientId, userCode));
        },
        successSource: async (ctx) => renderPage(ctx, deviceDonePage()),
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => API_RESOURCE,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, indicator) => {
          if (indicator !== API_RESOURCE) throw new errors.InvalidTarget();
          return {
            scope: '',
            audience: API_AUDIENCE,
            accessTokenTTL: accessTokenTtl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: SIGNING_ALG } },
          };
        },
      },
    },
    renderError: async (ctx, out) => {
      const description = out.error_description ? `: ${out.error_description}` : '';
      renderPage(ctx, errorPage('Login failed', `${out.error}${description}`));
    },
  };

  const provider = new ProviderClass(issuerUrl, configuration);
  // oidc-provider derives its endpoint URLs from ctx.mountPath when mounted below the root.
  provider.use((ctx, next) => {
    (ctx as KoaContextWithOIDC & { mountPath?: string }).mountPath = mountPath;
    return next();
  });
  // Entering device codes is throttled per client like logins.
  provider.use(async (ctx, next) => {
    if (ctx.method !== 'POST' || ctx.path !== CODE_VERIFICATION_ROUTE) return next();
    const admission = throttle.admit(clientOf(ctx.req.socket.remoteAddress));
    if (!admission.allowed) {
      ctx.status = 429;
      ctx.set('retry-after', String(admission.waitSeconds));
      renderPage(ctx, errorPage('Too many attempts', `Too many wrong codes. ${waitText(admission.waitSeconds)}`));
      return;
    }
    codeAttempts.set(ctx, admission.attempt);
    try {
      await next();
    } finally {
      admission.attempt.abandoned();
    }
  });
  provider.on('server_error', (_ctx: unknown, err: unknown) => logError(err, 'OIDC provider error'));
  // A listener keeps Koa from printing errors itself.
  (provider as unknown as EventEmitter).on('error', (err: unknown) => logError(err, 'OIDC provider error'));

  const handleProvider = provider.callback();
  const handleInteraction = interactionHandler({ provider, db, passwords: opts.passwords, throttle, logger });
  const interactionPath = new RegExp(`^${escapeRegExp(mountPath)}/interaction/([A-Za-z0-9_-]+)$`);

  const callback = (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const path = url.split('?')[0];
    const interaction = interactionPath.exec(path);
    if (interaction) {
      void handleInteraction(req, res, interaction[1]);
    } else if (req.method === 'POST' && path === `${mountPath}${END_SESSION_ROUTE}`) {
      void endSessionByPost(req, res);
    } else if (path.startsWith(`${mountPath}/`)) {
      req.url = url.slice(mountPath.length);
      void handleProvider(req, res);
    } else {
      sendPage(res, 404, errorPage('Not found', 'There is no page here.'));
    }
  };

  /**
   * oidc-provider takes end_session as a POST only with SameSite=None cookies (for relying parties on other sites).
   * The console, on this origin, posts its form so that its ID token stays out of URLs: it is handed to the
   * provider as the GET it otherwise is, which only shows the confirmation page (its own form then ends the session).
   */
  const endSessionByPost = async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const form = await readForm(req);
      req.method = 'GET';
      req.url = `${END_SESSION_ROUTE}?${form}`;
      delete req.headers['content-type'];
      delete req.headers['content-length'];
    } catch (err) {
      // Else the client went away mid-form.
      if (err instanceof PageError) sendPage(res, err.status, errorPage(err.title, err.message));
      else res.destroy();
      return;
    }
    await handleProvider(req, res);
  };

  const verifier = localJwtVerifier({ issuer: issuerUrl, audience: API_AUDIENCE, jwks: publicJwks(signingKeys) });
  return { issuerUrl, mountPath, provider, callback, verifier };
}

function renderPage(ctx: Pick<KoaContextWithOIDC, 'set' | 'body'>, html: string): void {
  ctx.set(PAGE_HEADERS);
  ctx.body = html;
}

function userCodeError(err: unknown): string | undefined {
  if (err === undefined) return undefined;
  switch ((err as Error).name) {
    case 'NoCodeError':
      return 'Enter the code that drg shows.';
    case 'NotFoundError':
      return 'That code is not valid. Check it and try again.';
    case 'ExpiredError':
      return 'That code has expired. Start the login again from drg.';
    case 'AlreadyUsedError':
      return 'That code was already used. Start the login again from drg.';
    case 'AbortedError':
      return 'The login was aborted.';
    default:
      return 'The code could not be checked. Try again.';
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
