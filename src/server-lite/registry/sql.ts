// The SQL the registry's parts share: the tables' statements (prepared once), label rows that mirror the
// documents' labels (selectors run in SQL), cached listing queries read in pieces, and the write transaction that
// publishes its events once committed.
import type { Statement } from 'better-sqlite3';
import { jsonEqual } from '../../model/json.js';
import type { MemberRole } from '../../model/members.js';
import { type ListOptions, MAX_LIST_LIMIT } from '../../model/resource.js';
import { parseSelector, type Selector, SelectorError } from '../../model/selector.js';
import type { Db } from '../store/db.js';
import { badRequest } from './errors.js';
import type { RegistryEvent, RegistryEvents } from './events.js';
import { type LabelsTable, selectorCondition } from './selector-sql.js';

export interface AppRow {
  id: number;
  owner: string;
  deleting: number;
  doc: string;
  /** The user a pending ownership transfer is offered to. */
  transfer_to: string | null;
  /** The caller's member role, if any. */
  role: MemberRole | null;
}

interface DeviceRow {
  id: number;
  deleting: number;
  doc: string;
}

type LabelInsert = Statement<[number | bigint, string, string]>;

const APP_LABELS: LabelsTable = { table: 'application_labels', ownerColumn: 'app_id' };
const DEVICE_LABELS: LabelsTable = { table: 'device_labels', ownerColumn: 'device_id' };
const STATEMENT_CACHE_SIZE = 100;
/** About how much of a listing is read at a time: its memory, however long the list. */
const LISTING_PIECE_CHARS = 128 * 1024;

function prepare(db: Db) {
  return {
    app: db.prepare<[string, string], AppRow>(
      `SELECT a.id, a.owner, a.deleting, a.doc, a.transfer_to, m.role FROM applications a
       LEFT JOIN application_members m ON m.app_id = a.id AND m.user = ? WHERE a.name = ?`,
    ),
    insertApp: db.prepare<[string, string, string]>(
      'INSERT INTO applications (name, owner, doc) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING',
    ),
    updateApp: db.prepare<[string, number, number]>('UPDATE applications SET doc = ?, deleting = ? WHERE id = ?'),
    deleteApp: db.prepare<[number]>('DELETE FROM applications WHERE id = ?'),
    appNames: db.prepare<[], string>('SELECT name FROM applications ORDER BY name').pluck(),
    insertAppLabel: db.prepare<[number | bigint, string, string]>(
      'INSERT INTO application_labels (app_id, key, value) VALUES (?, ?, ?)',
    ),
    deleteAppLabels: db.prepare<[number]>('DELETE FROM application_labels WHERE app_id = ?'),
    members: db.prepare<[number], { user: string; role: MemberRole }>(
      'SELECT user, role FROM application_members WHERE app_id = ? ORDER BY user',
    ),
    insertMember: db.prepare<[number, string, string]>(
      'INSERT INTO application_members (app_id, user, role) VALUES (?, ?, ?)',
    ),
    deleteMembers: db.prepare<[number]>('DELETE FROM application_members WHERE app_id = ?'),
    setTransfer: db.prepare<[string | null, number]>('UPDATE applications SET transfer_to = ? WHERE id = ?'),
    setOwner: db.prepare<[string, number]>('UPDATE applications SET owner = ?, transfer_to = NULL WHERE id = ?'),

    readableDevice: db
      .prepare<[string, string, string, string], string>(
        `SELECT d.doc FROM applications a JOIN devices d ON d.app_id = a.id AND d.name = ?
         WHERE a.name = ? AND (a.owner = ? OR EXISTS
           (SELECT 1 FROM application_members m WHERE m.app_id = a.id AND m.user = ?))`,
      )
      .pluck(),
    device: db.prepare<[number, string], DeviceRow>(
      'SELECT id, deleting, doc FROM devices WHERE app_id = ? AND name = ?',
    ),
    insertDevice: db.prepare<[number, string, number, string]>(
      'INSERT INTO devices (app_id, name, finalizers, doc) VALUES (?, ?, ?, ?) ON CONFLICT (app_id, name) DO NOTHING',
    ),
    updateDevice: db.prepare<[string, number, number, number]>(
      'UPDATE devices SET doc = ?, deleting = ?, finalizers = ? WHERE id = ?',
    ),
    deleteDevice: db.prepare<[number]>('DELETE FROM devices WHERE id = ?'),
    deleteDevicesWithoutFinalizers: db
      .prepare<[number], string>('DELETE FROM devices WHERE app_id = ? AND finalizers = 0 RETURNING name')
      .pluck(),
    countDevices: db.prepare<[number], number>('SELECT count(*) FROM devices WHERE app_id = ?').pluck(),
    insertDeviceLabel: db.prepare<[number | bigint, string, string]>(
      'INSERT INTO device_labels (device_id, key, value) VALUES (?, ?, ?)',
    ),
    deleteDeviceLabels: db.prepare<[number]>('DELETE FROM device_labels WHERE device_id = ?'),
  };
}

type Statements = ReturnType<typeof prepare>;

/** The label rows of one kind of resource. */
interface LabelRows {
  table: LabelsTable;
  insert: LabelInsert;
  remove: Statement<[number]>;
}

export class RegistrySql {
  readonly statements: Statements;
  readonly appLabels: LabelRows;
  readonly deviceLabels: LabelRows;
  private readonly listStatements = new Map<string, Statement<unknown[], [string, string]>>();
  private readonly transaction: (fn: () => void) => void;

  constructor(
    private readonly db: Db,
    private readonly events: RegistryEvents,
    private readonly now: () => Date,
  ) {
    const s = prepare(db);
    this.statements = s;
    this.appLabels = { table: APP_LABELS, insert: s.insertAppLabel, remove: s.deleteAppLabels };
    this.deviceLabels = { table: DEVICE_LABELS, insert: s.insertDeviceLabel, remove: s.deleteDeviceLabels };
    const tx = db.transaction((fn: () => void) => fn());
    this.transaction = (fn) => tx.immediate(fn);
  }

  /** Runs `fn` in one immediate transaction; once it is committed, publishes the events `fn` collected. */
  write(fn: (events: RegistryEvent[]) => void): void {
    const events: RegistryEvent[] = [];
    this.transaction(() => fn(events));
    if (events.length > 0) this.events.publish(events);
  }

  timestamp(): string {
    return this.now().toISOString();
  }

  insertLabels(rows: LabelRows, id: number | bigint, labels: Record<string, string>): void {
    for (const [key, value] of Object.entries(labels)) rows.insert.run(id, key, value);
  }

  /** Keeps a resource's label rows equal to its labels after an update. */
  replaceLabels(rows: LabelRows, id: number, before: Record<string, string>, labels: Record<string, string>): void {
    if (jsonEqual(before, labels)) return;
    rows.remove.run(id);
    this.insertLabels(rows, id, labels);
  }

  /**
   * A listing's documents as JSON array text, in pieces of about LISTING_PIECE_CHARS: `query.sql` selects the
   * key and the document of each row up to its WHERE conditions, which the selector's conditions (on the row
   * `query.id`) join; ordered by the unique `query.key`. Each piece is one query that continues after the key the
   * last one ended on, run when the piece is asked for: nothing is held between pieces, and what is written
   * meanwhile is listed, or not, by its key.
   */
  *list(
    listing: Listing,
    rows: LabelRows,
    query: { sql: string; params: unknown[]; id: string; key: string },
  ): Generator<string, void, undefined> {
    const where = selectorCondition(listing.selector, rows.table, query.id);
    const base = `${query.sql} AND ${where.sql}`;
    const order = `ORDER BY ${query.key} LIMIT ?`;
    const first = this.listStatement(`${base} ${order} OFFSET ?`);
    const next = this.listStatement(`${base} AND ${query.key} > ? ${order}`);
    const params = [...query.params, ...where.params];
    yield '[';
    let remaining = listing.limit;
    let after: string | undefined;
    let separator = '';
    while (remaining !== 0) {
      const found =
        after === undefined
          ? first.iterate(...params, remaining, listing.offset)
          : next.iterate(...params, after, remaining);
      let piece = '';
      let count = 0;
      let full = false;
      for (const [key, doc] of found) {
        piece += separator + doc;
        separator = ',';
        count++;
        after = key;
        if (piece.length >= LISTING_PIECE_CHARS) {
          full = true;
          break;
        }
      }
      if (count > 0) yield piece;
      // A piece that is not full ended with the rows: no query for what is not there.
      if (!full) break;
      if (remaining > 0) remaining -= count;
    }
    yield ']';
  }

  /** A cached statement for a listing query, rows as [key, doc] (its text depends on the selector's shape). */
  private listStatement(sql: string): Statement<unknown[], [string, string]> {
    let stmt = this.listStatements.get(sql);
    if (!stmt) {
      if (this.listStatements.size >= STATEMENT_CACHE_SIZE) {
        this.listStatements.delete(this.listStatements.keys().next().value as string);
      }
      stmt = this.db.prepare<unknown[], [string, string]>(sql).raw();
      this.listStatements.set(sql, stmt);
    }
    return stmt;
  }
}

/** A list request's query, checked. */
export interface Listing {
  selector: Selector;
  /** -1: no limit. */
  limit: number;
  offset: number;
}

export function parseListing(opts: ListOptions): Listing {
  let selector: Selector = [];
  if (opts.labels) {
    try {
      selector = parseSelector(opts.labels);
    } catch (err) {
      if (err instanceof SelectorError) throw badRequest(err.message);
      throw err;
    }
  }
  return {
    selector,
    // SQLite: a negative LIMIT means no limit.
    limit: opts.limit === undefined ? -1 : maxLimit(count(opts.limit, 'limit')),
    offset: opts.offset === undefined ? 0 : count(opts.offset, 'offset'),
  };
}

/**
 * A `limit` above the maximum is refused rather than capped: Drogue's API has no way to say that a page was cut
 * short, so a client paging until it gets fewer than it asked for would stop early and miss the rest.
 */
function maxLimit(limit: number): number {
  if (limit > MAX_LIST_LIMIT) {
    throw badRequest(
      `limit must be at most ${MAX_LIST_LIMIT}: page with limit and offset, or leave limit out to get the whole list`,
    );
  }
  return limit;
}

function count(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw badRequest(`${what} must be a non-negative integer`);
  return n;
}
