// Test-only: more users for an in-process drg serve, each with an access token and a drg config of their own
// logged in with it (through `drg login --access-token`).
import { join } from 'node:path';
import { type LocalServer, runDrg } from './drg.js';
import { type RunResult, tempDir } from './serve.js';

export interface TestUser {
  user: string;
  token: string;
  /** A drg config of their own, logged in to the server with their token. */
  configPath: string;
}

/** Runs drg as `u`, with their config. */
export function asUser(u: TestUser, ...args: string[]): Promise<RunResult> {
  return runDrg(u.configPath, args);
}

/** A new user of `serve` with a drg config logged in as them. */
export async function loginAs(serve: Pick<LocalServer, 'server' | 'url'>, user: string): Promise<TestUser> {
  serve.server.users.ensure(user);
  const { token } = serve.server.accessTokens.create(user, 'test');
  const configPath = join(tempDir(`drg-${user}-`), 'config.yaml');
  const res = await runDrg(configPath, ['login', serve.url, '--access-token', `${user}:${token}`]);
  if (res.code !== 0) throw new Error(`drg login as ${user} failed: ${res.stderr}`);
  return { user, token, configPath };
}
