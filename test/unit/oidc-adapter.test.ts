// oidc-provider's SQLite adapter: lookups, expiry, consumption, revocation by grant, persistence.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AdapterPayload } from 'oidc-provider';
import { sqliteAdapter } from '../../src/server-lite/identity/oidc/adapter.js';
import { openStore } from '../../src/server-lite/store/db.js';
import { tempDir } from '../helpers/serve.js';

function setup() {
  const dataDir = join(tempDir('drg-oidc-adapter-'), 'data');
  const db = openStore(dataDir);
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const adapter = sqliteAdapter(db, () => clock);
  return {
    dataDir,
    db,
    adapter,
    advance: (seconds: number) => {
      clock += seconds * 1000;
    },
    rows: () => db.prepare('SELECT count(*) FROM oidc_models').pluck().get() as number,
  };
}

test('upsert and find per model; the same id in another model is another row', async () => {
  const { db, adapter } = setup();
  try {
    await adapter('AccessToken').upsert('id1', { accountId: 'alice', grantId: 'g1' } as AdapterPayload, 60);
    await adapter('RefreshToken').upsert('id1', { accountId: 'bob' } as AdapterPayload, 60);
    assert.equal((await adapter('AccessToken').find('id1'))?.accountId, 'alice');
    assert.equal((await adapter('RefreshToken').find('id1'))?.accountId, 'bob');
    assert.equal(await adapter('Session').find('id1'), undefined);

    await adapter('AccessToken').upsert('id1', { accountId: 'carol' } as AdapterPayload, 60);
    assert.equal((await adapter('AccessToken').find('id1'))?.accountId, 'carol');
  } finally {
    db.close();
  }
});

test('rows expire after expiresIn; rows without it do not', async () => {
  const { db, adapter, advance, rows } = setup();
  try {
    await adapter('AuthorizationCode').upsert('code', { accountId: 'a' } as AdapterPayload, 60);
    await adapter('Client').upsert('static', { accountId: 'a' } as AdapterPayload);
    advance(59);
    assert.ok(await adapter('AuthorizationCode').find('code'));
    advance(1);
    assert.equal(await adapter('AuthorizationCode').find('code'), undefined);
    assert.ok(await adapter('Client').find('static'));

    // Expired rows are deleted by a later write, at most every 10 minutes.
    assert.equal(rows(), 2);
    advance(11 * 60);
    await adapter('Session').upsert('s', { uid: 'u' } as AdapterPayload, 3600);
    assert.equal(rows(), 2);
    assert.equal(await adapter('AuthorizationCode').find('code'), undefined);
  } finally {
    db.close();
  }
});

test('consume marks a row consumed (epoch seconds) without deleting it', async () => {
  const { db, adapter } = setup();
  try {
    const codes = adapter('AuthorizationCode');
    await codes.upsert('code', { accountId: 'a' } as AdapterPayload, 60);
    assert.equal((await codes.find('code'))?.consumed, undefined);
    await codes.consume('code');
    assert.equal((await codes.find('code'))?.consumed, Date.parse('2026-01-01T00:00:00Z') / 1000);
  } finally {
    db.close();
  }
});

test('findByUid finds sessions, findByUserCode device codes, unless expired', async () => {
  const { db, adapter, advance } = setup();
  try {
    await adapter('Session').upsert('sess', { uid: 'uid-1', accountId: 'alice' } as AdapterPayload, 100);
    await adapter('DeviceCode').upsert('dc', { userCode: 'ABCDEFGH', clientId: 'drogue' } as AdapterPayload, 50);
    assert.equal((await adapter('Session').findByUid('uid-1'))?.accountId, 'alice');
    assert.equal((await adapter('DeviceCode').findByUserCode('ABCDEFGH'))?.clientId, 'drogue');
    assert.equal(await adapter('Session').findByUid('uid-2'), undefined);
    advance(60);
    assert.equal(await adapter('DeviceCode').findByUserCode('ABCDEFGH'), undefined);
    assert.ok(await adapter('Session').findByUid('uid-1'));
  } finally {
    db.close();
  }
});

test('revokeByGrantId deletes that model’s rows of the grant only; destroy deletes one row', async () => {
  const { db, adapter } = setup();
  try {
    const tokens = adapter('RefreshToken');
    await tokens.upsert('rt1', { grantId: 'g1' } as AdapterPayload, 60);
    await tokens.upsert('rt2', { grantId: 'g1' } as AdapterPayload, 60);
    await tokens.upsert('rt3', { grantId: 'g2' } as AdapterPayload, 60);
    await adapter('AccessToken').upsert('at1', { grantId: 'g1' } as AdapterPayload, 60);
    await tokens.revokeByGrantId('g1');
    assert.equal(await tokens.find('rt1'), undefined);
    assert.equal(await tokens.find('rt2'), undefined);
    assert.ok(await tokens.find('rt3'));
    assert.ok(await adapter('AccessToken').find('at1'));

    await tokens.destroy('rt3');
    assert.equal(await tokens.find('rt3'), undefined);
  } finally {
    db.close();
  }
});

test('rows survive closing and reopening the store', async () => {
  const { dataDir, db, adapter } = setup();
  await adapter('Grant').upsert('g1', { accountId: 'alice', clientId: 'drogue' } as AdapterPayload, 3600);
  db.close();
  const reopened = openStore(dataDir);
  try {
    const payload = await sqliteAdapter(reopened, () => Date.parse('2026-01-01T00:30:00Z'))('Grant').find('g1');
    assert.deepEqual(payload, { accountId: 'alice', clientId: 'drogue' });
  } finally {
    reopened.close();
  }
});
