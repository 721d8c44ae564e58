// The OpenID Provider inside a real `drg serve`: discovery, logins through the HTML form (code + PKCE, with
// openid-client), JWTs on the API (Bearer and ?token=), forged tokens, users, revocation, restarts, and
// `--issuer-url` pointing at a second drg serve.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import bcrypt from 'bcryptjs';
import Database from 'better-sqlite3';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import * as client from 'openid-client';
import { accessTokenOf, activeContext } from '../helpers/config.js';
import { assertLoginRefused, drogueClient, issuerAt, logInWithCode } from '../helpers/oidc.js';
import { ADMIN_PASSWORD_LINE, drg, type ServeHandle, startServe, tempDir } from '../helpers/serve.js';

const WHOAMI = '/api/admin/v1alpha1/user/whoami';
const APPS = '/api/registry/v1alpha1/apps';
const BOB = { user: 'bob', password: 'bob pass: with colon' };
const CAROL = { user: 'carol', password: 'carol from the users file' };
const TOKEN_TTL = 120;

type Tokens = client.TokenEndpointResponse;

interface Call {
  bearer?: string;
  /** The token as `?token=` instead of a header. */
  query?: string;
  basic?: string;
  method?: string;
  body?: unknown;
}

async function call(base: string, path: string, c: Call = {}): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = {};
  if (c.bearer) headers.authorization = `Bearer ${c.bearer}`;
  if (c.basic) headers.authorization = `Basic ${Buffer.from(c.basic).toString('base64')}`;
  if (c.body !== undefined) headers['content-type'] = 'application/json';
  const url = c.query ? `${base}${path}?token=${encodeURIComponent(c.query)}` : `${base}${path}`;
  const res = await fetch(url, {
    method: c.method ?? 'GET',
    headers,
    body: c.body === undefined ? undefined : JSON.stringify(c.body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** What discovery says of the API and its issuer (the data plane's endpoints have tests of their own). */
async function endpoints(serve: ServeHandle): Promise<Record<string, unknown>> {
  const { api, issuer_url, registry } = (await call(serve.url, '/.well-known/drogue-endpoints')).body as Record<
    string,
    unknown
  >;
  return { api, issuer_url, registry };
}

/** `user:token` of the access token drg serve wrote into its context. */
function contextCredentials(serve: ServeHandle): string {
  const context = activeContext(serve.configPath);
  return `${context.token?.id}:${accessTokenOf(context)}`;
}

/** The server's logs without the one line that shows admin's generated password; asserts it occurs `times`. */
function logsWithoutPasswordLine(serve: ServeHandle, times: number): string {
  const lines = serve.logs().split('\n');
  const kept = lines.filter((line) => !ADMIN_PASSWORD_LINE.test(line));
  assert.equal(lines.length - kept.length, times, 'admin password lines');
  return kept.join('\n');
}

function assertNoSecrets(logs: string, secrets: readonly string[]): void {
  for (const secret of secrets) {
    assert.ok(secret.length >= 8);
    assert.ok(!logs.includes(secret), `the logs contain a secret (${secret.slice(0, 6)}…)`);
  }
}

function b64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** The private signing key drg serve keeps in its data directory. */
function signingKeyOf(dataDir: string): JWK & { kid: string } {
  const db = new Database(join(dataDir, 'drg.sqlite'), { readonly: true });
  try {
    const value = db.prepare("SELECT value FROM oidc_secrets WHERE purpose = 'signing'").pluck().get() as string;
    return JSON.parse(value);
  } finally {
    db.close();
  }
}

async function signAccessToken(jwk: JWK, kid: string, claims: Record<string, unknown>): Promise<string> {
  const key = await importJWK(jwk, 'RS256');
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid }).sign(key);
}

describe('drg serve with its embedded issuer', () => {
  let serve: ServeHandle;
  let issuerUrl: string;
  let admin: Tokens;
  let bob: Tokens;
  const secrets: string[] = [BOB.password, CAROL.password];

  before(async () => {
    const usersFile = join(tempDir('drg-users-'), 'htpasswd');
    writeFileSync(usersFile, `# htpasswd -nbB\n${CAROL.user}:${bcrypt.hashSync(CAROL.password, 4)}\n`);
    serve = await startServe({
      args: [
        '-v',
        '--token-ttl',
        String(TOKEN_TTL),
        '--user',
        `${BOB.user}:${BOB.password}`,
        '--users-file',
        usersFile,
      ],
    });
    issuerUrl = (await endpoints(serve)).issuer_url as string;
    assert.ok(serve.adminPassword, 'the first start shows a generated admin password');
    secrets.push(serve.adminPassword);
    admin = await logInWithCode(issuerAt(issuerUrl), { user: 'admin', password: serve.adminPassword });
    bob = await logInWithCode(issuerAt(issuerUrl), BOB);
    for (const t of [admin, bob]) secrets.push(t.access_token, t.refresh_token ?? '', t.id_token ?? '');
  });
  after(async () => {
    await serve?.stop();
  });

  test('discovery names the issuer, whose OIDC discovery lists code + PKCE, refresh, device flow, revocation', async () => {
    assert.equal(issuerUrl, `${serve.url}/oidc`);
    assert.deepEqual(await endpoints(serve), { api: serve.url, issuer_url: issuerUrl, registry: { url: serve.url } });
    const res = await fetch(`${issuerUrl}/.well-known/openid-configuration`);
    assert.equal(res.status, 200);
    const meta = await res.json();
    assert.equal(meta.issuer, issuerUrl);
    assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
    for (const grant of ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code']) {
      assert.ok(meta.grant_types_supported.includes(grant), grant);
    }
    for (const endpoint of ['authorization', 'token', 'device_authorization', 'revocation']) {
      assert.ok(meta[`${endpoint}_endpoint`].startsWith(`${issuerUrl}/`), endpoint);
    }
    assert.ok(meta.jwks_uri.startsWith(`${issuerUrl}/`));
    const device = await client.initiateDeviceAuthorization(await drogueClient(issuerUrl), { scope: 'openid' });
    assert.ok(device.verification_uri.startsWith(`${issuerUrl}/`));
  });

  test('a login yields a JWT with the --token-ttl lifetime that the API accepts as Bearer and as ?token=', async () => {
    const claims = decodeJwt(admin.access_token);
    assert.equal(decodeProtectedHeader(admin.access_token).typ, 'at+jwt');
    assert.equal(claims.iss, issuerUrl);
    assert.equal(claims.aud, 'drogue');
    assert.equal(claims.sub, 'admin');
    assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), TOKEN_TTL);
    assert.equal(admin.expires_in, TOKEN_TTL);
    assert.ok(admin.refresh_token);

    assert.deepEqual(await call(serve.url, WHOAMI, { bearer: admin.access_token }), {
      status: 200,
      body: { id: 'admin' },
    });
    assert.deepEqual(await call(serve.url, WHOAMI, { query: admin.access_token }), {
      status: 200,
      body: { id: 'admin' },
    });
    assert.equal((await call(serve.url, APPS, { query: admin.access_token })).status, 200);
    // Access tokens (Basic) keep working beside it.
    assert.deepEqual(await call(serve.url, WHOAMI, { basic: contextCredentials(serve) }), {
      status: 200,
      body: { id: 'admin' },
    });
  });

  test('forged, tampered, wrong-issuer, wrong-audience, expired and alg:none JWTs get 403', async () => {
    const key = signingKeyOf(serve.dataDir);
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: issuerUrl, aud: 'drogue', sub: 'admin', iat: now, exp: now + 60, client_id: 'drogue' };
    // The control: signed with the server's key and right claims, the forge passes, so each 403 below is the check.
    const genuine = await signAccessToken(key, key.kid, claims);
    assert.equal((await call(serve.url, WHOAMI, { bearer: genuine })).status, 200);

    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const foreign = await exportJWK(privateKey);
    const [header, payload, signature] = admin.access_token.split('.');
    const forged: Record<string, string> = {
      'wrong issuer': await signAccessToken(key, key.kid, { ...claims, iss: 'http://127.0.0.1:1/oidc' }),
      'wrong audience': await signAccessToken(key, key.kid, { ...claims, aud: 'someone-else' }),
      expired: await signAccessToken(key, key.kid, { ...claims, iat: now - 600, exp: now - 300 }),
      'foreign key, same kid': await signAccessToken(foreign, key.kid, claims),
      'foreign key': await signAccessToken(foreign, 'foreign', claims),
      tampered: `${header}.${b64url({ ...decodeJwt(admin.access_token), sub: 'bob' })}.${signature}`,
      'alg none': `${b64url({ alg: 'none', typ: 'at+jwt' })}.${payload}.`,
      'ID token': admin.id_token ?? '',
      'refresh token': admin.refresh_token ?? '',
    };
    for (const [what, token] of Object.entries(forged)) {
      for (const c of [{ bearer: token }, { query: token }]) {
        const res = await call(serve.url, WHOAMI, c);
        assert.deepEqual(res, { status: 403, body: { error: 'Forbidden' } }, `${what} ${Object.keys(c)[0]}`);
      }
    }
  });

  test('--user bob logs in and sees none of admin’s applications; members know him', async () => {
    assert.deepEqual(await call(serve.url, WHOAMI, { bearer: bob.access_token }), { status: 200, body: { id: 'bob' } });
    const asAdmin = { bearer: admin.access_token };
    let res = await call(serve.url, APPS, { ...asAdmin, method: 'POST', body: { metadata: { name: 'admins-app' } } });
    assert.equal(res.status, 201);
    res = await call(serve.url, `${APPS}/admins-app/devices`, {
      ...asAdmin,
      method: 'POST',
      body: { metadata: { name: 'd1' } },
    });
    assert.equal(res.status, 201);

    const asBob = { bearer: bob.access_token };
    assert.equal((await call(serve.url, `${APPS}/admins-app`, asBob)).status, 403);
    assert.equal((await call(serve.url, `${APPS}/admins-app/devices`, asBob)).status, 404);
    assert.equal((await call(serve.url, `${APPS}/admins-app/devices/d1`, asBob)).status, 404);
    assert.deepEqual(await call(serve.url, APPS, asBob), { status: 200, body: [] });

    // An OIDC user is a known user: admin can make bob a member, but not a user nobody created.
    const members = `/api/admin/v1alpha1/apps/admins-app/members`;
    res = await call(serve.url, members, {
      ...asAdmin,
      method: 'PUT',
      body: { members: { nobody: { role: 'reader' } } },
    });
    assert.equal(res.status, 400);
    res = await call(serve.url, members, { ...asAdmin, method: 'PUT', body: { members: { bob: { role: 'reader' } } } });
    assert.equal(res.status, 204);
    res = await call(serve.url, APPS, asBob);
    assert.deepEqual(
      (res.body as Array<{ metadata: { name: string } }>).map((a) => a.metadata.name),
      ['admins-app'],
    );
  });

  test('users of --users-file log in with their password', async () => {
    const tokens = await logInWithCode(issuerAt(issuerUrl), CAROL);
    secrets.push(tokens.access_token, tokens.refresh_token ?? '');
    assert.deepEqual(await call(serve.url, WHOAMI, { bearer: tokens.access_token }), {
      status: 200,
      body: { id: 'carol' },
    });
    await assertLoginRefused(issuerUrl, CAROL.user, BOB.password);
  });

  test('refresh rotates the refresh token; a revoked refresh token is refused', async () => {
    const config = await drogueClient(issuerUrl);
    const tokens = await logInWithCode(issuerAt(issuerUrl), BOB);
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token ?? '');
    secrets.push(
      tokens.access_token,
      tokens.refresh_token ?? '',
      refreshed.access_token,
      refreshed.refresh_token ?? '',
    );
    assert.deepEqual(await call(serve.url, WHOAMI, { bearer: refreshed.access_token }), {
      status: 200,
      body: { id: 'bob' },
    });
    await client.tokenRevocation(config, refreshed.refresh_token ?? '');
    await assert.rejects(client.refreshTokenGrant(config, refreshed.refresh_token ?? ''), { error: 'invalid_grant' });
  });

  test('the logs contain no password or token, only the one line showing the generated admin password', async () => {
    // Anonymous, Basic and JWT calls with -v (request lines at debug level) happened above.
    assert.match(serve.logs(), /"path":"\/api\/admin\/v1alpha1\/user\/whoami","status":200/);
    assert.match(serve.logs(), /"path":"\/oidc\/token","status":200/);
    assertNoSecrets(logsWithoutPasswordLine(serve, 1), secrets);
  });

  describe('another drg serve with --issuer-url pointing at this one', () => {
    let relying: ServeHandle;
    before(async () => {
      relying = await startServe({ args: ['--issuer-url', issuerUrl] });
    });
    after(async () => {
      await relying?.stop();
    });

    test('advertises that issuer, serves none itself, and accepts its tokens through its JWKS', async () => {
      assert.deepEqual(await endpoints(relying), {
        api: relying.url,
        issuer_url: issuerUrl,
        registry: { url: relying.url },
      });
      assert.equal(relying.adminPassword, undefined);
      assert.equal((await fetch(`${relying.url}/oidc/.well-known/openid-configuration`)).status, 404);

      const tokens = await logInWithCode(issuerAt(issuerUrl), BOB);
      secrets.push(tokens.access_token, tokens.refresh_token ?? '');
      assert.deepEqual(await call(relying.url, WHOAMI, { bearer: tokens.access_token }), {
        status: 200,
        body: { id: 'bob' },
      });
      assert.deepEqual(await call(relying.url, WHOAMI, { query: tokens.access_token }), {
        status: 200,
        body: { id: 'bob' },
      });

      // bob became a known user with his first token: the local admin can share an application with him.
      const asAdmin = { basic: contextCredentials(relying) };
      let res = await call(relying.url, APPS, { ...asAdmin, method: 'POST', body: { metadata: { name: 'shared' } } });
      assert.equal(res.status, 201);
      res = await call(relying.url, '/api/admin/v1alpha1/apps/shared/members', {
        ...asAdmin,
        method: 'PUT',
        body: { members: { bob: { role: 'reader' } } },
      });
      assert.equal(res.status, 204);
      assert.equal((await call(relying.url, `${APPS}/shared`, { bearer: tokens.access_token })).status, 200);
    });

    test('tokens signed by its own key for the relying server are refused', async () => {
      const { privateKey } = await generateKeyPair('RS256', { extractable: true });
      const now = Math.floor(Date.now() / 1000);
      const token = await signAccessToken(await exportJWK(privateKey), 'foreign', {
        iss: issuerUrl,
        aud: 'drogue',
        sub: 'admin',
        iat: now,
        exp: now + 60,
      });
      assert.deepEqual(await call(relying.url, WHOAMI, { bearer: token }), {
        status: 403,
        body: { error: 'Forbidden' },
      });
      assertNoSecrets(logsWithoutPasswordLine(relying, 0), secrets);
    });
  });
});

test('with an unreachable --issuer-url, JWTs get 503 saying why, while access tokens keep working', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as { port: number };
  await new Promise((resolve) => closed.close(resolve));

  const serve = await startServe({ args: ['--issuer-url', `http://127.0.0.1:${port}/oidc`] });
  try {
    const now = Math.floor(Date.now() / 1000);
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const token = await signAccessToken(await exportJWK(privateKey), 'k', { sub: 'admin', iat: now, exp: now + 60 });
    const res = await call(serve.url, WHOAMI, { bearer: token });
    assert.equal(res.status, 503);
    const body = res.body as { error: string; message: string };
    assert.equal(body.error, 'ServiceUnavailable');
    assert.match(
      body.message,
      /OIDC discovery at http:\/\/127\.0\.0\.1:\d+\/oidc\/\.well-known\/openid-configuration failed/,
    );
    assert.ok(!body.message.includes(token));
    assert.deepEqual(await call(serve.url, WHOAMI, { basic: contextCredentials(serve) }), {
      status: 200,
      body: { id: 'admin' },
    });
  } finally {
    await serve.stop();
  }
});

test('logins survive a restart; the admin password is shown once; --admin-password replaces it', async () => {
  const dataDir = join(tempDir('drg-oidc-restart-'), 'data');
  const first = await startServe({ dataDir });
  const port = Number(new URL(first.url).port);
  const generated = first.adminPassword;
  let tokens: Tokens;
  try {
    assert.ok(generated);
    tokens = await logInWithCode(issuerAt(`${first.url}/oidc`), { user: 'admin', password: generated });
    assertNoSecrets(logsWithoutPasswordLine(first, 1), [tokens.access_token, tokens.refresh_token ?? '']);
  } finally {
    await first.stop();
  }

  const second = await startServe({ dataDir, port });
  try {
    assert.equal(second.adminPassword, undefined);
    logsWithoutPasswordLine(second, 0);
    // The signing key persisted: the access token from before still verifies; the refresh token still works.
    assert.deepEqual(await call(second.url, WHOAMI, { bearer: tokens.access_token }), {
      status: 200,
      body: { id: 'admin' },
    });
    const refreshed = await client.refreshTokenGrant(
      await drogueClient(`${second.url}/oidc`),
      tokens.refresh_token ?? '',
    );
    assert.deepEqual(await call(second.url, WHOAMI, { bearer: refreshed.access_token }), {
      status: 200,
      body: { id: 'admin' },
    });
    await logInWithCode(issuerAt(`${second.url}/oidc`), { user: 'admin', password: generated });
  } finally {
    await second.stop();
  }

  const chosen = 'a chosen admin password';
  const third = await startServe({ dataDir, port, args: ['--admin-password', chosen] });
  try {
    assert.equal(third.adminPassword, undefined);
    const issuer = `${third.url}/oidc`;
    const again = await logInWithCode(issuerAt(issuer), { user: 'admin', password: chosen });
    assert.equal(decodeJwt(again.access_token).sub, 'admin');
    await assertLoginRefused(issuer, 'admin', generated);
    assertNoSecrets(logsWithoutPasswordLine(third, 0), [chosen, generated, again.access_token]);
  } finally {
    await third.stop();
  }
});

test('identity flags are checked before anything starts, each failure one line', async () => {
  const dataDir = join(tempDir('drg-oidc-flags-'), 'data');
  const cases: Array<[string[], RegExp]> = [
    [['--token-ttl', '0'], /^error: --token-ttl must be a positive whole number of seconds, not "0"$/],
    [['--token-ttl', '1.5'], /^error: --token-ttl must be a positive whole number of seconds, not "1\.5"$/],
    [['--user', 'bob'], /^error: --user expects NAME:PASSWORD$/],
    [['--users-file', join(dataDir, 'missing')], /^error: cannot read the users file .*missing: no such file$/],
    [['--issuer-url', 'ftp://example.com'], /^error: --issuer-url must be the http\(s\) URL of an OpenID Provider/],
    [
      ['--issuer-url', 'https://bob:secret-pw@example.com', '--user', 'bob:pw'],
      /^error: --issuer-url must be the http\(s\) URL of an OpenID Provider, without a user name or password$/,
    ],
    [
      ['--issuer-url', 'https://example.com', '--user', 'bob:secret-pw', '--token-ttl', '60'],
      /^error: --issuer-url replaces the built-in OIDC issuer, which --token-ttl, --user configure/,
    ],
  ];
  for (const [args, message] of cases) {
    const res = await drg(join(dataDir, 'config.yaml'), ['serve', '--port', '0', '--data-dir', dataDir, ...args]);
    assert.equal(res.code, 2, args.join(' '));
    assert.match(res.stderr.trim(), message);
    assert.equal(res.stderr.trim().split('\n').length, 1, res.stderr);
    assert.ok(!res.stderr.includes('secret-pw'));
  }
  assert.ok(!existsSync(dataDir), 'nothing was created');
});
