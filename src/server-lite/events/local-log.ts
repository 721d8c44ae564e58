// The local event log (docs/ARCHITECTURE.md, "The event log"): appends share one SQLite transaction per tick (group
// commit), the newest events stay in memory for live consumers, retention runs in small batches on a timer, and
// consumers (alone or in groups) read with cursors of their own, so that none of them can stall the others.
import type { CloudEvent } from '../../model/cloudevents.js';
import {
  type Consumer,
  type ConsumerOptions,
  type EventBus,
  type EventLogStats,
  EventLogUnavailableError,
  type GroupStats,
  type StartAt,
} from './log.js';
import { EventStore, type GroupPosition, WriteLock } from './store.js';
import { StoredEvent, Tail } from './tail.js';
import { type Committed, EventWriter } from './writer.js';

export interface EventLogOptions {
  /** Events older than this go (default 24 h). */
  retentionAgeMs?: number;
  /** The oldest events go while the log holds more bytes of JSON than this (default 1 GiB). */
  retentionBytes?: number;
  /** ms since the epoch; for tests. */
  clock?: () => number;
  /** Events accepted and waiting for their commit; beyond it, append rejects (default 50,000: ~50 MB). */
  maxPending?: number;
  /**
   * Events per transaction (default 2,000), and characters of their JSON (default 16 Mi, far below V8's longest
   * string: the texts of a transaction are joined into one).
   */
  maxBatch?: number;
  maxBatchChars?: number;
  /** The in-memory tail (defaults: 16,384 events, 32 MiB of JSON). */
  tailEvents?: number;
  tailBytes?: number;
  /** A consumer without a group this many events of its app behind is dropped (default 10,000). */
  maxLag?: number;
  /** A group member holding an event unacknowledged this long is dropped (default 30 s). */
  ackTimeoutMs?: number;
  /** How often the groups' positions are written (default 200 ms). */
  commitIntervalMs?: number;
  /** How often retention runs (default 1 s), and how many events one of its transactions removes at most (1,000). */
  retentionIntervalMs?: number;
  retentionBatch?: number;
  /** Events read from SQLite at once by a consumer that is behind (default 256). */
  pageSize?: number;
}

const DEFAULTS = {
  retentionAgeMs: 24 * 3_600_000,
  retentionBytes: 2 ** 30,
  clock: Date.now,
  maxPending: 50_000,
  maxBatch: 2_000,
  maxBatchChars: 16 * 2 ** 20,
  tailEvents: 16_384,
  tailBytes: 32 * 2 ** 20,
  maxLag: 10_000,
  ackTimeoutMs: 30_000,
  commitIntervalMs: 200,
  retentionIntervalMs: 1_000,
  retentionBatch: 1_000,
  pageSize: 256,
} satisfies Required<EventLogOptions>;

/** An event serialized, and the event itself, which goes on to consumers unparsed. */
interface PendingRow {
  app: string;
  json: string;
  event: CloudEvent;
}

interface PendingAppend {
  rows: PendingRow[];
  resolve(): void;
  reject(err: Error): void;
}

/** What a reader did with an event offered to it. */
enum Offer {
  /** Delivered to a consumer. */
  Taken,
  /** Nobody wants it (filtered out, or not of the app): done with. */
  Skipped,
  /** Wanted, but no consumer has room: offer it again later. */
  Blocked,
}

export class LocalEventLog implements EventBus {
  readonly options: Required<EventLogOptions>;
  /** Reads, retention and the groups' positions; appends go through the writer's thread. */
  private readonly store: EventStore;
  private readonly writer: EventWriter;
  private readonly tail: Tail;
  private queue: PendingAppend[] = [];
  private pendingEvents = 0;
  private flushScheduled = false;
  private closed = false;
  /** Readers by app: the consumers without a group, and the groups with members. */
  private readonly readers = new Map<string, Set<Reader>>();
  private readonly groups = new Map<string, GroupReader>();
  private readonly timers: NodeJS.Timeout[];
  private expiring = false;
  private readonly counts = { appended: 0, commits: 0, rejected: 0, expired: 0, droppedConsumers: 0, consumers: 0 };

  constructor(dataDir: string, options: EventLogOptions = {}) {
    this.options = { ...DEFAULTS, ...withoutUndefined(options) };
    const lock = new WriteLock();
    this.store = new EventStore(dataDir, lock);
    try {
      this.writer = new EventWriter(dataDir, lock);
    } catch (err) {
      this.store.close();
      throw err;
    }
    this.tail = new Tail(this.store.head, this.options.tailEvents, this.options.tailBytes);
    const { commitIntervalMs, retentionIntervalMs, ackTimeoutMs } = this.options;
    this.timers = [
      setInterval(() => this.commitGroups(), commitIntervalMs),
      setInterval(() => this.retain(), retentionIntervalMs),
      setInterval(() => this.dropSlowMembers(), Math.min(1_000, Math.max(10, ackTimeoutMs / 4))),
    ];
    for (const timer of this.timers) timer.unref();
  }

  /** The last position appended. */
  get head(): number {
    return this.store.head;
  }

  append(events: CloudEvent[]): Promise<void> {
    if (this.closed) return this.refuse(events.length, 'closed', 'the event log is closed');
    if (this.pendingEvents + events.length > this.options.maxPending) {
      return this.refuse(events.length, 'overloaded', 'the event log is overloaded: too many events wait for a commit');
    }
    const rows: PendingRow[] = [];
    try {
      for (const event of events) {
        rows.push({ app: event.application, json: JSON.stringify(event), event });
      }
    } catch (err) {
      return Promise.reject(err);
    }
    this.pendingEvents += rows.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ rows, resolve, reject });
    });
  }

  consume(options: ConsumerOptions): Consumer {
    if (this.closed) throw new EventLogUnavailableError('closed', 'the event log is closed');
    if (options.group === undefined) {
      const reader = new SoloReader(this, options, this.startPosition(options.start));
      this.addReader(reader);
      // After consume has returned: deliver may use the consumer.
      queueMicrotask(() => reader.pump());
      return reader;
    }
    const key = groupKey(options.app, options.group);
    let group = this.groups.get(key);
    if (!group) {
      let committed = this.store.groupPosition(options.app, options.group);
      if (committed === undefined) {
        committed = this.startPosition(options.start);
        // Written at once: a group seen once resumes from here even after a crash.
        this.store.commit([{ app: options.app, name: options.group, position: committed }], this.options.clock());
      }
      group = new GroupReader(this, options.app, options.group, committed);
      this.groups.set(key, group);
      this.addReader(group);
    }
    const member = group.join(options);
    this.consumerJoined();
    queueMicrotask(() => group.pump());
    return member;
  }

  stats(): EventLogStats {
    const groups: GroupStats[] = [];
    for (const group of this.groups.values()) groups.push(group.stats());
    return {
      appended: this.counts.appended,
      commits: this.counts.commits,
      rejected: this.counts.rejected,
      pending: this.pendingEvents,
      retainedEvents: this.store.retainedEvents,
      retainedBytes: this.store.retainedBytes,
      expired: this.counts.expired,
      consumers: this.counts.consumers,
      droppedConsumers: this.counts.droppedConsumers,
      groups,
    };
  }

  /**
   * One batch of retention, in one short transaction: removes up to `retentionBatch` of the oldest events that are
   * older than the age limit or over the size limit. Returns how many it removed.
   */
  expire(): number {
    if (this.closed) return 0;
    const { retentionAgeMs, retentionBytes, retentionBatch, clock } = this.options;
    const expired = this.store.expire(clock() - retentionAgeMs, retentionBytes, retentionBatch);
    this.counts.expired += expired.events;
    return expired.events;
  }

  /** Drops the group members that hold an event longer than the ack timeout; called by a timer. */
  dropSlowMembers(): void {
    const since = this.options.clock() - this.options.ackTimeoutMs;
    for (const group of [...this.groups.values()]) group.dropSlowMembers(since);
  }

  /** Commits what is waiting, writes the groups' positions, and closes the database. Appends then reject. */
  close(): void {
    if (this.closed) return;
    this.flush(true);
    // Every append not acknowledged yet is synced here, waiting, and acknowledged.
    this.writer.close();
    this.commitGroups();
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    this.store.close();
    for (const set of this.readers.values()) for (const reader of set) reader.shutdown();
    this.readers.clear();
    this.groups.clear();
  }

  // --- for the readers

  /** Every event the store holds of `app` after `after` and before the tail, a page of them. */
  readPage(app: string, after: number): { events: StoredEvent[]; upTo: number } {
    const before = this.tail.start;
    const rows = this.store.page(app, after, before, this.options.pageSize);
    const events = rows.map((r) => new StoredEvent(r.position, r.app, r.time, r.json));
    // A short page reached the tail: every event of the app before it has been read.
    const upTo = rows.length < this.options.pageSize ? before - 1 : rows[rows.length - 1].position;
    return { events, upTo };
  }

  /** Every event up to here is gone. */
  get expiredUpTo(): number {
    return this.store.expiredUpTo;
  }

  /** The tail, when it holds every event after `position`. */
  tailAfter(position: number): Tail | undefined {
    return position + 1 >= this.tail.start ? this.tail : undefined;
  }

  count(app: string, after: number): number {
    return this.store.count(app, after);
  }

  now(): number {
    return this.options.clock();
  }

  removeReader(reader: Reader): void {
    const set = this.readers.get(reader.app);
    set?.delete(reader);
    if (set?.size === 0) this.readers.delete(reader.app);
    if (reader instanceof GroupReader) {
      this.groups.delete(groupKey(reader.app, reader.name));
      if (!this.closed) this.store.commit([reader.position()], this.options.clock());
    }
  }

  consumerJoined(): void {
    this.counts.consumers++;
  }

  consumerLeft(dropped: boolean): void {
    this.counts.consumers--;
    if (dropped) this.counts.droppedConsumers++;
  }

  // --- internals

  private addReader(reader: Reader): void {
    let set = this.readers.get(reader.app);
    if (!set) {
      set = new Set();
      this.readers.set(reader.app, set);
    }
    set.add(reader);
  }

  private startPosition(start: StartAt = { kind: 'latest' }): number {
    if (start.kind === 'latest') return this.store.head;
    if (start.kind === 'earliest') return this.store.expiredUpTo;
    return this.store.positionBefore(start.time);
  }

  private refuse(events: number, reason: EventLogUnavailableError['reason'], message: string): Promise<never> {
    this.counts.rejected += events;
    return Promise.reject(new EventLogUnavailableError(reason, message));
  }

  /**
   * Hands the waiting appends to the writer, up to maxBatch events (and maxBatchChars) per transaction, while it has
   * room (else they wait, and gather, until a transaction it has is on the disk). Once a transaction is on the disk,
   * its appends are acknowledged and its events handed to the readers, in commit order.
   */
  private flush(all = false): void {
    this.flushScheduled = false;
    while (this.queue.length > 0 && (all || !this.writer.full)) {
      const batch = this.takeBatch();
      const rows = batch.length === 1 ? batch[0].rows : batch.flatMap((a) => a.rows);
      const jsons = this.writer.append(rows, this.options.clock(), (err, commit) => {
        this.committed(batch, rows, jsons, err, commit);
        // The writer has room again: what gathered meanwhile goes.
        if (this.queue.length > 0 && !this.flushScheduled) this.flush();
      });
    }
  }

  /** `jsons`: the rows' texts joined by `\n`, one flat string; the events keep slices of it. */
  private committed(
    batch: PendingAppend[],
    rows: PendingRow[],
    jsons: string,
    err: Error | null,
    commit?: Committed,
  ): void {
    this.pendingEvents -= rows.length;
    if (err || !commit) {
      this.counts.rejected += rows.length;
      const failure = new EventLogUnavailableError('failed', err?.message ?? 'the event log failed', { cause: err });
      for (const a of batch) a.reject(failure);
      return;
    }
    const { positions, time } = commit;
    this.store.appended(positions[positions.length - 1], time, rows.length, commit.bytes);
    this.counts.commits++;
    this.counts.appended += rows.length;
    const events: StoredEvent[] = new Array(rows.length);
    let at = 0;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      const end = at + row.json.length;
      events[i] = new StoredEvent(positions[i], row.app, time, jsons.slice(at, end), row.event);
      at = end + 1;
      this.tail.push(events[i]);
    }
    for (const a of batch) a.resolve();
    this.dispatch(events);
  }

  private takeBatch(): PendingAppend[] {
    const { maxBatch, maxBatchChars } = this.options;
    let events = 0;
    let chars = 0;
    let n = 0;
    while (n < this.queue.length) {
      const { rows } = this.queue[n];
      let more = 0;
      for (const row of rows) more += row.json.length;
      if (n > 0 && (events + rows.length > maxBatch || chars + more > maxBatchChars)) break;
      events += rows.length;
      chars += more;
      n++;
    }
    const batch = this.queue.slice(0, n);
    this.queue = n === this.queue.length ? [] : this.queue.slice(n);
    return batch;
  }

  private dispatch(events: StoredEvent[]): void {
    if (this.readers.size === 0) return;
    const byApp = new Map<string, StoredEvent[]>();
    for (const event of events) {
      if (!this.readers.has(event.app)) continue;
      const list = byApp.get(event.app);
      if (list) list.push(event);
      else byApp.set(event.app, [event]);
    }
    for (const [app, list] of byApp) {
      const readers = this.readers.get(app);
      if (readers) for (const reader of [...readers]) reader.appended(list);
    }
  }

  /** Retention on its timer: batches, one per turn of the event loop, until none is due; then stale groups go. */
  private retain(): void {
    if (this.expiring) return;
    this.expiring = true;
    const next = () => {
      if (this.expire() === this.options.retentionBatch) {
        setImmediate(next);
        return;
      }
      this.expiring = false;
      if (this.closed) return;
      const seen = this.options.clock() - this.options.retentionAgeMs;
      this.store.forgetGroups(seen, (app, name) => this.groups.has(groupKey(app, name)));
    };
    next();
  }

  private commitGroups(): void {
    if (this.closed) return;
    const due: GroupPosition[] = [];
    for (const group of this.groups.values()) {
      const position = group.uncommitted();
      if (position) due.push(position);
    }
    if (due.length > 0) this.store.commit(due, this.options.clock());
  }
}

/**
 * A cursor over one app's events, for one consumer or one group: it reads the tail while that holds what it needs,
 * else SQLite in pages, and offers the events to its consumers while they have room.
 */
abstract class Reader {
  /** Every event of the app up to here has been offered (when not caught up). */
  protected cursor: number;
  /** Offered everything up to the head: new events are offered as they are appended. */
  protected caughtUp: boolean;
  /** Events of the app after the cursor: those appended before the reader started, and those after. */
  protected history = 0;
  protected live = 0;
  protected readonly startHead: number;
  private page: StoredEvent[] = [];
  private pageIndex = 0;
  private pageUpTo = 0;
  private pumping = false;
  private scheduled = false;
  protected closed = false;

  constructor(
    protected readonly log: LocalEventLog,
    readonly app: string,
    position: number,
  ) {
    this.cursor = position;
    this.startHead = log.head;
    this.caughtUp = position >= log.head;
  }

  /** The log closed: offers nothing more. */
  shutdown(): void {
    this.closed = true;
  }

  /** What to do with an event. */
  protected abstract offer(event: StoredEvent): Offer;

  /** For a group: hands out redelivered events first; false while one of them is blocked. */
  protected beforeLog(): boolean {
    return true;
  }

  /** New events of the app, just committed: offered at once when caught up, else read later. */
  appended(events: StoredEvent[]): void {
    if (!this.caughtUp) {
      this.fellBehind(events.length);
      return;
    }
    for (let i = 0; i < events.length; i++) {
      if (this.closed) return;
      if (this.offer(events[i]) !== Offer.Blocked) continue;
      this.caughtUp = false;
      this.cursor = events[i].position - 1;
      this.fellBehind(events.length - i);
      return;
    }
  }

  /** Offers what it can. Reads at most one page from SQLite per call, and goes on in the next turn of the loop. */
  pump(): void {
    if (this.pumping || this.closed) return;
    this.pumping = true;
    try {
      this.pumpEvents();
    } finally {
      this.pumping = false;
    }
  }

  protected fellBehind(events: number): void {
    this.live += events;
  }

  /** The position up to which every event of the app has been offered. */
  protected offered(): number {
    return this.caughtUp ? this.log.head : this.cursor;
  }

  private pumpEvents(): void {
    let pagesRead = 0;
    for (;;) {
      if (!this.beforeLog() || this.closed) return;
      if (this.caughtUp) return;
      // Retention went past it: what is gone is skipped.
      if (this.cursor < this.log.expiredUpTo && this.pageIndex === this.page.length) this.cursor = this.log.expiredUpTo;
      if (this.pageIndex < this.page.length) {
        const event = this.page[this.pageIndex];
        if (this.offer(event) === Offer.Blocked) return;
        this.pageIndex++;
        this.passed(event.position);
        if (this.pageIndex === this.page.length) this.cursor = this.pageUpTo;
        continue;
      }
      if (this.cursor >= this.log.head) {
        this.following();
        return;
      }
      const tail = this.log.tailAfter(this.cursor);
      if (tail) {
        const end = tail.endIndex;
        for (let i = tail.indexAfter(this.cursor); i < end; i++) {
          const event = tail.at(i);
          if (event.app === this.app) {
            if (this.offer(event) === Offer.Blocked) return;
            this.passed(event.position);
          }
          this.cursor = event.position;
          if (this.closed) return;
        }
        this.following();
        return;
      }
      if (pagesRead > 0) {
        this.schedule();
        return;
      }
      const { events, upTo } = this.log.readPage(this.app, this.cursor);
      pagesRead++;
      this.page = events;
      this.pageIndex = 0;
      this.pageUpTo = upTo;
      if (events.length === 0) this.cursor = upTo;
    }
  }

  private passed(position: number): void {
    this.cursor = position;
    if (position > this.startHead) this.live = Math.max(0, this.live - 1);
    else this.history = Math.max(0, this.history - 1);
  }

  private following(): void {
    this.caughtUp = true;
    this.live = 0;
    this.history = 0;
    this.page = [];
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }
}

/** A consumer without a group: its own cursor, dropped when it falls too far behind. */
class SoloReader extends Reader implements Consumer {
  private readonly inFlight = new Set<number>();

  constructor(
    log: LocalEventLog,
    private readonly options: ConsumerOptions,
    position: number,
  ) {
    super(log, options.app, position);
    log.consumerJoined();
  }

  ack(position: number): void {
    if (this.inFlight.delete(position) && !this.caughtUp) this.pump();
  }

  close(): void {
    this.leave(false);
  }

  protected override offer(event: StoredEvent): Offer {
    const { filter } = this.options;
    if (filter && !filter(event.event)) return Offer.Skipped;
    if (this.inFlight.size >= this.options.maxInFlight) return Offer.Blocked;
    this.inFlight.add(event.position);
    try {
      this.options.deliver(event);
    } catch (err) {
      this.drop(`delivery failed: ${(err as Error).message}`);
    }
    return Offer.Taken;
  }

  protected override fellBehind(events: number): void {
    super.fellBehind(events);
    // Behind in the live stream, not in the history it asked for: replaying that goes at its own pace.
    if (this.live > this.log.options.maxLag && this.cursor >= this.startHead) {
      this.drop(`fell more than ${this.log.options.maxLag} events behind`);
    }
  }

  private drop(reason: string): void {
    if (this.closed) return;
    this.leave(true);
    this.options.dropped(reason);
  }

  private leave(dropped: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.log.removeReader(this);
    this.log.consumerLeft(dropped);
  }
}

/** A consumer group with members now: one cursor, its events split among the members, its position committed. */
class GroupReader extends Reader {
  private readonly members: Member[] = [];
  /** Where the round robin over the members goes on. */
  private next = 0;
  /** The positions delivered and not yet committable, in order (from windowStart on), and those of them acked. */
  private window: number[] = [];
  private windowStart = 0;
  private readonly acked = new Set<number>();
  /** Events of members that left unacknowledged, in order: offered before the log's. */
  private redeliver: StoredEvent[] = [];
  private written: number;

  constructor(
    log: LocalEventLog,
    app: string,
    readonly name: string,
    committed: number,
  ) {
    super(log, app, committed);
    this.written = committed;
    if (!this.caughtUp) this.history = log.count(app, committed);
  }

  join(options: ConsumerOptions): Member {
    const member = new Member(this, options);
    this.members.push(member);
    return member;
  }

  /** Every event of the app up to here is done with. */
  committed(): number {
    return this.windowStart < this.window.length ? this.window[this.windowStart] - 1 : this.offered();
  }

  position(): GroupPosition {
    return { app: this.app, name: this.name, position: this.committed() };
  }

  /** The position to write, when it moved since the last write. */
  uncommitted(): GroupPosition | undefined {
    const position = this.committed();
    if (position === this.written) return undefined;
    this.written = position;
    return { app: this.app, name: this.name, position };
  }

  stats(): GroupStats {
    return {
      app: this.app,
      group: this.name,
      members: this.members.length,
      committed: this.committed(),
      lag: this.history + this.live + this.window.length - this.windowStart,
    };
  }

  override appended(events: StoredEvent[]): void {
    if (this.redeliver.length > 0) this.pump();
    super.appended(events);
  }

  ackedBy(position: number): void {
    this.done(position);
    this.pump();
  }

  /** A member leaves (dropped with a reason, or closed): its unacknowledged events go to the others. */
  leave(member: Member, reason?: string): void {
    const index = this.members.indexOf(member);
    if (index < 0) return;
    this.members.splice(index, 1);
    if (this.next > index) this.next--;
    const unacked = member.takeInFlight();
    this.log.consumerLeft(reason !== undefined);
    if (unacked.length > 0) {
      this.redeliver.push(...unacked);
      this.redeliver.sort((a, b) => a.position - b.position);
    }
    if (this.members.length === 0) {
      this.closed = true;
      this.log.removeReader(this);
    } else {
      this.pump();
    }
    if (reason !== undefined) member.options.dropped(reason);
  }

  dropSlowMembers(deliveredBefore: number): void {
    for (const member of [...this.members]) {
      const oldest = member.oldestDelivery();
      if (oldest !== undefined && oldest < deliveredBefore) {
        this.leave(member, `held an event unacknowledged for more than ${this.log.options.ackTimeoutMs} ms`);
      }
    }
  }

  protected override beforeLog(): boolean {
    while (this.redeliver.length > 0 && !this.closed) {
      const event = this.redeliver.shift()!;
      const offer = this.toMember(event);
      if (offer === Offer.Blocked) {
        this.redeliver.unshift(event);
        return false;
      }
      if (offer === Offer.Skipped) this.done(event.position);
    }
    return true;
  }

  protected override offer(event: StoredEvent): Offer {
    return this.toMember(event, true);
  }

  /** Gives the event to the next member that wants it and has room; one new from the log then enters the window. */
  private toMember(event: StoredEvent, fromLog = false): Offer {
    const n = this.members.length;
    let wanted = false;
    for (let k = 0; k < n; k++) {
      const member = this.members[(this.next + k) % n];
      if (!member.wants(event)) continue;
      wanted = true;
      if (!member.hasRoom()) continue;
      this.next = (this.next + k + 1) % n;
      if (fromLog) this.window.push(event.position);
      member.give(event, this.log.now());
      return Offer.Taken;
    }
    return wanted ? Offer.Blocked : Offer.Skipped;
  }

  /** The event at this position is done with: the committed position moves over the acked prefix. */
  private done(position: number): void {
    this.acked.add(position);
    const window = this.window;
    let start = this.windowStart;
    while (start < window.length && this.acked.delete(window[start])) start++;
    if (start === window.length) {
      this.window = [];
      this.windowStart = 0;
    } else if (start > 1024 && start * 2 > window.length) {
      this.window = window.slice(start);
      this.windowStart = 0;
    } else {
      this.windowStart = start;
    }
  }
}

/** A member of a group: what it holds unacknowledged, with when it got it. */
class Member implements Consumer {
  private readonly inFlight = new Map<number, { event: StoredEvent; at: number }>();
  private left = false;

  constructor(
    private readonly group: GroupReader,
    readonly options: ConsumerOptions,
  ) {}

  ack(position: number): void {
    if (!this.left && this.inFlight.delete(position)) this.group.ackedBy(position);
  }

  close(): void {
    this.group.leave(this);
  }

  wants(event: StoredEvent): boolean {
    return this.options.filter === undefined || this.options.filter(event.event);
  }

  hasRoom(): boolean {
    return this.inFlight.size < this.options.maxInFlight;
  }

  give(event: StoredEvent, now: number): void {
    this.inFlight.set(event.position, { event, at: now });
    try {
      this.options.deliver(event);
    } catch (err) {
      this.group.leave(this, `delivery failed: ${(err as Error).message}`);
    }
  }

  oldestDelivery(): number | undefined {
    for (const { at } of this.inFlight.values()) return at;
    return undefined;
  }

  /** Leaves with what it holds. */
  takeInFlight(): StoredEvent[] {
    this.left = true;
    const events = [...this.inFlight.values()].map((e) => e.event);
    this.inFlight.clear();
    return events;
  }
}

function groupKey(app: string, group: string): string {
  return `${app}\n${group}`;
}

function withoutUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}
