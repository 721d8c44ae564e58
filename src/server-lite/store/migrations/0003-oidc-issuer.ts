// Migration 3. Shipped: never edit it (test/unit/store-migrations.test.ts pins its SQL).
// Users live in the `users` table of migration 1 (password_hash).
import type { Migration } from './migration.js';

export const migration: Migration = {
  version: 3,
  description: 'the embedded OIDC issuer: its persisted models (grants, tokens, sessions) and secrets',
  sql: `
  -- Everything oidc-provider persists (sessions, grants, codes, refresh tokens, device codes, ...):
  -- one row per model instance; payload is its JSON. grant_id, user_code and uid are the lookup keys
  -- the provider asks for; expires_at (epoch ms) is NULL for rows without a lifetime.
  CREATE TABLE oidc_models (
    model TEXT NOT NULL,
    id TEXT NOT NULL,
    payload TEXT NOT NULL,
    grant_id TEXT,
    user_code TEXT,
    uid TEXT,
    consumed_at INTEGER,
    expires_at INTEGER,
    PRIMARY KEY (model, id)
  );
  CREATE INDEX oidc_models_grant ON oidc_models(model, grant_id) WHERE grant_id IS NOT NULL;
  CREATE INDEX oidc_models_user_code ON oidc_models(model, user_code) WHERE user_code IS NOT NULL;
  CREATE INDEX oidc_models_uid ON oidc_models(model, uid) WHERE uid IS NOT NULL;
  CREATE INDEX oidc_models_expires ON oidc_models(expires_at) WHERE expires_at IS NOT NULL;

  -- Secrets generated on first start: 'signing' rows hold a private JWK (JSON), 'cookie' rows a cookie key.
  CREATE TABLE oidc_secrets (
    purpose TEXT NOT NULL,
    id TEXT NOT NULL,
    value TEXT NOT NULL,
    created TEXT NOT NULL,
    PRIMARY KEY (purpose, id)
  );
`,
};
