// The API under a login flood: the latency of an authenticated GET /api/registry/v1alpha1/apps while wrong
// passwords are posted to drg serve's login form as fast as possible, against the same GET without the flood in
// the same run. Two floods: from one address (the per-client throttle soon refuses it unchecked), and from 64
// loopback addresses with a new user name each time (every attempt is checked or finds the queue full: the
// password threads stay saturated, the event loop must not). For reference, the same GET under a flood of
// anonymous GET /.well-known/drogue-version with as many connections: what any flood costs the one event loop.
import { createHash, randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { Worker } from 'node:worker_threads';
import { median, report, startServe } from './lib.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const FLOOD_CONNECTIONS = 32;
const FLOOD_ADDRESSES = 64;
const GET_PATH = '/api/registry/v1alpha1/apps';

/** A GET; resolves with the status once the body is read. */
function get(url, headers, agent) {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sequential GETs for `ms` (or `count` of them); the latency of each in ms. */
async function sampleGets(server, { ms, count }) {
  const agent = new Agent({ keepAlive: true });
  const url = `${server.url}${GET_PATH}`;
  const headers = { authorization: server.authorization };
  const times = [];
  const end = Date.now() + (ms ?? Number.POSITIVE_INFINITY);
  while (Date.now() < end && times.length < (count ?? Number.POSITIVE_INFINITY)) {
    const start = process.hrtime.bigint();
    const status = await get(url, headers, agent);
    if (status !== 200) throw new Error(`GET ${GET_PATH}: ${status}`);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  agent.destroy();
  return times;
}

/** Starts a login as drg does (code + PKCE) and returns the login form's action with the browser's cookies. */
async function openLoginForm(issuer) {
  const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
  let url = new URL(`${issuer}/auth`);
  url.search = new URLSearchParams({
    client_id: 'drogue',
    response_type: 'code',
    redirect_uri: 'http://127.0.0.1:53682/',
    scope: 'openid',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'bench',
  }).toString();
  const cookies = new Map();
  const cookie = () => [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  let res;
  for (let hop = 0; hop < 5; hop++) {
    res = await fetch(url, { redirect: 'manual', headers: { cookie: cookie() } });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    if (res.status < 300 || res.status >= 400) break;
    url = new URL(res.headers.get('location'), url);
  }
  const action = /<form method="post" action="([^"]+)"/.exec(await res.text())?.[1];
  if (!action) throw new Error(`no login form (HTTP ${res.status})`);
  return { action: new URL(action.replace(/&amp;/g, '&'), url), cookie: cookie() };
}

/** Starts a flood (bench/login-flood.mjs) of GETs of `url`, or of wrong passwords on the `login` form. */
function flood({ url, login, addresses = ['127.0.0.1'] }) {
  const worker = new Worker(new URL('./login-flood.mjs', import.meta.url), {
    workerData: { connections: FLOOD_CONNECTIONS, addresses, url: String(url), login },
  });
  const statuses = new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    async stop() {
      worker.postMessage('stop');
      return statuses;
    },
  };
}

/** A login form of its own, to flood with wrong passwords. */
async function loginFlood(server, addresses) {
  const form = await openLoginForm(`${server.url}/oidc`);
  return flood({ url: form.action, login: { cookie: form.cookie }, addresses });
}

/** The median latency of the GET while `load` runs. */
async function underFlood(server, load) {
  const times = await sampleGets(server, { ms: SECONDS * 1000 });
  const statuses = await load.stop();
  const answered = Object.values(statuses).reduce((a, b) => a + b, 0);
  const byStatus = Object.entries(statuses)
    .map(([status, n]) => `${n} × ${status}`)
    .join(', ');
  console.log(`  flood: ${answered} requests in ${SECONDS} s (${byStatus}); ${times.length} GETs sampled`);
  return median(times);
}

export async function benchLogin() {
  const server = await startServe();
  try {
    await sampleGets(server, { count: 200 });
    const baseline = median(await sampleGets(server, { ms: SECONDS * 1000 }));
    report('GET apps, no flood', baseline, 'ms');

    const anyFlood = await underFlood(server, flood({ url: `${server.url}/.well-known/drogue-version` }));
    report(`GET apps, ${FLOOD_CONNECTIONS} connections of GET version`, anyFlood, 'ms', baseline, 'no flood');
    // Refused at once (429) after the first failures: the cost of any flood of cheap requests.
    const oneClient = await underFlood(server, await loginFlood(server));
    report('GET apps, login flood from 1 address', oneClient, 'ms', baseline, 'no flood');
    // Every password thread busy all the time (before the pool: 0.8 ms became 6 s, as bcrypt ran on the event loop).
    const addresses = Array.from({ length: FLOOD_ADDRESSES }, (_, i) => `127.0.1.${i + 1}`);
    const manyClients = await underFlood(server, await loginFlood(server, addresses));
    report(`GET apps, login flood from ${FLOOD_ADDRESSES} addresses`, manyClients, 'ms', baseline, 'no flood', {
      text: '<= 3x',
      met: (v, b) => v <= 3 * b,
    });
  } finally {
    await server.stop();
  }
}
