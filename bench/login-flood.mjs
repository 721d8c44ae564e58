// The flood of bench/login.mjs, on a worker thread of its own so that the GETs it measures are not also delayed
// by the bench's own event loop: FLOOD_CONNECTIONS requests in flight until told to stop, then the count of
// answers by status is posted back.
import { Agent, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

const { connections, addresses, url, login } = workerData;
const agents = addresses.map((localAddress) => new Agent({ keepAlive: true, localAddress }));
const statuses = {};
let next = 0;
let running = true;
parentPort.once('message', () => {
  running = false;
});

/** A GET of `url`, or with `login`, a wrong password for a new user name each time. */
function requestOf(n) {
  if (!login) return { method: 'GET', headers: {} };
  const body = new URLSearchParams({ username: `user${n}`, password: `wrong password ${n}` }).toString();
  return {
    method: 'POST',
    headers: {
      cookie: login.cookie,
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': Buffer.byteLength(body),
    },
    body,
  };
}

function send(n) {
  const { body, ...init } = requestOf(n);
  return new Promise((resolve, reject) => {
    const req = request(url, { ...init, agent: agents[n % agents.length] }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(body);
  });
}

await Promise.all(
  Array.from({ length: connections }, async () => {
    while (running) {
      const status = await send(next++);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  }),
);
for (const agent of agents) agent.destroy();
parentPort.postMessage(statuses);
