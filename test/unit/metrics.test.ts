// GET /metrics: Prometheus text format with the data plane's counters and the event log's figures.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { basic } from '../helpers/config.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
  await s.call('POST', '/api/registry/v1alpha1/apps', { metadata: { name: 'app1' } });
  await s.call('POST', '/api/registry/v1alpha1/apps/app1/devices', {
    metadata: { name: 'd1', application: 'app1' },
    spec: { authentication: { credentials: [{ pass: 'p' }] } },
  });
});
after(() => s.close());

function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  assert.ok(line, `${series} in:\n${text}`);
  return Number(line.split(' ')[1]);
}

test('counts accepted and refused device messages and the events appended', async () => {
  const scrape = async () => {
    const res = await fetch(`${s.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return res.text();
  };
  const before = await scrape();
  for (const password of ['p', 'p', 'wrong']) {
    await fetch(`${s.url}/v1/t`, {
      method: 'POST',
      headers: { authorization: basic('d1@app1', password) },
      body: Buffer.from('1'),
    });
  }
  const after = await scrape();
  assert.match(after, /# TYPE drg_device_messages_total counter/);
  const delta = (series: string) => value(after, series) - value(before, series);
  assert.equal(delta('drg_device_messages_total{protocol="http"}'), 2);
  assert.equal(delta('drg_device_messages_refused_total{protocol="http"}'), 1);
  assert.equal(delta('drg_events_appended_total'), 2);
  assert.ok(value(after, 'drg_events_retained') >= 2);
});
