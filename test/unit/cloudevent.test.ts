// The CloudEvents' ids and times (src/server-lite/events/cloudevent.ts): ids are random UUIDs v4, as API.md asks, from
// a pool of random bytes that is refilled, never reused; the time is the server clock's, formatted once per ms.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { deviceEvent, eventTime, randomEventId } from '../../src/server-lite/events/cloudevent.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

it('makes UUIDs v4, all different, across many refills of the random pool', () => {
  const ids = new Set<string>();
  for (let i = 0; i < 5_000; i++) {
    const id = randomEventId();
    assert.match(id, UUID_V4);
    ids.add(id);
  }
  assert.equal(ids.size, 5_000);
});

it('leaves every digit but the version and variant random', () => {
  const seen = Array.from({ length: 36 }, () => new Set<string>());
  for (let i = 0; i < 2_000; i++) {
    const id = randomEventId();
    for (let k = 0; k < 36; k++) seen[k].add(id[k]);
  }
  for (let k = 0; k < 36; k++) {
    if ([8, 13, 18, 23].includes(k)) assert.deepEqual([...seen[k]], ['-']);
    else if (k === 14) assert.deepEqual([...seen[k]], ['4']);
    else if (k === 19) assert.deepEqual([...seen[k]].sort(), ['8', '9', 'a', 'b']);
    else assert.equal(seen[k].size, 16, `digit ${k} takes every hex value`);
  }
});

it('gives each device event an id of its own', () => {
  const party = { name: 'd1', uid: 'u1' };
  const origin = { app: { name: 'app1', uid: 'a1' }, device: party, sender: party };
  const message = { channel: 'telemetry', payload: Buffer.from('{"t":1}') };
  const a = deviceEvent(origin, message, 'drg');
  const b = deviceEvent(origin, message, 'drg');
  assert.match(a.id, UUID_V4);
  assert.notEqual(a.id, b.id);
});

it("stamps the server clock's time, in RFC 3339, and a new one once the clock has moved on", () => {
  const before = Date.now();
  const first = eventTime();
  assert.match(first, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.ok(Date.parse(first) >= before && Date.parse(first) <= Date.now());
  const start = Date.now();
  while (Date.now() === start) {
    // The clock moves on within a millisecond.
  }
  const later = eventTime();
  assert.ok(Date.parse(later) > Date.parse(first), `${later} after ${first}`);
  assert.ok(Date.parse(later) <= Date.now());
});
