// Debian's docker-registry (distribution 2.8, a registry nobody here wrote) on an ephemeral loopback port, with its
// storage in a temp dir; optionally with htpasswd (bcrypt) Basic authentication, or with Bearer tokens from a small
// token service of the test's (the registry verifies the JWTs it signs against its certificate). And a recording
// front, to count what reaches the registry.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { importPKCS8, SignJWT } from 'jose';
import { OciError } from '../../src/firmware/oci/index.js';
import { opensslCa } from './certs.js';
import { tempDir } from './serve.js';

const BINARY = '/usr/bin/docker-registry';

/** Why the registry cannot run here (for `{ skip }`), or undefined. */
export const dockerRegistryMissing: string | undefined = existsSync(BINARY)
  ? undefined
  : `${BINARY} is not installed (apt-get install -y docker-registry): the OCI registry tests are skipped`;

export interface DockerRegistry {
  /** `127.0.0.1:PORT`: the registry part of image references. */
  host: string;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  port: number;
  stop: () => Promise<void>;
}

export interface RegistryOptions {
  /** Basic authentication for these users (name → password). */
  users?: Record<string, string>;
  /** Bearer tokens from this token service. */
  tokens?: TokenService;
}

const LISTENING = /listening on 127\.0\.0\.1:(\d+)/;

export async function startDockerRegistry(options: RegistryOptions = {}): Promise<DockerRegistry> {
  if (dockerRegistryMissing) throw new Error(dockerRegistryMissing);
  const dir = tempDir('drg-registry-');
  let auth: unknown;
  if (options.users) {
    const lines = Object.entries(options.users).map(([user, password]) => `${user}:${bcrypt.hashSync(password, 4)}`);
    writeFileSync(join(dir, 'htpasswd'), `${lines.join('\n')}\n`);
    auth = { htpasswd: { realm: 'drg-test', path: join(dir, 'htpasswd') } };
  } else if (options.tokens) {
    const { realm, service, issuer, certificate } = options.tokens;
    writeFileSync(join(dir, 'token-ca.pem'), certificate);
    auth = { token: { realm, service, issuer, rootcertbundle: join(dir, 'token-ca.pem') } };
  }
  // JSON is YAML: the registry's config file.
  const config = {
    version: '0.1',
    log: { level: 'info', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: join(dir, 'storage') }, delete: { enabled: true } },
    http: { addr: '127.0.0.1:0', secret: randomBytes(16).toString('hex') },
    ...(auth ? { auth } : {}),
  };
  writeFileSync(join(dir, 'config.yml'), JSON.stringify(config));
  // Without this process's environment: REGISTRY_* variables would override the config.
  const child: ChildProcess = spawn(BINARY, ['serve', join(dir, 'config.yml')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let log = '';
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      log += chunk;
      const match = LISTENING.exec(log);
      if (match) resolve(Number(match[1]));
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    exited.then(() => reject(new Error(`docker-registry exited before it listened:\n${log}`)));
  });
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    port,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TokenService {
  realm: string;
  service: string;
  issuer: string;
  /** The PEM certificate the registry trusts for the tokens. */
  certificate: string;
  /** The scopes of each token request, and who asked (undefined: anonymous). */
  requests: { scopes: string[]; user?: string }[];
  stop: () => Promise<void>;
}

export interface TokenServiceOptions {
  users: Record<string, string>;
  /** `expires_in` of the answers (the JWTs themselves are valid for 5 minutes). */
  expiresIn?: number;
  /** `issued_at` of the answers (default now). */
  issuedAt?: () => Date;
}

/**
 * distribution's token service, for tests: users with their password get what they ask for, anonymous requests
 * pull access only, a wrong password a 401. Tokens are ES256 JWTs with the certificate in `x5c`.
 */
export async function startTokenService(options: TokenServiceOptions): Promise<TokenService> {
  const dir = tempDir('drg-token-');
  const { pem, key } = opensslCa(dir, 'token', [['CN', 'drg test token issuer']], 2);
  const signingKey = await importPKCS8(key, 'ES256');
  const x5c = [pem.replace(/-----[^-]+-----|\s/g, '')];
  const service = 'drg-test-registry';
  const issuer = 'drg-test-token-issuer';
  const requests: TokenService['requests'] = [];
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://token');
    const scopes = url.searchParams.getAll('scope');
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    const [user, password] = basic ? Buffer.from(basic[1], 'base64').toString().split(/:(.*)/s) : [];
    requests.push({ scopes, user });
    if (user !== undefined && options.users[user] !== password) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"wrong credentials"}');
      return;
    }
    const access = scopes.map((scope) => {
      const [type, name, actions] = scope.split(':');
      const wanted = actions.split(',');
      return { type, name, actions: user === undefined ? wanted.filter((a) => a === 'pull') : wanted };
    });
    const token = await new SignJWT({ access })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c })
      .setIssuer(issuer)
      .setAudience(service)
      .setSubject(user ?? '')
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime('5m')
      .setJti(randomBytes(8).toString('hex'))
      .sign(signingKey);
    const issuedAt = (options.issuedAt?.() ?? new Date()).toISOString();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token, expires_in: options.expiresIn ?? 300, issued_at: issuedAt }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certificate: pem,
    requests,
    stop: () => closeServer(server).then(() => rmSync(dir, { recursive: true, force: true })),
  };
}

export interface RecordingFront {
  /** `127.0.0.1:PORT`. */
  host: string;
  /** `METHOD /path` of every request, in the order they arrived. */
  requests: string[];
  stop: () => Promise<void>;
}

/** A front that passes every request on to `target` (`host:port`) and records it as it arrives. */
export async function recordingFront(target: string): Promise<RecordingFront> {
  const [hostname, port] = target.split(':');
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const forward = httpRequest(
      { hostname, port: Number(port), method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: frontPort } = server.address() as AddressInfo;
  return { host: `127.0.0.1:${frontPort}`, requests, stop: () => closeServer(server) };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** `sha256:<hex>` of `data`, as registries name blobs. */
export function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** The OciError `promise` rejects with. */
export async function ociError(promise: Promise<unknown>): Promise<OciError> {
  const err = await promise.then(
    () => assert.fail('expected an OciError'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof OciError, `expected an OciError, got ${err}`);
  return err;
}
