// drg serve's resident memory with IDLE_DEVICES connected idle MQTT devices (raw TCP sockets sending an MQTT 3.1.1
// CONNECT made by mqtt-packet, keep-alive 0, each waiting for its CONNACK), against the same server's before they
// connect (its devices already created), in the same run.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { generate } from 'mqtt-packet';
import { DEVICE_PASSWORD, now, registryOf } from './data-plane-lib.mjs';
import { report, rssMb, startServe } from './lib.mjs';

const IDLE_DEVICES = 10_000;
const APP = 'idle';
/** CONNECTs awaiting their CONNACK at once. */
const CONCURRENCY = 100;
/** File descriptors a process needs beside its connections. */
const FD_MARGIN = 200;

/** The soft limit of open files of process `pid` (Linux). */
function openFilesLimit(pid) {
  const limit = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))[1];
  return limit === 'unlimited' ? Number.POSITIVE_INFINITY : Number(limit);
}

/** Connects device `d<i>`; resolves with its socket once an accepting CONNACK arrived. */
function connectDevice({ host, port }, i, onLost) {
  const packet = generate({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: true,
    keepalive: 0,
    clientId: `d${i}`,
    username: `d${i}@${APP}`,
    password: Buffer.from(DEVICE_PASSWORD),
  });
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port }, () => socket.write(packet));
    let received = Buffer.alloc(0);
    const onData = (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4) return;
      socket.off('data', onData);
      // CONNACK: 0x20, remaining length 2, flags, return code (0 = accepted).
      if (received[0] !== 0x20 || received[3] !== 0) {
        socket.destroy();
        reject(new Error(`device d${i}: CONNACK ${received.subarray(0, 4).toString('hex')}`));
        return;
      }
      socket.on('data', () => {});
      socket.once('close', onLost);
      resolve(socket);
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

export async function benchIdleDevices() {
  const server = await startServe();
  const sockets = [];
  try {
    const registry = registryOf(server);
    await registry.createApp(APP);
    await registry.createDevices(APP, IDLE_DEVICES);
    const target = Math.min(
      IDLE_DEVICES,
      openFilesLimit(process.pid) - FD_MARGIN,
      openFilesLimit(server.pid) - FD_MARGIN,
    );
    if (target < IDLE_DEVICES) {
      console.log(`only ${target} idle devices: the limit of open files (ulimit -n) allows no more`);
    }
    await new Promise((r) => setTimeout(r, 1000));
    const before = rssMb(server.pid);

    let lost = 0;
    let next = 0;
    const start = now();
    const connector = async () => {
      while (next < target) sockets.push(await connectDevice(server.endpoints.mqtt, next++, () => lost++));
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, connector));
    const connectMs = now() - start;
    await new Promise((r) => setTimeout(r, 2000));
    const after = rssMb(server.pid);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const connected = Number(/^drg_connected_devices (\d+)$/m.exec(metrics)?.[1]);
    if (lost > 0 || connected !== target) {
      throw new Error(`${target} devices connected, ${lost} of them closed since, the server counts ${connected}`);
    }
    const count = target.toLocaleString('en-US');
    report(`drg serve RSS with ${count} idle MQTT devices`, after, 'MB', before, 'the idle server', {
      text: '< 1 GiB',
      met: (v) => v < 1024,
    });
    report(`  per idle MQTT device`, ((after - before) * 1024) / target, 'KB');
    report(`  connecting ${count} MQTT devices (${CONCURRENCY} at a time)`, target / (connectMs / 1000), 'conn/s');
  } finally {
    for (const socket of sockets) socket.destroy();
    await server.stop();
  }
}
