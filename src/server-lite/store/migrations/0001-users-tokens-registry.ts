// Migration 1. Shipped: never edit it (test/unit/store-migrations.test.ts pins its SQL).
import type { Migration } from './migration.js';

export const migration: Migration = {
  version: 1,
  description: 'users, access tokens, applications (members, labels), devices (labels)',
  sql: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        password_hash TEXT,
        created TEXT NOT NULL
      );
      CREATE TABLE access_tokens (
        prefix TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        hash TEXT NOT NULL,
        created TEXT NOT NULL,
        description TEXT
      );
      CREATE INDEX access_tokens_user ON access_tokens(user_id);

      -- Registry. doc is the resource's JSON text as served; labels are mirrored into *_labels so that
      -- selectors run in SQL; deleting/finalizers mirror metadata the write paths query.
      CREATE TABLE applications (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        owner TEXT NOT NULL,
        deleting INTEGER NOT NULL DEFAULT 0,
        doc TEXT NOT NULL
      );
      CREATE TABLE application_members (
        app_id INTEGER NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
        user TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('reader', 'manager', 'admin')),
        PRIMARY KEY (app_id, user)
      ) WITHOUT ROWID;
      CREATE TABLE application_labels (
        app_id INTEGER NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (app_id, key)
      ) WITHOUT ROWID;
      CREATE TABLE devices (
        id INTEGER PRIMARY KEY,
        app_id INTEGER NOT NULL REFERENCES applications(id),
        name TEXT NOT NULL,
        deleting INTEGER NOT NULL DEFAULT 0,
        finalizers INTEGER NOT NULL DEFAULT 0,
        doc TEXT NOT NULL,
        UNIQUE (app_id, name)
      );
      CREATE TABLE device_labels (
        device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (device_id, key)
      ) WITHOUT ROWID;
`,
};
