// The drg config file as tests read it back: its contexts, and the Basic credentials of an access-token context.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface StoredContext {
  name: string;
  drogue_cloud_url: string;
  registry_url?: string;
  issuer_url?: string;
  auth_url?: string;
  token_url?: string;
  token_exp_date?: string;
  token_keyring?: string;
  default_app?: string;
  token?: {
    access_token?: string;
    refresh_token?: string;
    token_type?: string;
    expires_in?: number;
    scope?: string;
    id?: string;
    token?: string;
  };
}

export interface StoredConfig {
  active_context?: string;
  contexts: StoredContext[];
}

export function readConfigFile(configPath: string): StoredConfig {
  return parse(readFileSync(configPath, 'utf8'));
}

/** The context `name` (`default`: the one `drg login` writes without -c); asserts it is there. */
export function readContext(configPath: string, name = 'default'): StoredContext {
  const context = readConfigFile(configPath).contexts.find((c) => c.name === name);
  assert.ok(context, `context ${name} in ${configPath}`);
  return context;
}

export function activeContextName(configPath: string): string | undefined {
  return readConfigFile(configPath).active_context;
}

/** The active context; asserts there is one. */
export function activeContext(configPath: string): StoredContext {
  const name = activeContextName(configPath);
  assert.ok(name, `an active context in ${configPath}`);
  return readContext(configPath, name);
}

export function basic(user: string, secret: string): string {
  return `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
}

/** The secret of a context holding an access token (`{id, token}`, as drg serve writes it). */
export function accessTokenOf(context: StoredContext): string {
  assert.ok(context.token?.id && context.token.token, `context ${context.name} holds an access token`);
  return context.token.token;
}

/** The `Authorization` of a context holding an access token. */
export function contextAuthorization(context: StoredContext): string {
  const secret = accessTokenOf(context);
  return basic(context.token?.id ?? '', secret);
}
