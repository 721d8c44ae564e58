// Registry credentials: DRG_REGISTRY_USERNAME and DRG_REGISTRY_PASSWORD (for every registry), else the `auths` of
// docker's config file ($DOCKER_CONFIG/config.json, else ~/.docker/config.json), as `docker login` writes them.
// Credential helpers (`credsStore`, `credHelpers`) are programs drg does not run: use the variables instead.
// And the registries to speak plain http to, besides loopback ones: DRG_INSECURE_REGISTRIES.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { OciError } from './errors.js';

export interface RegistryCredentials {
  username: string;
  password: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Docker Hub's entries go by its old index URL in docker's config. */
const DOCKER_HUB_KEYS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** The credentials source of an OciClient by default, read at each call (a `docker login` counts at once). */
export function registryCredentials(env: Env = process.env): (registry: string) => RegistryCredentials | undefined {
  return (registry) => {
    const username = env.DRG_REGISTRY_USERNAME;
    const password = env.DRG_REGISTRY_PASSWORD;
    if (username && password !== undefined) return { username, password };
    return dockerConfigCredentials(env, registry);
  };
}

/** The registries DRG_INSECURE_REGISTRIES names (comma-separated `host[:port]`): spoken to over plain http. */
export function insecureRegistries(env: Env = process.env): (registry: string) => boolean {
  const names = new Set((env.DRG_INSECURE_REGISTRIES ?? '').split(',').map((name) => name.trim().toLowerCase()));
  return (registry) => names.has(registry.toLowerCase());
}

function dockerConfigCredentials(env: Env, registry: string): RegistryCredentials | undefined {
  const file = join(env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker'), 'config.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let auths: unknown;
  try {
    auths = (JSON.parse(text) as { auths?: unknown })?.auths;
  } catch {
    throw new OciError(`${file} is not valid JSON`, { code: 'unauthorized', hint: 'run docker login again' });
  }
  if (typeof auths !== 'object' || auths === null) return undefined;
  const wanted = DOCKER_HUB_KEYS.has(registry) ? DOCKER_HUB_KEYS : new Set([registry]);
  for (const [key, entry] of Object.entries(auths)) {
    if (!wanted.has(hostOf(key))) continue;
    const credentials = entryCredentials(entry);
    if (credentials) return credentials;
  }
  return undefined;
}

/** `https://host:port/v1/` → `host:port`, as docker compares the keys of `auths`. */
function hostOf(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, '').split('/')[0];
}

function entryCredentials(entry: unknown): RegistryCredentials | undefined {
  const { auth, username, password } = (entry ?? {}) as Record<string, unknown>;
  if (typeof auth === 'string' && auth !== '') {
    const decoded = Buffer.from(auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (typeof username === 'string' && username !== '' && typeof password === 'string') return { username, password };
  return undefined;
}
