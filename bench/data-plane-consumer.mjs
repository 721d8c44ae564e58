// A WebSocket integration consumer on a thread of its own (so that it does not share one with the load generator):
// counts the frames and writes each one's arrival time (performance.timeOrigin-based ms) into shared memory.
import { parentPort, workerData } from 'node:worker_threads';
import WebSocket from 'ws';

const { url, authorization, shared } = workerData;
const count = new Int32Array(shared, 0, 1);
const times = new Float64Array(shared, 8);
const socket = new WebSocket(url, { headers: { authorization } });
let warm = false;
socket.on('message', (data) => {
  const n = count[0];
  if (n < times.length) times[n] = performance.timeOrigin + performance.now();
  Atomics.store(count, 0, n + 1);
  // Parsed only until warm: a counter parsing every event would take CPU from the server it measures.
  if (!warm && (n === 0 || JSON.parse(data).data?.warmup !== undefined)) {
    warm = true;
    parentPort.postMessage('warm');
  }
});
socket.once('open', () => parentPort.postMessage('open'));
socket.once('error', (err) => parentPort.postMessage(`error: ${err.message}`));
socket.once('unexpected-response', (_req, res) =>
  parentPort.postMessage(`error: WebSocket integration: ${res.statusCode}`),
);
parentPort.on('message', (message) => {
  if (message === 'close') socket.terminate();
});
