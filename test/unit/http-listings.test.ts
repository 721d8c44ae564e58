// Listings are streamed: a list without `limit` still has everything (as drg 0.11 expects), sent in pieces as the
// client reads them; only so many are sent at once (the others wait, then get 503 with Retry-After), and a client
// that stops reading is disconnected, which gives its turn to the next.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ListingGate, listingBody } from '../../src/server-lite/http/listings.js';
import { openSocket } from '../helpers/raw-http.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const DEVICES = '/api/registry/v1alpha1/apps/fleet/devices';
const INACTIVITY_TIMEOUT_MS = 3_000;
/** 30 devices of about 1,000,000 characters: more than the socket buffers hold for a client that stops reading. */
const DEVICE_COUNT = 30;
const BLOB = 'x'.repeat(1_000_000);

let s: TestServer;
before(async () => {
  s = await startTestServer(undefined, {
    listings: { concurrency: 1, waitMs: 500 },
    http: { inactivityTimeoutMs: INACTIVITY_TIMEOUT_MS },
  });
  assert.equal((await call('POST', '/api/registry/v1alpha1/apps', { metadata: { name: 'fleet' } })).status, 201);
  for (let i = 0; i < DEVICE_COUNT; i++) {
    const name = `d${String(i).padStart(2, '0')}`;
    const res = await call('POST', DEVICES, {
      metadata: { name, labels: { even: String(i % 2 === 0) } },
      spec: { blob: BLOB },
    });
    assert.equal(res.status, 201);
  }
});
after(() => s.close());

const call = (method: string, path: string, body?: unknown) => s.call(method, path, body);

async function names(path: string): Promise<string[]> {
  const res = await call('GET', path);
  assert.equal(res.status, 200);
  return (await res.json()).map((d: { metadata: { name: string } }) => d.metadata.name);
}

/** A listing request whose client reads the start of the response, then stops reading. */
async function stalledListing() {
  const socket = await openSocket(s.url);
  await new Promise<void>((resolve) => {
    socket.once('data', () => {
      socket.pause();
      resolve();
    });
    socket.write(`GET ${DEVICES} HTTP/1.1\r\nHost: drg\r\nAuthorization: ${s.authorization}\r\n\r\n`);
  });
  return socket;
}

test('a listing without limit has everything, streamed in pieces; with limit and offset, its pages', async () => {
  const res = await call('GET', DEVICES);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('transfer-encoding'), 'chunked');
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const all = (await res.json()) as Array<{ metadata: { name: string }; spec: { blob: string } }>;
  const expected = Array.from({ length: DEVICE_COUNT }, (_, i) => `d${String(i).padStart(2, '0')}`);
  assert.deepEqual(
    all.map((d) => d.metadata.name),
    expected,
  );
  assert.ok(all.every((d) => d.spec.blob === BLOB));
  assert.deepEqual(await names(`${DEVICES}?limit=4&offset=27`), expected.slice(27));
  assert.deepEqual(
    await names(`${DEVICES}?labels=even%3Dtrue&offset=10`),
    expected.filter((_, i) => i % 2 === 0).slice(10),
  );
});

test('while a listing holds the only turn, others get 503 with Retry-After, and other requests are served', async () => {
  const stalled = await stalledListing();
  try {
    const refused = await call('GET', DEVICES);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.deepEqual(await refused.json(), {
      error: 'ServiceUnavailable',
      message: 'too many listings are being sent right now; retry in a moment',
    });
    const device = await call('GET', `${DEVICES}/d07`);
    assert.equal(device.status, 200);
    assert.equal((await device.json()).metadata.name, 'd07');
  } finally {
    stalled.destroy();
  }
  // The turn went back with the connection.
  assert.equal((await names(DEVICES)).length, DEVICE_COUNT);
});

test('a client that stops reading is disconnected after the inactivity timeout, which frees its turn', async () => {
  const stalled = await stalledListing();
  try {
    const line = await s.waitForLog(/closed a connection on which nothing moved for 3000 ms/);
    assert.equal(JSON.parse(line).path, DEVICES);
    assert.equal((await names(DEVICES)).length, DEVICE_COUNT);
  } finally {
    stalled.destroy();
  }
});

test('the gate gives turns in order of arrival, and none past the wait', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const gate = new ListingGate({ concurrency: 2, waitMs: 1_000 });
  const first = await gate.enter();
  const second = await gate.enter();
  const order: string[] = [];
  const third = gate.enter().then((release) => {
    order.push('third');
    return release;
  });
  const fourth = gate.enter().then((release) => {
    order.push('fourth');
    return release;
  });
  first!();
  first!(); // a second call gives nothing back
  const thirdRelease = await third;
  assert.ok(thirdRelease);
  assert.deepEqual(order, ['third']);
  t.mock.timers.tick(1_000);
  assert.equal(await fourth, undefined);
  second!();
  thirdRelease();
  // Both turns are free again.
  assert.ok(await gate.enter());
  assert.ok(await gate.enter());
});

test('a listing’s pieces come an event-loop turn apart, so other requests are read between them', async () => {
  let turned = false;
  setImmediate(() => {
    turned = true;
  });
  const seen: Array<[string, boolean]> = [];
  for await (const chunk of listingBody(['[', '{"a":1}', ',{"b":2}', ']'])) seen.push([String(chunk), turned]);
  assert.equal(seen.map(([text]) => text).join(''), '[{"a":1},{"b":2}]');
  assert.deepEqual(seen[0], ['[', false]);
  assert.equal(seen.at(-1)![1], true);
});
