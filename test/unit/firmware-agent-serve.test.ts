// The agent inside drg serve, over real HTTP: a report it cannot read gets no answer and becomes an error event in
// the application's stream (once per device and interval, without the payload); a good report still gets its answer;
// /metrics counts them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCommand, encodeStatus } from '../../src/dfu/codec.js';
import { FIRMWARE_ERROR_TYPE } from '../../src/model/cloudevents.js';
import { recordEvents } from '../helpers/events.js';
import { startTestServer } from '../helpers/server.js';

test('a malformed report is an error event, and the agent goes on answering', async (t) => {
  const s = await startTestServer(undefined, { firmwareAgent: { waitPoll: 7 } });
  t.after(() => s.close());
  assert.equal((await s.call('POST', '/api/registry/v1alpha1/apps', { metadata: { name: 'fw' } })).status, 201);
  const spec = { authentication: { credentials: [{ pass: 'pw' }] } };
  for (const name of ['d1', 'd2']) {
    const created = await s.call('POST', '/api/registry/v1alpha1/apps/fw/devices', { metadata: { name }, spec });
    assert.equal(created.status, 201);
  }
  const events = recordEvents(s.server.events, 'fw', { filter: (e) => e.type === FIRMWARE_ERROR_TYPE });
  t.after(() => events.close());
  const report = (body: Uint8Array, type: string, ct = 0, device = 'd1') =>
    fetch(`${s.url}/v1/dfu${ct ? `?ct=${ct}` : ''}`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${device}@fw:pw`).toString('base64')}`, 'content-type': type },
      body: new Uint8Array(body),
    });

  const garbage = Buffer.from([0xa4, 0x00, 0x45, 0x30, 0xde, 0xad]);
  assert.equal((await report(garbage, 'application/cbor')).status, 202);
  const event = await events.next();
  assert.equal(event.subject, 'dfu');
  assert.equal(event.device, 'd1');
  assert.match(String((event.data as { error: string }).error), /^malformed DFU report: /);
  assert.ok(!JSON.stringify(event.data).includes('dead'), 'no payload dump');

  const { payload, contentType } = encodeStatus({ version: '1.0.0' }, 'packed');
  const answered = await report(payload, contentType, 5);
  assert.equal(answered.status, 200);
  assert.equal(answered.headers.get('command'), 'dfu');
  const { command } = decodeCommand(
    new Uint8Array(await answered.arrayBuffer()),
    answered.headers.get('content-type') ?? '',
  );
  assert.deepEqual(command, { op: 'wait', poll: 7 }, 'no firmware for it: it waits');

  assert.equal((await report(garbage, 'application/cbor')).status, 202);
  assert.equal((await report(garbage, 'application/cbor', 0, 'd2')).status, 202);
  assert.equal((await events.next()).device, 'd2', "d1's second problem within the interval is no event; d2's is");
  const metrics = await (await fetch(`${s.url}/metrics`)).text();
  assert.match(metrics, /^drg_firmware_reports_total 4$/m);
  assert.match(metrics, /^drg_firmware_answers_total\{op="wait"\} 1$/m);
  assert.match(metrics, /^drg_firmware_problems_total 3$/m);
});
