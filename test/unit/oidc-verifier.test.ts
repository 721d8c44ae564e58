// The JWT verifier: only access tokens of the expected issuer and audience, signed by its keys, unexpired.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { base64url, exportJWK, exportSPKI, generateKeyPair, importJWK, type JWK, type JWTPayload, SignJWT } from 'jose';
import { loadSigningKeys, publicJwks, type SigningJwk } from '../../src/server-lite/identity/oidc/keys.js';
import {
  IssuerUnavailableError,
  localJwtVerifier,
  remoteJwtVerifier,
  TokenRejectedError,
} from '../../src/server-lite/identity/oidc/verifier.js';
import { type IssuerHarness, logInWithCode, startIssuer, USER } from '../helpers/oidc.js';

let h: IssuerHarness;
let issuerKey: SigningJwk;
before(async () => {
  h = await startIssuer();
  [issuerKey] = await loadSigningKeys(h.db);
});
after(() => h.close());

const now = () => Math.floor(Date.now() / 1000);

function claims(overrides: JWTPayload = {}): JWTPayload {
  return { iss: h.issuer.issuerUrl, aud: 'drogue', sub: USER, iat: now(), exp: now() + 60, ...overrides };
}

async function sign(
  payload: JWTPayload,
  opts: { key?: JWK; alg?: string; kid?: string; typ?: string | null } = {},
): Promise<string> {
  const key = opts.key ?? issuerKey;
  const header: { alg: string; kid?: string; typ?: string } = { alg: opts.alg ?? 'RS256', kid: opts.kid ?? key.kid };
  if (opts.typ !== null) header.typ = opts.typ ?? 'at+jwt';
  return new SignJWT(payload).setProtectedHeader(header).sign(await importJWK(key, header.alg));
}

async function rejected(token: string, reason: RegExp): Promise<void> {
  const err = await h.issuer.verifier.verify(token).then(
    () => assert.fail('expected the token to be rejected'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof TokenRejectedError, String(err));
  assert.match(err.message, reason);
  assert.ok(!err.message.includes(token.split('.')[1]), 'the message must not contain the token');
}

describe('the embedded issuer verifier', () => {
  test('accepts a well-formed token signed with the issuer key (control)', async () => {
    const valid = claims();
    assert.deepEqual(await h.issuer.verifier.verify(await sign(valid)), { user: USER, expiresAt: valid.exp! * 1000 });
  });

  test('rejects a tampered payload and a tampered signature', async () => {
    const [header, , signature] = (await sign(claims())).split('.');
    const otherPayload = base64url.encode(JSON.stringify(claims({ sub: 'admin' })));
    await rejected(`${header}.${otherPayload}.${signature}`, /signature/);
    const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    await rejected(`${header}.${base64url.encode(JSON.stringify(claims()))}.${flipped}`, /signature/);
  });

  test('rejects an expired token, and accepts a real one only until its exp', async () => {
    await rejected(await sign(claims({ iat: now() - 600, exp: now() - 300 })), /expired/);

    const tokens = await logInWithCode(h);
    const at = (seconds: number) =>
      localJwtVerifier({
        issuer: h.issuer.issuerUrl,
        audience: 'drogue',
        jwks: publicJwks([issuerKey]),
        now: () => new Date(Date.now() + seconds * 1000),
      });
    assert.equal((await at(0).verify(tokens.access_token)).user, USER);
    await assert.rejects(at(5 * 60 + 10).verify(tokens.access_token), /expired/);
  });

  test('rejects another issuer, another audience, a missing sub or exp', async () => {
    await rejected(await sign(claims({ iss: 'http://127.0.0.1:1/oidc' })), /"iss"/);
    await rejected(await sign(claims({ aud: 'account' })), /"aud"/);
    await rejected(await sign(claims({ sub: undefined })), /"sub"/);
    await rejected(await sign(claims({ exp: undefined })), /"exp"/);
  });

  test('rejects tokens that are not access tokens (no typ at+jwt), e.g. ID tokens', async () => {
    await rejected(await sign(claims(), { typ: null }), /"typ"/);
    await rejected(await sign(claims(), { typ: 'JWT' }), /"typ"/);
  });

  test('rejects alg none', async () => {
    const encode = (value: object) => base64url.encode(JSON.stringify(value));
    await rejected(`${encode({ alg: 'none', typ: 'at+jwt' })}.${encode(claims())}.`, /algorithm|not a valid/);
  });

  test('rejects HS256 with the public key as the HMAC secret', async () => {
    const publicKey = await importJWK(publicJwks([issuerKey]).keys[0], 'RS256');
    const pem = await exportSPKI(publicKey as CryptoKey);
    for (const secret of [pem, JSON.stringify(publicJwks([issuerKey]).keys[0])]) {
      const token = await new SignJWT(claims())
        .setProtectedHeader({ alg: 'HS256', kid: issuerKey.kid, typ: 'at+jwt' })
        .sign(new TextEncoder().encode(secret));
      await rejected(token, /algorithm/);
    }
  });

  test('rejects tokens signed by a foreign key, with or without the issuer key id', async () => {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const foreign = { ...(await exportJWK(privateKey)), kid: 'foreign' };
    await rejected(await sign(claims(), { key: foreign }), /not signed by a key of the issuer/);
    await rejected(await sign(claims(), { key: foreign, kid: issuerKey.kid }), /signature/);
  });

  test('rejects what is not a JWT', async () => {
    await rejected('drg_abcdef_secret', /not a valid JWT/);
  });
});

describe('the verifier for an external issuer (--issuer-url)', () => {
  let idp: Server;
  let idpUrl: string;
  let idpKey: JWK;
  let discoveryIssuer: string;

  before(async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    idpKey = { ...(await exportJWK(privateKey)), kid: 'idp-1', alg: 'ES256' };
    const { d: _d, ...publicKey } = idpKey;
    idp = createServer((req, res) => {
      const body =
        req.url === '/realms/drogue/.well-known/openid-configuration'
          ? { issuer: discoveryIssuer, jwks_uri: `${idpUrl}/realms/drogue/certs` }
          : req.url === '/realms/drogue/certs'
            ? { keys: [publicKey] }
            : undefined;
      res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? {}));
    });
    idp.listen(0, '127.0.0.1');
    await once(idp, 'listening');
    idpUrl = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
    discoveryIssuer = `${idpUrl}/realms/drogue`;
  });
  after(() => idp.close());

  const idpToken = (payload: JWTPayload) =>
    sign(
      { iss: `${idpUrl}/realms/drogue`, aud: 'drogue', iat: now(), exp: now() + 60, ...payload },
      {
        key: idpKey,
        alg: 'ES256',
        typ: 'JWT',
      },
    );

  test('takes the user from preferred_username, else sub', async () => {
    const verifier = remoteJwtVerifier({ issuerUrl: `${idpUrl}/realms/drogue`, audience: 'drogue' });
    assert.equal((await verifier.verify(await idpToken({ sub: 'f3a1-uuid', preferred_username: 'bob' }))).user, 'bob');
    assert.equal((await verifier.verify(await idpToken({ sub: 'f3a1-uuid' }))).user, 'f3a1-uuid');
  });

  test('rejects tokens of the embedded issuer, expired ones and other audiences', async () => {
    const verifier = remoteJwtVerifier({ issuerUrl: `${idpUrl}/realms/drogue`, audience: 'drogue' });
    await assert.rejects(verifier.verify(await sign(claims())), TokenRejectedError);
    await assert.rejects(verifier.verify(await idpToken({ sub: 'x', exp: now() - 300 })), /expired/);
    await assert.rejects(verifier.verify(await idpToken({ sub: 'x', aud: 'account' })), /"aud"/);
  });

  test('an unreachable issuer or one whose discovery names another issuer is unavailable, not a bad token', async () => {
    const token = await idpToken({ sub: 'x' });
    const unreachable = remoteJwtVerifier({ issuerUrl: 'http://127.0.0.1:9/realms/drogue', audience: 'drogue' });
    await assert.rejects(unreachable.verify(token), IssuerUnavailableError);

    discoveryIssuer = 'https://evil.example/realms/drogue';
    const mismatched = remoteJwtVerifier({ issuerUrl: `${idpUrl}/realms/drogue`, audience: 'drogue' });
    await assert.rejects(mismatched.verify(token), IssuerUnavailableError);
    // Discovery is retried after a failure.
    discoveryIssuer = `${idpUrl}/realms/drogue`;
    assert.equal((await mismatched.verify(token)).user, 'x');
  });
});
