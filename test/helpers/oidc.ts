// The embedded OIDC issuer on a plain node:http server (ephemeral port, temp data dir), a standard OIDC
// client (openid-client) configured for it, and a minimal browser (cookies, manual redirects, HTML forms).
// The login helpers work against any issuer of the client `drogue`, such as the one of a real drg serve.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Fastify from 'fastify';
import * as client from 'openid-client';
import { issuerRoutes } from '../../src/server-lite/identity/oidc/fastify.js';
import { createIssuer, type EmbeddedIssuer, type IssuerLogger } from '../../src/server-lite/identity/oidc/issuer.js';
import { PasswordPool } from '../../src/server-lite/identity/oidc/password-pool.js';
import { setPassword } from '../../src/server-lite/identity/oidc/passwords.js';
import { type Db, openStore } from '../../src/server-lite/store/db.js';
import { tempDir } from './serve.js';

export const USER = 'alice';
export const PASSWORD = 'correct horse battery';
export const ISSUER_PATH = '/oidc';

/** Something to log in at: openid-client's configuration for the public client `drogue`. */
export interface OidcClientSource {
  oidc: () => Promise<client.Configuration>;
}

/** The client `drogue` of the issuer at `issuerUrl`, through discovery (plain HTTP allowed). */
export function drogueClient(issuerUrl: string): Promise<client.Configuration> {
  return client.discovery(new URL(issuerUrl), 'drogue', undefined, client.None(), {
    execute: [client.allowInsecureRequests],
  });
}

/** The issuer at `issuerUrl` (a drg serve's `URL/oidc`), to log in at. */
export function issuerAt(issuerUrl: string): OidcClientSource {
  return { oidc: () => drogueClient(issuerUrl) };
}

export interface IssuerHarness extends OidcClientSource {
  issuer: EmbeddedIssuer;
  db: Db;
  dataDir: string;
  port: number;
  /** Errors the issuer logged. */
  errors: unknown[];
  close: () => Promise<void>;
}

export interface StartOptions {
  dataDir?: string;
  port?: number;
  accessTokenTtl?: number;
  /** Serve through a fastify app (issuerRoutes) instead of the issuer's own request handler. */
  fastify?: boolean;
}

export async function startIssuer(opts: StartOptions = {}): Promise<IssuerHarness> {
  const dataDir = opts.dataDir ?? join(tempDir('drg-oidc-'), 'data');
  const db = openStore(dataDir);
  const passwords = new PasswordPool();
  if (!opts.dataDir) await setPassword(db, passwords, USER, PASSWORD);

  // The issuer URL contains the port, known only after listen: until the issuer exists, requests get 503.
  let handler: RequestListener | undefined;
  const server = createServer((req, res) => (handler ? handler(req, res) : res.writeHead(503).end()));
  server.listen(opts.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const errors: unknown[] = [];
  const ignore = () => {};
  const logger: IssuerLogger = { error: (obj) => errors.push(obj), warn: ignore, info: ignore, debug: ignore };
  const created = await createIssuer({
    db,
    issuerUrl: `http://127.0.0.1:${port}${ISSUER_PATH}`,
    accessTokenTtl: opts.accessTokenTtl,
    passwords,
    logger,
  });
  let closeApp = async () => {};
  if (opts.fastify) {
    const app = Fastify();
    app.register(issuerRoutes, { issuer: created });
    await app.ready();
    handler = app.routing;
    closeApp = () => app.close();
  } else {
    handler = created.callback;
  }
  const closeServer = async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
    await closeApp();
  };

  return {
    issuer: created,
    db,
    dataDir,
    port,
    errors,
    oidc: () => drogueClient(created.issuerUrl),
    close: async () => {
      await closeServer();
      await passwords.close();
      db.close();
    },
  };
}

/** A user agent: keeps cookies (by path), follows redirects one at a time, reads and submits forms. */
export class Browser {
  private readonly cookies = new Map<string, { value: string; path: string }>();

  async request(url: string | URL, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
    const target = new URL(url);
    const headers: Record<string, string> = { accept: 'text/html' };
    const cookie = this.cookieHeader(target);
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(target, {
      method: init.method ?? (body ? 'POST' : 'GET'),
      headers,
      body,
      redirect: 'manual',
    });
    for (const line of res.headers.getSetCookie()) this.store(line);
    return res;
  }

  /** The `Cookie` header for a request to `url` ('' without cookies). */
  cookieHeader(url: URL): string {
    return [...this.cookies]
      .filter(([, c]) => url.pathname.startsWith(c.path))
      .map(([name, c]) => `${name}=${c.value}`)
      .join('; ');
  }

  private store(line: string): void {
    const [pair, ...attributes] = line.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    const attr = (key: string) =>
      attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1) ?? undefined;
    const expires = attr('expires');
    if (value === '' || attr('max-age') === '0' || (expires && Date.parse(expires) <= Date.now())) {
      this.cookies.delete(name);
    } else {
      this.cookies.set(name, { value, path: attr('path') ?? '/' });
    }
  }

  /**
   * Follows redirects from `url` while they stay on `origin`; returns the last response and, when a
   * redirect leaves the origin (to the client's loopback redirect URI), that location instead.
   */
  async follow(
    url: string | URL,
    origin: string,
    init?: { form?: Record<string, string> },
  ): Promise<{ res: Response; url: URL; leftTo?: URL }> {
    let current = new URL(url);
    let res = await this.request(current, init);
    for (let hops = 0; res.status >= 300 && res.status < 400; hops++) {
      assert.ok(hops < 10, 'too many redirects');
      const location = new URL(res.headers.get('location') ?? '', current);
      if (location.origin !== origin) return { res, url: current, leftTo: location };
      current = location;
      res = await this.request(current);
    }
    return { res, url: current };
  }
}

export interface HtmlForm {
  action: string;
  method: string;
  fields: Record<string, string>;
}

const unescapeHtml = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** The page's forms with their hidden fields' values. */
export function formsOf(html: string, base: URL): HtmlForm[] {
  return [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)].map(([, attrs, inner]) => {
    const attr = (name: string, text: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(text)?.[1];
    const fields: Record<string, string> = {};
    for (const [input] of inner.matchAll(/<input\b[^>]*>/g)) {
      const name = attr('name', input);
      if (name && attr('type', input) === 'hidden') fields[name] = unescapeHtml(attr('value', input) ?? '');
    }
    return {
      action: new URL(unescapeHtml(attr('action', attrs) ?? ''), base).href,
      method: (attr('method', attrs) ?? 'get').toLowerCase(),
      fields,
    };
  });
}

/** A login started as drg starts one (code + PKCE), up to the login form: the browser with its cookies, and the form. */
export async function openLoginForm(issuerUrl: string): Promise<{ browser: Browser; form: HtmlForm }> {
  const config = await drogueClient(issuerUrl);
  const authUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: 'http://127.0.0.1:53682/',
    scope: 'openid offline_access',
    code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
  });
  const browser = new Browser();
  const page = await browser.follow(authUrl, authUrl.origin);
  assert.equal(page.res.status, 200);
  const [form] = formsOf(await page.res.text(), page.url);
  return { browser, form };
}

/** The login form refuses `password`: the page comes back with the error, and no redirect to the client. */
export async function assertLoginRefused(issuerUrl: string, user: string, password: string): Promise<void> {
  const { browser, form } = await openLoginForm(issuerUrl);
  const res = await browser.request(form.action, { form: { ...form.fields, username: user, password } });
  assert.equal(res.status, 200);
  assert.match(await res.text(), /Wrong username or password/);
}

/** Logs in on the login page `page` (already fetched at `url`) and follows where that leads. */
export async function submitLogin(browser: Browser, url: URL, html: string, user: string, password: string) {
  const [form] = formsOf(html, url);
  assert.equal(form.method, 'post');
  assert.match(html, /<label for="username">/);
  assert.match(html, /<label for="password">/);
  return browser.follow(form.action, url.origin, { form: { ...form.fields, username: user, password } });
}

/**
 * The front channel of the authorization code flow with PKCE, as drg does it, through the HTML login form:
 * ends with the redirect to the client's loopback URI carrying `code` and `state`.
 */
export async function authorize(
  h: OidcClientSource,
  opts: { redirectUri?: string; user?: string; password?: string; browser?: Browser } = {},
) {
  const config = await h.oidc();
  const redirectUri = opts.redirectUri ?? 'http://127.0.0.1:53682/';
  const pkceCodeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const authUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid offline_access',
    code_challenge: await client.calculatePKCECodeChallenge(pkceCodeVerifier),
    code_challenge_method: 'S256',
    state,
  });
  const browser = opts.browser ?? new Browser();
  let done = await browser.follow(authUrl, authUrl.origin);
  // A browser with a session skips the login form.
  if (!done.leftTo) {
    assert.equal(done.res.status, 200);
    const html = await done.res.text();
    done = await submitLogin(browser, done.url, html, opts.user ?? USER, opts.password ?? PASSWORD);
  }
  assert.ok(done.leftTo, `expected a redirect to the client, got HTTP ${done.res.status}`);
  return { config, callbackUrl: done.leftTo, pkceCodeVerifier, state, redirectUri };
}

/** The whole authorization code flow; returns the token response. */
export async function logInWithCode(
  h: OidcClientSource,
  opts: { redirectUri?: string; user?: string; password?: string; browser?: Browser } = {},
) {
  const { config, callbackUrl, pkceCodeVerifier, state } = await authorize(h, opts);
  return client.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier, expectedState: state });
}
