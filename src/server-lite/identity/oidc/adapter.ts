// oidc-provider's storage adapter on SQLite (table oidc_models, migration 3): every model
// (Session, Grant, AuthorizationCode, RefreshToken, DeviceCode, Interaction, ...) persists across restarts.
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';
import type { Db } from '../../store/db.js';

/** Expired rows are deleted at most this often, during a write. */
const PURGE_INTERVAL_MS = 10 * 60 * 1000;

interface Row {
  payload: string;
  consumed_at: number | null;
}

/** The adapter factory for the provider's `adapter` option. `now` (epoch ms) is injectable for tests. */
export function sqliteAdapter(db: Db, now: () => number = Date.now): AdapterFactory {
  const statements = {
    upsert: db.prepare(
      `INSERT INTO oidc_models (model, id, payload, grant_id, user_code, uid, consumed_at, expires_at)
       VALUES (@model, @id, @payload, @grantId, @userCode, @uid, NULL, @expiresAt)
       ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
         user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at`,
    ),
    find: db.prepare<[string, string, number], Row>(
      `SELECT payload, consumed_at FROM oidc_models
       WHERE model = ? AND id = ? AND (expires_at IS NULL OR expires_at > ?)`,
    ),
    findByUid: db.prepare<[string, string, number], Row>(
      `SELECT payload, consumed_at FROM oidc_models
       WHERE model = ? AND uid = ? AND (expires_at IS NULL OR expires_at > ?)`,
    ),
    findByUserCode: db.prepare<[string, string, number], Row>(
      `SELECT payload, consumed_at FROM oidc_models
       WHERE model = ? AND user_code = ? AND (expires_at IS NULL OR expires_at > ?)`,
    ),
    consume: db.prepare('UPDATE oidc_models SET consumed_at = ? WHERE model = ? AND id = ?'),
    destroy: db.prepare('DELETE FROM oidc_models WHERE model = ? AND id = ?'),
    revokeByGrantId: db.prepare('DELETE FROM oidc_models WHERE model = ? AND grant_id = ?'),
    purge: db.prepare('DELETE FROM oidc_models WHERE expires_at <= ?'),
  };
  let lastPurge = 0;

  const toPayload = (row: Row | undefined): AdapterPayload | undefined => {
    if (!row) return undefined;
    const payload = JSON.parse(row.payload) as AdapterPayload;
    return row.consumed_at === null ? payload : { ...payload, consumed: row.consumed_at };
  };

  const purgeExpired = (at: number) => {
    if (at - lastPurge < PURGE_INTERVAL_MS) return;
    lastPurge = at;
    statements.purge.run(at);
  };

  return (model: string): Adapter => ({
    async upsert(id, payload, expiresIn) {
      const at = now();
      purgeExpired(at);
      statements.upsert.run({
        model,
        id,
        payload: JSON.stringify(payload),
        grantId: payload.grantId ?? null,
        userCode: payload.userCode ?? null,
        uid: payload.uid ?? null,
        expiresAt: typeof expiresIn === 'number' ? at + expiresIn * 1000 : null,
      });
    },
    async find(id) {
      return toPayload(statements.find.get(model, id, now()));
    },
    async findByUid(uid) {
      return toPayload(statements.findByUid.get(model, uid, now()));
    },
    async findByUserCode(userCode) {
      return toPayload(statements.findByUserCode.get(model, userCode, now()));
    },
    async consume(id) {
      statements.consume.run(Math.floor(now() / 1000), model, id);
    },
    async destroy(id) {
      statements.destroy.run(model, id);
    },
    async revokeByGrantId(grantId) {
      statements.revokeByGrantId.run(model, grantId);
    },
  });
}
