// The event log and its bus (src/server-lite/events/local-log.ts) on a real events.sqlite: order, group commit,
// consumers with and without groups, history, backpressure.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { type EventLogOptions, LocalEventLog } from '../../src/server-lite/events/local-log.js';
import {
  type Consumer,
  type ConsumerOptions,
  EventLogUnavailableError,
  type LoggedEvent,
} from '../../src/server-lite/events/log.js';
import { testEvent } from '../helpers/events.js';
import { tempDir } from '../helpers/serve.js';

const opened: LocalEventLog[] = [];
after(() => {
  for (const log of opened) log.close();
});

function openLog(dataDir = join(tempDir('drg-events-'), 'data'), options: EventLogOptions = {}): LocalEventLog {
  const log = new LocalEventLog(dataDir, options);
  opened.push(log);
  return log;
}

const event = testEvent;

async function appendAll(log: LocalEventLog, app: string, from: number, to: number): Promise<void> {
  const appends: Promise<void>[] = [];
  for (let n = from; n <= to; n++) appends.push(log.append([event(app, n)]));
  await Promise.all(appends);
}

const numberOf = (e: LoggedEvent) => (e.event.data as { n: number }).n;

interface Collector {
  consumer: Consumer;
  events: LoggedEvent[];
  numbers(): number[];
  /** Resolves once it has received `count` events in all. */
  until(count: number): Promise<void>;
  dropped: Promise<string>;
}

/** A consumer that records what it gets; with `ack: false`, it acknowledges nothing by itself. */
function collect(log: LocalEventLog, options: Partial<ConsumerOptions> & { app: string; ack?: boolean }): Collector {
  const events: LoggedEvent[] = [];
  let waiter: { count: number; resolve: () => void } | undefined;
  let onDropped!: (reason: string) => void;
  const dropped = new Promise<string>((resolve) => {
    onDropped = resolve;
  });
  const consumer = log.consume({
    maxInFlight: 1000,
    ...options,
    deliver(e) {
      events.push(e);
      if (options.ack !== false) consumer.ack(e.position);
      if (waiter && events.length >= waiter.count) {
        waiter.resolve();
        waiter = undefined;
      }
    },
    dropped: onDropped,
  });
  return {
    consumer,
    events,
    numbers: () => events.map(numberOf),
    until: (count) =>
      events.length >= count
        ? Promise.resolve()
        : new Promise((resolve) => {
            waiter = { count, resolve };
          }),
    dropped,
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('append and consume', () => {
  it('delivers the events of its app in the order they were appended, with increasing positions', async () => {
    const log = openLog();
    const a = collect(log, { app: 'a' });
    const b = collect(log, { app: 'b' });
    const appends: Promise<void>[] = [];
    for (let n = 1; n <= 50; n++) {
      appends.push(log.append([event('a', n)]));
      appends.push(log.append([event('b', n), event('a', 100 + n)]));
    }
    await Promise.all(appends);
    await Promise.all([a.until(100), b.until(50)]);
    assert.deepEqual(
      a.numbers(),
      range(1, 50).flatMap((n) => [n, 100 + n]),
    );
    assert.deepEqual(b.numbers(), range(1, 50));
    const positions = a.events.map((e) => e.position);
    assert.deepEqual(
      positions,
      [...positions].sort((x, y) => x - y),
    );
    assert.equal(new Set(positions).size, positions.length);
    assert.deepEqual(JSON.parse(a.events[0].json), a.events[0].event);
  });

  it('commits the appends of one tick in one transaction, and resolves each after its commit', async () => {
    const dataDir = join(tempDir('drg-events-'), 'data');
    const log = openLog(dataDir);
    // Another connection sees only what is committed.
    const reader = new Database(join(dataDir, 'events.sqlite'), { readonly: true });
    const committed = () => reader.prepare('SELECT count(*) FROM events').pluck().get() as number;
    const seen: number[] = [];
    const appends = range(1, 200).map((n) =>
      log.append([event('a', n)]).then(() => {
        seen.push(committed());
      }),
    );
    assert.equal(log.stats().appended, 0);
    assert.equal(log.stats().pending, 200);
    await Promise.all(appends);
    const stats = log.stats();
    assert.equal(stats.appended, 200);
    assert.equal(stats.commits, 1);
    assert.equal(stats.pending, 0);
    assert.equal(stats.retainedEvents, 200);
    assert.deepEqual(new Set(seen), new Set([200]));
    reader.close();
  });

  it('splits the appends of one tick into transactions of at most maxBatchChars of JSON', async () => {
    const log = openLog(undefined, { maxBatchChars: 5_000 });
    const a = collect(log, { app: 'a' });
    const big = (n: number) => ({ ...event('a', n), data: { n, text: 'x'.repeat(1_000) } });
    const size = JSON.stringify(big(1)).length;
    await Promise.all(range(1, 20).map((n) => log.append([big(n)])));
    const perCommit = Math.floor(5_000 / size);
    assert.equal(log.stats().commits, Math.ceil(20 / perCommit));
    await a.until(20);
    assert.deepEqual(a.numbers(), range(1, 20));
    // One event larger than the bound still goes, alone.
    await log.append([{ ...event('a', 21), data: { n: 21, text: 'y'.repeat(6_000) } }]);
    await a.until(21);
    assert.equal(numberOf(a.events[20]), 21);
  });

  it('rejects at once, with nothing appended, beyond the bound of appends waiting for a commit', async () => {
    const log = openLog(undefined, { maxPending: 10 });
    const accepted = range(1, 8).map((n) => log.append([event('a', n)]));
    const refused = log.append([event('a', 9), event('a', 10), event('a', 11)]);
    let refusal: unknown;
    refused.catch((err) => {
      refusal = err;
    });
    await Promise.resolve();
    assert.ok(refusal instanceof EventLogUnavailableError);
    assert.equal(refusal.reason, 'overloaded');
    assert.equal(log.stats().appended, 0);
    await Promise.all(accepted);
    assert.equal(log.stats().appended, 8);
    assert.equal(log.stats().rejected, 3);
    // Room again once committed.
    await log.append([event('a', 12), event('a', 13)]);
    const all = collect(log, { app: 'a', start: { kind: 'earliest' } });
    await all.until(10);
    assert.deepEqual(all.numbers(), [...range(1, 8), 12, 13]);
  });

  it('rejects appends once closed', async () => {
    const log = openLog();
    log.close();
    await assert.rejects(log.append([event('a', 1)]), (err) => {
      assert.ok(err instanceof EventLogUnavailableError);
      assert.equal(err.reason, 'closed');
      return true;
    });
  });
});

describe('consumers without a group', () => {
  it('start with the events appended from then on', async () => {
    const log = openLog();
    await appendAll(log, 'a', 1, 5);
    const late = collect(log, { app: 'a' });
    await appendAll(log, 'a', 6, 8);
    await late.until(3);
    assert.deepEqual(late.numbers(), [6, 7, 8]);
  });

  it('replay everything with earliest, and what was appended since a time with since', async () => {
    let now = 1_000_000;
    const dataDir = join(tempDir('drg-events-'), 'data');
    const log = openLog(dataDir, { clock: () => now, tailEvents: 4 });
    await appendAll(log, 'a', 1, 10);
    now += 60_000;
    const since = now;
    await appendAll(log, 'a', 11, 20);
    now += 60_000;
    await appendAll(log, 'b', 1, 5);
    const earliest = collect(log, { app: 'a', start: { kind: 'earliest' } });
    const recent = collect(log, { app: 'a', start: { kind: 'since', time: since } });
    const future = collect(log, { app: 'a', start: { kind: 'since', time: now + 1 } });
    await appendAll(log, 'a', 21, 22);
    await Promise.all([earliest.until(22), recent.until(12), future.until(2)]);
    assert.deepEqual(earliest.numbers(), range(1, 22));
    assert.deepEqual(recent.numbers(), range(11, 22));
    assert.deepEqual(future.numbers(), [21, 22]);
  });

  it('apply their filter', async () => {
    const log = openLog();
    const alarms = collect(log, { app: 'a', filter: (e) => e.subject === 'alarm' });
    await Promise.all(range(1, 10).map((n) => log.append([event('a', n, n % 3 === 0 ? 'alarm' : 'telemetry')])));
    await alarms.until(3);
    assert.deepEqual(alarms.numbers(), [3, 6, 9]);
  });

  it('are dropped when they fall too far behind, without holding up appends or other consumers', async () => {
    const log = openLog(undefined, { maxLag: 50 });
    const slow = collect(log, { app: 'a', maxInFlight: 5, ack: false });
    const fast = collect(log, { app: 'a' });
    const other = collect(log, { app: 'a', maxInFlight: 1 });
    for (let round = 0; round < 10; round++) await appendAll(log, 'a', round * 20 + 1, round * 20 + 20);
    assert.match(await slow.dropped, /behind/);
    await Promise.all([fast.until(200), other.until(200)]);
    assert.deepEqual(fast.numbers(), range(1, 200));
    assert.deepEqual(other.numbers(), range(1, 200));
    assert.deepEqual(slow.numbers(), range(1, 5));
    const stats = log.stats();
    assert.equal(stats.droppedConsumers, 1);
    assert.equal(stats.consumers, 2);
    assert.equal(stats.appended, 200);
  });

  it('that are behind read the events no longer in the in-memory tail from the database, in order', async () => {
    const log = openLog(undefined, { tailEvents: 8, pageSize: 16 });
    await appendAll(log, 'a', 1, 300);
    const reader = collect(log, { app: 'a', start: { kind: 'earliest' }, maxInFlight: 7, ack: false });
    // Acknowledged one by one, later: each ack lets one more through.
    const acked: number[] = [];
    while (acked.length < 300) {
      await reader.until(acked.length + 1);
      const next = reader.events[acked.length];
      acked.push(numberOf(next));
      reader.consumer.ack(next.position);
    }
    assert.deepEqual(acked, range(1, 300));
  });
});

describe('consumer groups', () => {
  it('split the events among their members, each event to one of them', async () => {
    const log = openLog();
    const one = collect(log, { app: 'a', group: 'g' });
    const two = collect(log, { app: 'a', group: 'g' });
    await appendAll(log, 'a', 1, 100);
    await Promise.all([one.until(1), two.until(1)]);
    assert.ok(one.events.length > 0 && two.events.length > 0);
    assert.deepEqual(
      [...one.numbers(), ...two.numbers()].sort((x, y) => x - y),
      range(1, 100),
    );
    const [stats] = log.stats().groups;
    assert.deepEqual(stats, { app: 'a', group: 'g', members: 2, committed: log.head, lag: 0 });
  });

  it('give the unacknowledged events of a member that leaves to the others', async () => {
    const log = openLog();
    const holder = collect(log, { app: 'a', group: 'g', ack: false });
    const worker = collect(log, { app: 'a', group: 'g' });
    await appendAll(log, 'a', 1, 10);
    await Promise.all([holder.until(5), worker.until(5)]);
    const held = holder.numbers();
    assert.equal(held.length, 5);
    assert.equal(log.stats().groups[0].committed < log.head, true);
    holder.consumer.close();
    await worker.until(10);
    assert.deepEqual(
      [...worker.numbers()].sort((x, y) => x - y),
      range(1, 10),
    );
    assert.equal(log.stats().groups[0].committed, log.head);
  });

  it('drop a member that holds events longer than the ack timeout and redeliver them', async () => {
    let now = 1_000_000;
    const log = openLog(undefined, { clock: () => now, ackTimeoutMs: 30_000 });
    const stuck = collect(log, { app: 'a', group: 'g', ack: false });
    const worker = collect(log, { app: 'a', group: 'g' });
    await appendAll(log, 'a', 1, 4);
    await stuck.until(2);
    now += 29_000;
    log.dropSlowMembers();
    now += 2_000;
    log.dropSlowMembers();
    assert.match(await stuck.dropped, /unacknowledged/);
    await worker.until(4);
    assert.deepEqual(
      [...worker.numbers()].sort((x, y) => x - y),
      range(1, 4),
    );
    assert.equal(log.stats().droppedConsumers, 1);
  });

  it('resume from their committed position, getting what they missed, also after a restart', async () => {
    const dataDir = join(tempDir('drg-events-'), 'data');
    let log = openLog(dataDir);
    const first = collect(log, { app: 'a', group: 'g', ack: false });
    await appendAll(log, 'a', 1, 5);
    await first.until(5);
    // Acked out of order, 4 not at all: the position stops after 3.
    for (const i of [0, 2, 1, 4]) first.consumer.ack(first.events[i].position);
    first.consumer.close();
    await appendAll(log, 'a', 6, 8);
    const back = collect(log, { app: 'a', group: 'g' });
    await back.until(5);
    assert.deepEqual(back.numbers(), [4, 5, 6, 7, 8]);
    back.consumer.close();

    await appendAll(log, 'a', 9, 10);
    log.close();
    log = openLog(dataDir);
    await appendAll(log, 'a', 11, 12);
    const again = collect(log, { app: 'a', group: 'g' });
    const fresh = collect(log, { app: 'a', group: 'other' });
    await appendAll(log, 'a', 13, 13);
    await Promise.all([again.until(5), fresh.until(1)]);
    assert.deepEqual(again.numbers(), [9, 10, 11, 12, 13]);
    assert.deepEqual(fresh.numbers(), [13]);
  });

  it('start where `start` says the first time, and resume from their position after that', async () => {
    const log = openLog();
    await appendAll(log, 'a', 1, 3);
    const first = collect(log, { app: 'a', group: 'replay', start: { kind: 'earliest' } });
    await first.until(3);
    first.consumer.close();
    const back = collect(log, { app: 'a', group: 'replay', start: { kind: 'earliest' } });
    await appendAll(log, 'a', 4, 4);
    await back.until(1);
    assert.deepEqual(back.numbers(), [4]);
  });

  it("commit past the events their members' filters leave out", async () => {
    const log = openLog();
    const alarms = collect(log, { app: 'a', group: 'g', filter: (e) => e.subject === 'alarm' });
    await Promise.all(range(1, 9).map((n) => log.append([event('a', n, n === 5 ? 'alarm' : 'telemetry')])));
    await alarms.until(1);
    assert.deepEqual(alarms.numbers(), [5]);
    assert.deepEqual(log.stats().groups[0], { app: 'a', group: 'g', members: 1, committed: log.head, lag: 0 });
  });
});

describe('retention', () => {
  /** Runs retention to the end, as its timer would; returns the size of each of its batches. */
  function expireAll(log: LocalEventLog): number[] {
    const batches: number[] = [];
    for (let n = log.expire(); n > 0; n = log.expire()) batches.push(n);
    return batches;
  }

  it('removes events older than the age limit, in small batches, and never younger ones', async () => {
    let now = 1_000_000;
    const log = openLog(undefined, {
      clock: () => now,
      retentionAgeMs: 3_600_000,
      retentionBatch: 10,
      retentionIntervalMs: 3_600_000,
    });
    await appendAll(log, 'a', 1, 45);
    now += 1_800_000;
    await appendAll(log, 'a', 46, 50);
    now += 1_800_001;
    // Appends go on between its batches.
    const batches: number[] = [];
    for (let n = 51; n <= 60; n++) {
      batches.push(log.expire());
      await log.append([event('a', n)]);
    }
    assert.deepEqual(batches, [10, 10, 10, 10, 5, 0, 0, 0, 0, 0]);
    const kept = collect(log, { app: 'a', start: { kind: 'earliest' } });
    await kept.until(15);
    assert.deepEqual(kept.numbers(), range(46, 60));
    const stats = log.stats();
    assert.equal(stats.expired, 45);
    assert.equal(stats.retainedEvents, 15);
    assert.equal(
      stats.retainedBytes,
      kept.events.reduce((sum, e) => sum + Buffer.byteLength(e.json), 0),
    );
  });

  it('runs on its timer, one small batch per turn of the event loop', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    let now = 1_000_000;
    const log = openLog(undefined, { clock: () => now, retentionAgeMs: 60_000, retentionBatch: 10 });
    await appendAll(log, 'a', 1, 45);
    now += 60_001;
    t.mock.timers.tick(1_000);
    assert.equal(log.stats().expired, 10);
    const appends = appendAll(log, 'a', 46, 50);
    // Then a batch per turn up to the newest event on the disk: the 45th, or the 50th when 46 to 50 are synced first.
    while (log.stats().expired < 44) await new Promise(setImmediate);
    await appends;
    // The next run takes the 45th, if it is left, and none of the young ones.
    t.mock.timers.tick(1_000);
    while (log.stats().expired < 45) await new Promise(setImmediate);
    assert.equal(log.stats().expired, 45);
    assert.equal(log.stats().retainedEvents, 5);
  });

  it('removes the oldest events beyond the size limit, keeping the newest', async () => {
    const sample = Buffer.byteLength(JSON.stringify(event('a', 100)));
    const log = openLog(undefined, { retentionBytes: 20 * sample + sample / 2, retentionBatch: 7 });
    await appendAll(log, 'a', 101, 150);
    await appendAll(log, 'b', 101, 110);
    assert.equal(expireAll(log).length, 6);
    const a = collect(log, { app: 'a', start: { kind: 'earliest' } });
    const b = collect(log, { app: 'b', start: { kind: 'earliest' } });
    await Promise.all([a.until(10), b.until(10)]);
    assert.deepEqual(a.numbers(), range(141, 150));
    assert.deepEqual(b.numbers(), range(101, 110));
    const stats = log.stats();
    assert.equal(stats.retainedEvents, 20);
    assert.ok(stats.retainedBytes <= 20 * sample + sample / 2);
  });

  it('keeps its totals across a restart, and a group whose events expired goes on with the oldest left', async () => {
    let now = 1_000_000;
    const dataDir = join(tempDir('drg-events-'), 'data');
    let log = openLog(dataDir, { clock: () => now, retentionAgeMs: 60_000 });
    collect(log, { app: 'a', group: 'away' }).consumer.close();
    await appendAll(log, 'a', 1, 10);
    now += 120_000;
    await appendAll(log, 'a', 11, 12);
    expireAll(log);
    const { retainedEvents, retainedBytes } = log.stats();
    log.close();
    log = openLog(dataDir, { clock: () => now, retentionAgeMs: 60_000 });
    assert.deepEqual(
      { retainedEvents: log.stats().retainedEvents, retainedBytes: log.stats().retainedBytes },
      { retainedEvents, retainedBytes },
    );
    const away = collect(log, { app: 'a', group: 'away' });
    await away.until(2);
    assert.deepEqual(away.numbers(), [11, 12]);
  });
});
