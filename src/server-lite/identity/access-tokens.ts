// Access tokens (`drg_XXXXXX_<secret>`): random, shown once, stored only as a SHA-256 hash.
// SHA-256 suffices (no slow hash) because the secret carries 256 bits of entropy.
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import type { Db } from '../store/db.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const PREFIX_CHARS = 6;
/** 43 base62 characters carry > 256 bits. */
const SECRET_CHARS = 43;
/** `drg_` + the random part of the prefix. */
const PREFIX_LENGTH = 4 + PREFIX_CHARS;

export interface AccessTokenInfo {
  prefix: string;
  created: string;
  description?: string;
}

export interface NewAccessToken {
  prefix: string;
  token: string;
}

interface TokenRow {
  user_id: string;
  hash: string;
}

function randomBase62(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class AccessTokens {
  private readonly insert;
  private readonly selectByPrefix;
  private readonly selectByUser;
  private readonly deleteOne;

  constructor(
    db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.insert = db.prepare(
      'INSERT OR IGNORE INTO access_tokens (prefix, user_id, hash, created, description) VALUES (?, ?, ?, ?, ?)',
    );
    this.selectByPrefix = db.prepare<[string], TokenRow>('SELECT user_id, hash FROM access_tokens WHERE prefix = ?');
    this.selectByUser = db.prepare<[string], { prefix: string; created: string; description: string | null }>(
      'SELECT prefix, created, description FROM access_tokens WHERE user_id = ? ORDER BY created, prefix',
    );
    this.deleteOne = db.prepare('DELETE FROM access_tokens WHERE user_id = ? AND prefix = ?');
  }

  create(user: string, description?: string): NewAccessToken {
    const created = this.now().toISOString();
    for (;;) {
      const prefix = `drg_${randomBase62(PREFIX_CHARS)}`;
      const token = `${prefix}_${randomBase62(SECRET_CHARS)}`;
      const hash = hashOf(token);
      // A prefix collision (1 in 56 billion per pair) just draws again.
      if (this.insert.run(prefix, user, hash, created, description ?? null).changes === 1) return { prefix, token };
    }
  }

  list(user: string): AccessTokenInfo[] {
    return this.selectByUser
      .all(user)
      .map((r) => (r.description === null ? { prefix: r.prefix, created: r.created } : (r as AccessTokenInfo)));
  }

  /** Deletes one of the user's tokens; false when the user has no token with this prefix. */
  delete(user: string, prefix: string): boolean {
    return this.deleteOne.run(user, prefix).changes === 1;
  }

  /** The owner of a valid token, else undefined. Compares hashes in constant time. */
  ownerOf(token: string): string | undefined {
    if (token.length !== PREFIX_LENGTH + 1 + SECRET_CHARS || token[PREFIX_LENGTH] !== '_') return undefined;
    const row = this.selectByPrefix.get(token.slice(0, PREFIX_LENGTH));
    if (!row) return undefined;
    return timingSafeEqual(Buffer.from(row.hash), Buffer.from(hashOf(token))) ? row.user_id : undefined;
  }
}
