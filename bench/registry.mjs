// Registry throughput over HTTP against drg serve, each figure beside a bare node:http baseline
// (same load generator, same machine, same run): device creates/s, device GETs/s, a 10,000-device
// label-selector listing; and 30 parallel listings of 10,000 larger devices (21 MB each), with the server's memory
// and a device GET's time meanwhile, beside the same measures on the idle server.
import { createServer } from 'node:http';
import { Worker } from 'node:worker_threads';
import autocannon from 'autocannon';
import { median, report, rssMb, startServe } from './lib.mjs';

const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 16;

function load(opts) {
  return autocannon({ connections: CONNECTIONS, duration: DURATION, ...opts });
}

function checked(result, what) {
  const failures = result.non2xx + result.errors + result.timeouts;
  if (failures > 0)
    throw new Error(`${what}: ${failures} failed requests (non2xx ${result.non2xx}, errors ${result.errors})`);
  return result.requests.average;
}

/** The baseline: node's own HTTP server answering a small JSON document, reading any body first. */
async function startBaseline() {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
      res.end(req.method === 'POST' ? '' : '{"metadata":{"name":"d"}}');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

export async function benchRegistry() {
  const baseline = await startBaseline();
  const baseGet = checked(await load({ url: `${baseline.url}/x` }), 'baseline GET');
  const basePost = checked(
    await load({
      url: `${baseline.url}/x`,
      method: 'POST',
      body: '{"metadata":{"name":"[<id>]"}}',
      idReplacement: true,
    }),
    'baseline POST',
  );
  await baseline.close();

  const server = await startServe();
  const headers = { authorization: server.authorization, 'content-type': 'application/json' };
  const api = `${server.url}/api/registry/v1alpha1`;
  try {
    let res = await fetch(`${api}/apps`, { method: 'POST', headers, body: '{"metadata":{"name":"bench"}}' });
    if (res.status !== 201) throw new Error(`create app: ${res.status}`);

    const creates = checked(
      await load({
        url: `${api}/apps/bench/devices`,
        method: 'POST',
        headers,
        body: '{"metadata":{"name":"dev-[<id>]","labels":{"bench":"create"}},"spec":{"credentials":{"credentials":[{"pass":"secret"}]}}}',
        idReplacement: true,
      }),
      'device creates',
    );
    report('device creates', creates, 'req/s', basePost, 'bare node:http POST', {
      text: '>= 3,000/s',
      met: (v) => v >= 3000,
    });

    res = await fetch(`${api}/apps/bench/devices`, {
      method: 'POST',
      headers,
      body: '{"metadata":{"name":"probe"},"spec":{}}',
    });
    if (res.status !== 201) throw new Error(`create probe: ${res.status}`);
    const gets = checked(await load({ url: `${api}/apps/bench/devices/probe`, headers }), 'device GETs');
    report('device GETs', gets, 'req/s', baseGet, 'bare node:http GET', {
      text: '>= 10,000/s',
      met: (v) => v >= 10000,
    });

    // A second application with exactly 10,000 devices, 5,000 of them labelled tier=gold.
    await createDevices(api, headers, 'fleet', 10_000, (i) => ({
      metadata: { name: `d${i}`, labels: { tier: i % 2 === 0 ? 'gold' : 'silver', n: String(i) } },
      spec: {},
    }));

    const times = [];
    let count = 0;
    for (let i = 0; i < 15; i++) {
      const start = process.hrtime.bigint();
      const r = await fetch(`${api}/apps/fleet/devices?labels=${encodeURIComponent('tier in (gold),n')}`, { headers });
      const body = await r.json();
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
      count = body.length;
    }
    if (count !== 5000) throw new Error(`selector listing returned ${count} devices, expected 5,000`);
    const all = [];
    for (let i = 0; i < 15; i++) {
      const start = process.hrtime.bigint();
      const r = await fetch(`${api}/apps/fleet/devices`, { headers });
      const body = await r.json();
      all.push(Number(process.hrtime.bigint() - start) / 1e6);
      if (body.length !== 10_000) throw new Error(`full listing returned ${body.length}`);
    }
    report('list 10,000 devices, selector (5,000 match)', median(times), 'ms', median(all), 'unfiltered listing', {
      text: '< 150 ms',
      met: (v) => v < 150,
    });

    // A third one, listed whole: 10,000 devices of about 2 KB.
    const notes = 'n'.repeat(2000);
    await createDevices(api, headers, 'large', 10_000, (i) => ({ metadata: { name: `d${i}` }, spec: { notes } }));
    await parallelListings(server, `${api}/apps/large/devices`, headers);
  } finally {
    await server.stop();
  }
}

/** Creates the application `app` with `count` devices, `device(i)` each. */
async function createDevices(api, headers, app, count, device) {
  const res = await fetch(`${api}/apps`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ metadata: { name: app } }),
  });
  if (res.status !== 201) throw new Error(`create app ${app}: ${res.status}`);
  let next = 0;
  await new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${api}/apps/${app}/devices`,
        connections: CONNECTIONS,
        amount: count,
        method: 'POST',
        headers,
        requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify(device(next++)) }) }],
      },
      (err, result) =>
        err ? reject(err) : result.non2xx ? reject(new Error(`creates in ${app} failed`)) : resolve(result),
    );
    instance.on('error', reject);
  });
}

/** The resident memory of process `pid` in MB (Linux). */
async function timedGet(url, headers) {
  const start = process.hrtime.bigint();
  const res = await fetch(url, { headers });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * 30 full listings of `devicesUrl` at once (as one review's load): the server's peak memory during them beside
 * its memory before, the slowest of the device GETs sent one after another meanwhile beside an idle GET, and the
 * time until all are done beside one listing alone.
 */
async function parallelListings(server, devicesUrl, headers) {
  const deviceUrl = `${devicesUrl}/d1`;
  const idle = [];
  for (let i = 0; i < 20; i++) idle.push(await timedGet(deviceUrl, headers));
  const alone = [];
  for (let i = 0; i < 5; i++) alone.push(await timedGet(devicesUrl, headers));
  const whole = await (await fetch(devicesUrl, { headers })).arrayBuffer();
  if (JSON.parse(Buffer.from(whole).toString()).length !== 10_000) throw new Error('the large listing is incomplete');
  const idleRss = rssMb(server.pid);
  let peakRss = idleRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, rssMb(server.pid));
  }, 5);
  const start = process.hrtime.bigint();
  // A thread of its own reads the listings (counting their bytes), so that reading them delays no GET here.
  const reader = new Worker(
    `const { parentPort, workerData: { url, headers, bytes } } = require('node:worker_threads');
     Promise.all(Array.from({ length: 30 }, async () => {
       const res = await fetch(url, { headers });
       let received = 0;
       for await (const chunk of res.body) received += chunk.length;
       if (res.status !== 200 || received !== bytes) throw new Error('listing: ' + res.status + ', ' + received + ' bytes');
     })).then(() => parentPort.postMessage('listed'));`,
    { eval: true, workerData: { url: devicesUrl, headers, bytes: whole.byteLength } },
  );
  let listed = false;
  const listings = new Promise((resolve, reject) => {
    reader.once('message', resolve);
    reader.once('error', reject);
  }).finally(() => {
    listed = true;
  });
  const busy = [];
  while (!listed) busy.push(await timedGet(deviceUrl, headers));
  await listings;
  const allMs = Number(process.hrtime.bigint() - start) / 1e6;
  clearInterval(sampler);
  await reader.terminate();
  const mb = Math.round(whole.byteLength / 1e6);
  report(`30 parallel ${mb} MB listings: server RSS peak`, peakRss, 'MB', idleRss, 'RSS before', {
    text: '< 1.5x',
    met: (v, b) => v / b < 1.5,
  });
  report('device GET during them (slowest)', Math.max(...busy), 'ms', median(idle), 'idle GET', {
    text: '< 100 ms',
    met: (v) => v < 100,
  });
  report('30 parallel listings: all done', allMs, 'ms', median(alone), 'one listing alone');
}
