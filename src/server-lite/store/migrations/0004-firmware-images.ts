// Migration 4. Shipped: never edit it (test/unit/store-migrations.test.ts pins its SQL).
import type { Migration } from './migration.js';

export const migration: Migration = {
  version: 4,
  description: 'the local firmware store: images of an application by name and version',
  sql: `
      -- One row per image, immutable once written; its bytes are the file firmware/<sha256> of the data
      -- directory, shared by the images with the same content. The rows go with their application. id orders the
      -- versions of a name by push (newest: the highest).
      CREATE TABLE firmware_images (
        id INTEGER PRIMARY KEY,
        app_id INTEGER NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        version TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        created TEXT NOT NULL,
        UNIQUE (app_id, name, version)
      );
      CREATE INDEX firmware_images_sha256 ON firmware_images(sha256);
`,
};
