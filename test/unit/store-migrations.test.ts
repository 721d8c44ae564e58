// The store's migrations: frozen once shipped, safe when several processes open one fresh database at once, and
// an upgrade from every earlier schema version keeps the data usable.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { FirmwareStore } from '../../src/server-lite/firmware/store.js';
import { AccessTokens } from '../../src/server-lite/identity/access-tokens.js';
import { sqliteAdapter } from '../../src/server-lite/identity/oidc/adapter.js';
import { loadCookieKeys } from '../../src/server-lite/identity/oidc/keys.js';
import { canLogIn } from '../../src/server-lite/identity/oidc/passwords.js';
import { Users } from '../../src/server-lite/identity/users.js';
import { Registry } from '../../src/server-lite/registry/registry.js';
import { openStore } from '../../src/server-lite/store/db.js';
import { migrations } from '../../src/server-lite/store/migrations/index.js';
import { listText } from '../helpers/listing.js';
import { tempDir } from '../helpers/serve.js';
import { nextLine, storeProcess } from '../helpers/store-process.js';

const newDir = () => tempDir('drg-store-');

/** SHA-256 of each shipped migration's SQL. A new migration is pinned here when it ships; none is ever edited. */
const SHIPPED: Record<number, string> = {
  1: '09a7ea95b06316257243af8e639785308fde5ed6176c149fa48ae7bbbcc8e51c',
  2: '6e474a5c6ed9fe5eb72e3d920309d6a066158d1cb215aece79ec14599f41abed',
  3: 'e9a07d8f8bb92dd70d66f111eb16cc4c0e7bc463eda5bd2162389eb160b5c275',
  4: '59bb3de7f5d448e25a9d1df3b89a3ab76a73d3368b4ad65f6d292a594b8190de',
};

test('shipped migrations are numbered 1, 2, 3, … and none has been edited', () => {
  assert.deepEqual(
    migrations.map((m) => m.version),
    migrations.map((_, i) => i + 1),
  );
  for (const m of migrations) {
    const hash = createHash('sha256').update(m.sql).digest('hex');
    assert.equal(hash, SHIPPED[m.version], `migration ${m.version} (${m.description}) differs from the one shipped`);
  }
});

test('processes opening one fresh data directory at once migrate it once, and all succeed', async () => {
  for (let round = 0; round < 3; round++) {
    const dataDir = join(newDir(), 'data');
    const children = Array.from({ length: 4 }, () => storeProcess('open', dataDir));
    // Each child has loaded its code before any starts: they open the database as close together as can be.
    await Promise.all(children.map(nextLine));
    const results = children.map(async (child) => {
      let stderr = '';
      child.stderr!.on('data', (d) => {
        stderr += d;
      });
      const [code] = await once(child, 'exit');
      return { code, stderr };
    });
    for (const child of children) child.stdin!.write('go\n');
    for (const { code, stderr } of await Promise.all(results)) assert.equal(code, 0, stderr);
    const db = new Database(join(dataDir, 'drg.sqlite'), { readonly: true });
    try {
      assert.equal(db.pragma('user_version', { simple: true }), migrations.at(-1)?.version);
    } finally {
      db.close();
    }
  }
});

// What each earlier drg wrote, in the tables of its schema version.
const ALICE_TOKEN = 'drg_AAAAAA_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const appDoc = {
  metadata: {
    name: 'old',
    uid: '00000000-0000-4000-8000-000000000001',
    creationTimestamp: '2024-01-01T00:00:00.000Z',
    generation: 0,
    resourceVersion: '00000000-0000-4000-8000-000000000002',
    labels: { env: 'prod' },
  },
};
const deviceDoc = {
  metadata: {
    name: 'd1',
    application: 'old',
    uid: '00000000-0000-4000-8000-000000000003',
    creationTimestamp: '2024-01-01T00:00:00.000Z',
    generation: 0,
    resourceVersion: '00000000-0000-4000-8000-000000000004',
    labels: { tier: 'gold' },
  },
  spec: { authentication: { credentials: [{ pass: 'secret' }] } },
};
const ALICE_HASH = '$2b$10$zIybZOZWKEu0QuwZo6VFkeltPHr.lRsQLLJYiCB1H7mGwGnMt2nh2';
const DATA: Record<number, (db: Database.Database) => void> = {
  1: (db) => {
    const insertUser = db.prepare('INSERT INTO users (id, password_hash, created) VALUES (?, ?, ?)');
    insertUser.run('alice', ALICE_HASH, '2024-01-01T00:00:00.000Z');
    insertUser.run('bob', null, '2024-01-01T00:00:00.000Z');
    db.prepare('INSERT INTO access_tokens (prefix, user_id, hash, created, description) VALUES (?, ?, ?, ?, ?)').run(
      ALICE_TOKEN.slice(0, 10),
      'alice',
      sha256(ALICE_TOKEN),
      '2024-01-01T00:00:00.000Z',
      'old token',
    );
    const app = db
      .prepare('INSERT INTO applications (name, owner, doc) VALUES (?, ?, ?)')
      .run('old', 'alice', JSON.stringify(appDoc)).lastInsertRowid;
    db.prepare('INSERT INTO application_labels (app_id, key, value) VALUES (?, ?, ?)').run(app, 'env', 'prod');
    db.prepare('INSERT INTO application_members (app_id, user, role) VALUES (?, ?, ?)').run(app, 'bob', 'reader');
    const device = db
      .prepare('INSERT INTO devices (app_id, name, finalizers, doc) VALUES (?, ?, 0, ?)')
      .run(app, 'd1', JSON.stringify(deviceDoc)).lastInsertRowid;
    db.prepare('INSERT INTO device_labels (device_id, key, value) VALUES (?, ?, ?)').run(device, 'tier', 'gold');
  },
  2: (db) => {
    db.prepare('UPDATE applications SET transfer_to = ? WHERE name = ?').run('bob', 'old');
  },
  3: (db) => {
    db.prepare('INSERT INTO oidc_secrets (purpose, id, value, created) VALUES (?, ?, ?, ?)').run(
      'cookie',
      'oldcooki',
      'oldcookie-key',
      '2024-01-01T00:00:00.000Z',
    );
    db.prepare('INSERT INTO oidc_models (model, id, payload, grant_id, expires_at) VALUES (?, ?, ?, ?, NULL)').run(
      'Grant',
      'g1',
      JSON.stringify({ accountId: 'alice', clientId: 'drogue' }),
      'g1',
    );
  },
  4: (db) => {
    db.prepare(
      `INSERT INTO firmware_images (app_id, name, version, size, sha256, created)
       SELECT id, 'fw', '1.0', 5, ?, '2024-01-01T00:00:00.000Z' FROM applications WHERE name = 'old'`,
    ).run('0'.repeat(64));
  },
};

/** A data directory as the drg of schema `version` left it, with that drg's data in it. */
function writtenBy(version: number): string {
  const dataDir = newDir();
  const db = new Database(join(dataDir, 'drg.sqlite'));
  for (const m of migrations.filter((m) => m.version <= version)) {
    db.exec(m.sql);
    DATA[m.version](db);
  }
  db.pragma(`user_version = ${version}`);
  db.close();
  return dataDir;
}

for (const from of migrations.map((m) => m.version).slice(0, -1)) {
  test(`a data directory of schema ${from} is upgraded with its data intact and usable`, async () => {
    const db = openStore(writtenBy(from));
    try {
      assert.equal(db.pragma('user_version', { simple: true }), migrations.at(-1)?.version);
      const users = new Users(db);
      const registry = new Registry(db, { userExists: (user) => users.exists(user) });
      const alice = { user: 'alice' };
      const bob = { user: 'bob' };

      assert.equal(new AccessTokens(db).ownerOf(ALICE_TOKEN), 'alice');
      assert.ok(users.exists('bob'));
      assert.equal(canLogIn(db, 'alice'), true);
      assert.equal(canLogIn(db, 'bob'), false);
      assert.deepEqual(JSON.parse(registry.applications.get(alice, 'old')), appDoc);
      assert.deepEqual(JSON.parse(listText(registry.applications.list(bob, { labels: 'env=prod' }))), [appDoc]);
      assert.deepEqual(JSON.parse(listText(registry.devices.list(alice, 'old', { labels: 'tier in (gold)' }))), [
        deviceDoc,
      ]);
      assert.deepEqual(registry.members.get(alice, 'old').members, { bob: { role: 'reader' } });

      // writes work as on a new store
      registry.devices.create(alice, 'old', { metadata: { name: 'd2', labels: { tier: 'silver' } } });
      assert.equal(
        JSON.parse(listText(registry.devices.list(alice, 'old', { labels: 'tier notin (gold)' }))).length,
        1,
      );
      registry.applications.update(alice, 'old', { metadata: { name: 'old', labels: { env: 'dev' } } });
      assert.deepEqual(
        JSON.parse(listText(registry.applications.list(alice, { labels: 'env=dev' })))[0].metadata.uid,
        appDoc.metadata.uid,
      );

      if (from >= 2) {
        assert.equal(registry.transfers.get(alice, 'old'), 'bob');
        registry.transfers.accept(bob, 'old');
        assert.equal(JSON.parse(registry.applications.get(bob, 'old')).metadata.name, 'old');
      } else {
        assert.equal(registry.transfers.get(alice, 'old'), undefined);
      }
      if (from >= 3) {
        assert.deepEqual(loadCookieKeys(db), ['oldcookie-key']);
        assert.deepEqual(await sqliteAdapter(db)('Grant').find('g1'), { accountId: 'alice', clientId: 'drogue' });
      } else {
        assert.equal(loadCookieKeys(db).length, 1);
        assert.equal(await sqliteAdapter(db)('Grant').find('g1'), undefined);
      }
      const firmware = new FirmwareStore(db, registry, newDir(), 1024);
      assert.equal(firmware.info('old', 'fw')?.version, from >= 4 ? '1.0' : undefined);
    } finally {
      db.close();
    }
  });
}
