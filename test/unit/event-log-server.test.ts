// The event log in drg serve: its own owner-only events.sqlite in the data directory, the bus on RunningServer,
// positions and groups kept across a restart, and the --event-retention flags.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import type { CloudEvent } from '../../src/model/cloudevents.js';
import type { LocalEventLog } from '../../src/server-lite/events/local-log.js';
import type { EventBus, LoggedEvent } from '../../src/server-lite/events/log.js';
import { runDrg } from '../helpers/drg.js';
import { newConfigPath, tempDir } from '../helpers/serve.js';
import { startTestServer } from '../helpers/server.js';

function event(n: number): CloudEvent {
  return {
    specversion: '1.0',
    id: `id-${n}`,
    type: 'io.drogue.event.v1',
    source: 'drogue://app1/dev',
    subject: 'telemetry',
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: { n },
    application: 'app1',
    device: 'dev',
    applicationuid: 'a',
    deviceuid: 'd',
    sender: 'dev',
    senderuid: 'd',
    instance: 'test',
    partitionkey: 'app1/dev',
  };
}

/** The next `count` events of group `g` of app1, acknowledged; the member leaves once it has them. */
function groupReceives(bus: EventBus, count: number): Promise<LoggedEvent[]> {
  return new Promise((resolve) => {
    const events: LoggedEvent[] = [];
    const member = bus.consume({
      app: 'app1',
      group: 'g',
      maxInFlight: 10,
      deliver(e) {
        events.push(e);
        member.ack(e.position);
        if (events.length === count) {
          member.close();
          resolve(events);
        }
      },
      dropped: (reason) => assert.fail(reason),
    });
  });
}

it('keeps the events in an owner-only events.sqlite, and groups resume across a restart', async () => {
  const dataDir = join(tempDir('drg-events-'), 'data');
  let s = await startTestServer(dataDir, { eventRetention: { ageMs: 3_600_000, bytes: 1_000_000 } });
  try {
    assert.equal(statSync(join(dataDir, 'events.sqlite')).mode & 0o777, 0o600);
    assert.deepEqual(
      {
        age: (s.server.events as LocalEventLog).options.retentionAgeMs,
        bytes: (s.server.events as LocalEventLog).options.retentionBytes,
      },
      { age: 3_600_000, bytes: 1_000_000 },
    );
    const first = groupReceives(s.server.events, 2);
    await Promise.all([s.server.events.append([event(1)]), s.server.events.append([event(2)])]);
    assert.deepEqual(
      (await first).map((e) => e.event.id),
      ['id-1', 'id-2'],
    );
    await s.server.events.append([event(3), event(4)]);
  } finally {
    await s.close();
  }
  s = await startTestServer(dataDir);
  try {
    const back = await groupReceives(s.server.events, 2);
    assert.deepEqual(
      back.map((e) => e.event.id),
      ['id-3', 'id-4'],
    );
    assert.equal(s.server.events.stats().retainedEvents, 4);
  } finally {
    await s.close();
  }
  await assert.rejects(s.server.events.append([event(5)]), /closed/);
});

it('refuses a retention that is not a duration or a size, naming the flag', async () => {
  const args = ['serve', '--port', '0', '--data-dir', join(tempDir('drg-events-'), 'data'), '--no-login'];
  const age = await runDrg(newConfigPath(), [...args, '--event-retention', 'forever']);
  assert.equal(age.code, 2);
  assert.equal(age.stderr, 'error: --event-retention must be a duration such as 24h, 90m or 7d, not "forever"\n');
  const size = await runDrg(newConfigPath(), [...args, '--event-retention-size', '-1GiB']);
  assert.equal(size.code, 2);
  assert.equal(size.stderr, 'error: --event-retention-size must be a size such as 1GiB, 512MiB or 10GB, not "-1GiB"\n');
});
