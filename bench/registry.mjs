// Registry throughput over HTTP against drg serve, each figure beside a bare node:http baseline
// (same load generator, same machine, same run): device creates/s, device GETs/s, a 10,000-device
// label-selector listing.
import { createServer } from 'node:http';
import autocannon from 'autocannon';
import { median, report, startServe } from './lib.mjs';

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
    res = await fetch(`${api}/apps`, { method: 'POST', headers, body: '{"metadata":{"name":"fleet"}}' });
    if (res.status !== 201) throw new Error(`create fleet app: ${res.status}`);
    let next = 0;
    await new Promise((resolve, reject) => {
      const instance = autocannon(
        {
          url: `${api}/apps/fleet/devices`,
          connections: CONNECTIONS,
          amount: 10_000,
          method: 'POST',
          headers,
          requests: [
            {
              setupRequest: (req) => {
                const i = next++;
                const tier = i % 2 === 0 ? 'gold' : 'silver';
                return {
                  ...req,
                  body: JSON.stringify({ metadata: { name: `d${i}`, labels: { tier, n: String(i) } }, spec: {} }),
                };
              },
            },
          ],
        },
        (err, result) =>
          err ? reject(err) : result.non2xx ? reject(new Error('fleet creates failed')) : resolve(result),
      );
      instance.on('error', reject);
    });

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
  } finally {
    await server.stop();
  }
}
