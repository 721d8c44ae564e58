// The drg config file (drg 0.11 format): location, loading, and locked atomic updates.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigError } from '../errors.js';

export interface OAuthToken {
  access_token: string;
  token_type?: string;
  expires_in?: number;
  refresh_token?: string;
  scope?: string;
  [key: string]: unknown;
}

export interface AccessTokenCredentials {
  id: string;
  token: string;
}

/** The context `drg login` writes when no `-c NAME` is given (drg 0.11's). */
export const DEFAULT_LOGIN_CONTEXT = 'default';

export interface Context {
  name: string;
  drogue_cloud_url: string;
  default_app?: string;
  auth_url?: string;
  token_url?: string;
  registry_url?: string;
  token_exp_date?: string;
  token?: OAuthToken | AccessTokenCredentials;
  /** The OpenID issuer of an OAuth context (not in drg 0.11 configs). */
  issuer_url?: string;
  /** The OS keyring entry holding the OAuth refresh token, when it is not in `token` (see src/auth/token-store.ts). */
  token_keyring?: string;
  [key: string]: unknown;
}

export interface Config {
  active_context?: string;
  contexts: Context[];
  [key: string]: unknown;
}

/** `--config FILE`, else `$DRGCFG`, else `$XDG_CONFIG_HOME/drg_config.yaml` (default `~/.config`). */
export function configPath(explicit: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  if (explicit) return explicit;
  if (env.DRGCFG) return env.DRGCFG;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'drg_config.yaml');
}

export function isAccessTokenCredentials(token: Context['token']): token is AccessTokenCredentials {
  return !!token && typeof (token as AccessTokenCredentials).id === 'string' && 'token' in token;
}

/** Loads the config; a missing file is an empty config. */
export async function loadConfig(path: string): Promise<Config> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { contexts: [] };
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  return parseConfig(text, path);
}

/**
 * The config is read by every command, so it uses js-yaml, which loads in about half the time of `yaml` (kept for
 * the documents users edit and apply, where its source positions make errors point at lines).
 */
export async function parseConfig(text: string, path: string): Promise<Config> {
  const { load, CORE_SCHEMA } = await import('js-yaml');
  let doc: unknown;
  try {
    // YAML 1.2 core schema: timestamps such as token_exp_date stay strings.
    doc = load(text, { schema: CORE_SCHEMA });
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return { contexts: [] };
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`config file ${path} is not a YAML mapping`);
  const cfg = doc as Config;
  if (cfg.contexts === undefined || cfg.contexts === null) cfg.contexts = [];
  if (!Array.isArray(cfg.contexts)) throw new ConfigError(`config file ${path}: "contexts" must be a list`);
  return cfg;
}

/**
 * Read-modify-write of the config under an exclusive lock, written atomically (temp file + rename)
 * with mode 0600, so concurrent drg processes never lose or corrupt each other's changes.
 */
export async function updateConfig<T>(path: string, mutate: (cfg: Config) => T | Promise<T>): Promise<T> {
  // Only writes need node:fs/promises: a command that reads the config does not load it.
  const { mkdir } = await import('node:fs/promises');
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // CommonJS: in the esbuild bundle its exports sit on `default` only.
  const { default: lockfile } = await import('proper-lockfile');
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(path, {
      realpath: false,
      lockfilePath: `${path}.lock`,
      stale: 10_000,
      retries: { retries: 200, factor: 1.2, minTimeout: 5, maxTimeout: 100 },
    });
  } catch (err) {
    throw new ConfigError(`cannot lock config file ${path}: ${(err as Error).message}`);
  }
  try {
    const cfg = await loadConfig(path);
    const result = await mutate(cfg);
    await writeConfigAtomically(path, cfg);
    return result;
  } finally {
    await release();
  }
}

async function writeConfigAtomically(path: string, cfg: Config): Promise<void> {
  const { dump, CORE_SCHEMA } = await import('js-yaml');
  const { randomBytes } = await import('node:crypto');
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const { chmod, open, rename, unlink } = await import('node:fs/promises');
  const handle = await open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(dump(cfg, { schema: CORE_SCHEMA, lineWidth: -1, noRefs: true }), 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await chmod(tmp, 0o600);
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw new ConfigError(`cannot write config file ${path}: ${(err as Error).message}`);
  }
}

/** Inserts or replaces the context with the same name. */
export function upsertContext(cfg: Config, ctx: Context): void {
  const i = cfg.contexts.findIndex((c) => c.name === ctx.name);
  if (i >= 0) cfg.contexts[i] = ctx;
  else cfg.contexts.push(ctx);
}
