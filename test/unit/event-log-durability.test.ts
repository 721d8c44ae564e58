// kill -9 loses no acknowledged event: a child process appends and prints each acknowledged event, the test kills
// it with SIGKILL mid-stream, reopens the log, and finds every one of them, delivered to a group created before.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { it } from 'node:test';
import { LocalEventLog } from '../../src/server-lite/events/local-log.js';
import type { ConsumerOptions, LoggedEvent } from '../../src/server-lite/events/log.js';
import { tempDir } from '../helpers/serve.js';

const CHILD = join(import.meta.dirname, '../helpers/event-log-child.ts');

/** Every event the log delivers to this consumer, once `count` have come. */
function receive(log: LocalEventLog, options: Pick<ConsumerOptions, 'group' | 'start'>, count: number) {
  return new Promise<LoggedEvent[]>((resolve) => {
    const events: LoggedEvent[] = [];
    const consumer = log.consume({
      app: 'app1',
      maxInFlight: 100,
      ...options,
      deliver(event) {
        events.push(event);
        consumer.ack(event.position);
        if (events.length === count) {
          consumer.close();
          resolve(events);
        }
      },
      dropped: (reason) => assert.fail(`dropped: ${reason}`),
    });
  });
}

it('keeps every acknowledged event through a kill -9, for a group created before', async () => {
  const dataDir = join(tempDir('drg-events-'), 'data');
  const before = new LocalEventLog(dataDir);
  before.consume({ app: 'app1', group: 'g', maxInFlight: 1, deliver: () => {}, dropped: () => {} }).close();
  before.close();

  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, 'app1'], { env, stdio: 'pipe' });
  const exited = once(child, 'exit');
  // Every line it wrote before it died counts, also those read after the kill.
  const acked: string[] = [];
  for await (const line of createInterface({ input: child.stdout })) {
    acked.push(line.replace(/^acked /, ''));
    if (acked.length === 2000) child.kill('SIGKILL');
  }
  const [, signal] = await exited;
  assert.equal(signal, 'SIGKILL');

  const log = new LocalEventLog(dataDir);
  try {
    const total = log.stats().retainedEvents;
    assert.ok(total >= acked.length, `${total} events in the log, ${acked.length} acknowledged`);
    const [group, all] = await Promise.all([
      receive(log, { group: 'g' }, total),
      receive(log, { start: { kind: 'earliest' } }, total),
    ]);
    const delivered = new Set(group.map((e) => e.event.id));
    assert.deepEqual(
      acked.filter((id) => !delivered.has(id)),
      [],
    );
    assert.deepEqual(
      all.map((e) => e.event.id),
      group.map((e) => e.event.id),
    );
    // Positions go on after the last one, never reused.
    const last = all[all.length - 1].position;
    const next = receive(log, {}, 1);
    await log.append([{ ...all[0].event, id: 'after' }]);
    assert.ok((await next)[0].position > last);
  } finally {
    log.close();
  }
});
