// Test-only: more users for a running `drg serve`, created directly in its store (SQLite in WAL mode allows a
// second connection), each with an access token and its own drg config logged in with it.
import { join } from 'node:path';
import { AccessTokens } from '../../src/server-lite/identity/access-tokens.js';
import { Users } from '../../src/server-lite/identity/users.js';
import { openStore } from '../../src/server-lite/store/db.js';
import { drg, type RunResult, type ServeHandle, tempDir } from './serve.js';

/** Creates `user` (unless it exists) in the data directory's store; returns a new access token of theirs. */
export function addUser(dataDir: string, user: string): string {
  const db = openStore(dataDir);
  try {
    new Users(db).ensure(user);
    return new AccessTokens(db).create(user, 'test').token;
  } finally {
    db.close();
  }
}

export interface TestUser {
  user: string;
  token: string;
  /** A drg config of their own, logged in to the server with their token. */
  configPath: string;
}

/** Runs drg as `u`, with their config. */
export function asUser(u: TestUser, ...args: string[]): Promise<RunResult> {
  return drg(u.configPath, args);
}

/** A new user of `serve` with a drg config logged in as them (through `drg login --access-token`). */
export async function loginAs(serve: ServeHandle, user: string): Promise<TestUser> {
  const token = addUser(serve.dataDir, user);
  const configPath = join(tempDir(`drg-${user}-`), 'config.yaml');
  const res = await drg(configPath, ['login', serve.url, '--access-token', `${user}:${token}`]);
  if (res.code !== 0) throw new Error(`drg login as ${user} failed: ${res.stderr}`);
  return { user, token, configPath };
}
