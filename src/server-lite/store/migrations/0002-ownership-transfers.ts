// Migration 2. Shipped: never edit it (test/unit/store-migrations.test.ts pins its SQL).
import type { Migration } from './migration.js';

export const migration: Migration = {
  version: 2,
  description: 'pending ownership transfers of applications',
  sql: `
      -- The user an application's owner offered it to (PUT .../transfer-ownership), until accepted or cancelled.
      ALTER TABLE applications ADD COLUMN transfer_to TEXT;
`,
};
