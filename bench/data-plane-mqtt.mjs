// MQTT through drg serve (devices → event log → MQTT integration consumer) against the same load through Mosquitto 2
// on loopback, in the same run: QoS 0 and QoS 1 messages/s from DEVICES devices to one consumer, counted at the
// consumer until every message arrived (messages / time from the first publish to the last receipt; the median of
// ROUNDS runs of each, in turns); and the end-to-end latency of QoS 1 messages sent at a fixed rate, the send time in
// the payload, received in this process.
import { spawn } from 'node:child_process';
import mqtt from 'mqtt';
import {
  DEVICE_PASSWORD,
  lineCounter,
  now,
  percentile,
  registryOf,
  SECONDS,
  startMosquitto,
  until,
} from './data-plane-lib.mjs';
import { median, report, startServe } from './lib.mjs';

const DEVICES = 4;
/** Runs of each throughput, in turns (Mosquitto, drg serve, ...), so that what else the machine does weighs on both. */
const ROUNDS = 3;
/** QoS 0 messages of a run, from all devices (mosquitto_pub gives no backpressure: a count, not a duration). */
const QOS0_MESSAGES = Math.ceil((20_000 * SECONDS) / ROUNDS);
/** How long the devices publish in a QoS 1 run. */
const QOS1_MS = (SECONDS * 1000) / ROUNDS;
/** QoS 1 PUBLISHes of one device awaiting their PUBACK. */
const WINDOW = 32;
const LATENCY_RATE = 1000;

/** drg serve as the path: devices `d<i>@<app>`, the consumer on its MQTT integration, events in structured mode. */
function drgPath(server, app) {
  const { mqtt: device, mqttIntegration: integration } = server.endpoints;
  return {
    name: 'drg serve',
    device: (i) => ({
      host: device.host,
      port: device.port,
      clientId: `d${i}`,
      username: `d${i}@${app}`,
      password: DEVICE_PASSWORD,
      topic: 'telemetry',
    }),
    consumer: {
      host: integration.host,
      port: integration.port,
      username: server.user.name,
      password: server.user.token,
      topic: `app/${app}`,
    },
    data: (message) => JSON.parse(message).data,
  };
}

/** Mosquitto as the path: devices publish `<app>/d<i>/telemetry`, the consumer subscribes `<app>/#`. */
function mosquittoPath(broker, app) {
  const at = { host: broker.host, port: broker.port };
  return {
    name: 'Mosquitto',
    device: (i) => ({ ...at, clientId: `d${i}`, topic: `${app}/d${i}/telemetry` }),
    consumer: { ...at, topic: `${app}/#` },
    data: (message) => JSON.parse(message),
  };
}

function clientArgs({ host, port, clientId, username, password }) {
  return [
    '-h',
    host,
    '-p',
    String(port),
    '-i',
    clientId,
    '-V',
    'mqttv311',
    ...(username ? ['-u', username] : []),
    ...(password ? ['-P', password] : []),
  ];
}

function connectClient({ host, port, clientId, username, password }) {
  return mqtt.connectAsync(`mqtt://${host}:${port}`, {
    clientId,
    username,
    password,
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 0,
  });
}

/**
 * Until the consumer has seen a warm-up message from each sender (sent again every 100 ms, since the consumer's
 * subscription may not be in place yet), and then nothing more for 300 ms: the path works and every client is
 * connected. Returns the consumer's count then.
 */
async function warmUp(counter, senders) {
  const seen = new Set();
  counter.onLine = (line) => {
    const match = /"warmup":(\d+)/.exec(line);
    if (match) seen.add(Number(match[1]));
  };
  const deadline = now() + 15_000;
  while (seen.size < senders.length) {
    if (now() > deadline || counter.exited) {
      throw new Error(`warm-up: ${seen.size} of ${senders.length} senders got through (${counter.stderr().trim()})`);
    }
    for (const [i, send] of senders.entries()) if (!seen.has(i)) send(`{"warmup":${i}}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  counter.onLine = undefined;
  let count = -1;
  while (count !== counter.count) {
    count = counter.count;
    await new Promise((r) => setTimeout(r, 300));
  }
  return count;
}

/**
 * Gives a mosquitto_pub `count` `{"n":..}` lines at once (its stdin stays open: at its end, mosquitto_pub drops the
 * QoS 0 messages it has not sent yet); returns `count`.
 */
function feed(stdin, count) {
  let lines = '';
  for (let i = 0; i < count; i++) lines += `{"n":${i}}\n`;
  stdin.write(lines);
  return count;
}

/** Publishes QoS 1 messages with at most WINDOW awaiting their PUBACK, until `end`; resolves with how many. */
function pump(client, topic, end) {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let inflight = 0;
    const acked = (err) => {
      if (err) return reject(err);
      inflight--;
      fill();
    };
    const fill = () => {
      while (inflight < WINDOW && now() < end) {
        inflight++;
        client.publish(topic, `{"n":${sent++}}`, { qos: 1 }, acked);
      }
      if (inflight === 0) resolve(sent);
    };
    fill();
  });
}

/** Messages/s from DEVICES devices at `qos` to one consumer through `path`. */
async function throughput(path, qos) {
  const consumer = lineCounter([
    ...clientArgs({ ...path.consumer, clientId: `bench-consumer-${path.consumer.topic.replace(/\W/g, '-')}` }),
    '-t',
    path.consumer.topic,
    '-q',
    String(qos),
  ]);
  const devices = Array.from({ length: DEVICES }, (_, i) => path.device(i));
  let publishers;
  let senders;
  if (qos === 0) {
    // mosquitto_pub -l: one message per line of its stdin.
    publishers = devices.map((d) =>
      spawn('mosquitto_pub', [...clientArgs(d), '-t', d.topic, '-q', '0', '-l'], {
        stdio: ['pipe', 'ignore', 'inherit'],
      }),
    );
    senders = publishers.map((p) => (line) => p.stdin.write(`${line}\n`));
  } else {
    publishers = await Promise.all(devices.map(connectClient));
    senders = publishers.map((c, i) => (line) => c.publish(devices[i].topic, line, { qos: 1 }));
  }
  try {
    const base = await warmUp(consumer, senders);
    const start = now();
    const end = start + QOS1_MS;
    const counts = await Promise.all(
      qos === 0
        ? publishers.map((p) => feed(p.stdin, Math.ceil(QOS0_MESSAGES / DEVICES)))
        : publishers.map((c, i) => pump(c, devices[i].topic, end)),
    );
    const total = counts.reduce((a, b) => a + b, 0);
    await until(() => consumer.count >= base + total, `${path.name} QoS ${qos}: ${total} messages`, {
      progress: () => consumer.count,
    });
    const rate = total / ((consumer.lastAt - start) / 1000);
    // Checked before the devices go (drg serve's disconnect events would be counted too).
    await new Promise((r) => setTimeout(r, 100));
    if (consumer.count !== base + total) {
      throw new Error(`${path.name} QoS ${qos}: ${consumer.count - base} messages received, ${total} sent`);
    }
    if (qos === 0) {
      for (const p of publishers) p.stdin.end();
      const codes = await Promise.all(publishers.map((p) => p.exitCode ?? new Promise((r) => p.once('exit', r))));
      if (codes.some((c) => c !== 0)) throw new Error(`mosquitto_pub exited with ${codes.join(', ')}`);
    }
    return rate;
  } finally {
    if (qos === 0) for (const p of publishers) p.kill();
    else await Promise.all(publishers.map((c) => c.endAsync()));
    await consumer.stop();
  }
}

/** p50 and p99 in ms of QoS 1 messages sent at LATENCY_RATE/s for SECONDS, from one device to one consumer. */
async function latency(path) {
  const device = path.device(0);
  const consumer = await connectClient({ ...path.consumer, clientId: 'bench-latency-consumer' });
  const client = await connectClient(device);
  try {
    const latencies = [];
    let warm = false;
    consumer.on('message', (_topic, message) => {
      const arrived = now();
      const data = path.data(message);
      // drg serve also sends the device's connection events.
      if (data.warmup !== undefined) warm = true;
      else if (data.t !== undefined) latencies.push(arrived - data.t);
    });
    await consumer.subscribeAsync(path.consumer.topic, { qos: 1 });
    while (!warm) {
      client.publish(device.topic, '{"warmup":0}', { qos: 1 });
      await new Promise((r) => setTimeout(r, 100));
    }
    const total = LATENCY_RATE * SECONDS;
    const start = now();
    let sent = 0;
    await new Promise((resolve) => {
      const tick = () => {
        const due = Math.min(total, Math.floor(((now() - start) * LATENCY_RATE) / 1000) + 1);
        for (; sent < due; sent++) client.publish(device.topic, `{"i":${sent},"t":${now()}}`, { qos: 1 });
        if (sent < total) setTimeout(tick, 1);
        else resolve();
      };
      tick();
    });
    await until(() => latencies.length >= total, `${path.name} latency: ${total} messages`, {
      progress: () => latencies.length,
    });
    latencies.sort((a, b) => a - b);
    return { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
  } finally {
    await Promise.all([client.endAsync(), consumer.endAsync()]);
  }
}

export async function benchMqtt() {
  const broker = await startMosquitto();
  const server = await startServe();
  try {
    const { mqtt: device, mqttIntegration } = server.endpoints;
    const served = device && mqttIntegration;
    if (!served) {
      const missing = [device ? '' : 'an MQTT device endpoint', mqttIntegration ? '' : 'an MQTT integration'];
      console.log(`MQTT through drg serve: not measured: it serves no ${missing.filter(Boolean).join(' and no ')}`);
    }
    const registry = registryOf(server);
    let apps = 0;
    /** An application of its own for each run (with DEVICES devices): no run sees another's events. */
    const freshApp = async () => {
      const app = `run${apps++}`;
      await registry.createApp(app);
      await registry.createDevices(app, DEVICES);
      return app;
    };
    const share = { text: '>= 40% of Mosquitto', met: (v, b) => v >= 0.4 * b };
    for (const qos of [0, 1]) {
      const base = [];
      const drg = [];
      for (let round = 0; round < ROUNDS; round++) {
        base.push(await throughput(mosquittoPath(broker, `q${qos}r${round}`), qos));
        if (served) drg.push(await throughput(drgPath(server, await freshApp()), qos));
      }
      if (served) report(`MQTT QoS ${qos} through drg serve`, median(drg), 'msg/s', median(base), 'Mosquitto', share);
      else report(`MQTT QoS ${qos} through Mosquitto`, median(base), 'msg/s');
    }
    const base = await latency(mosquittoPath(broker, 'latency'));
    const label = `MQTT QoS 1 latency at ${LATENCY_RATE.toLocaleString('en-US')} msg/s`;
    if (served) {
      const { p50, p99 } = await latency(drgPath(server, await freshApp()));
      report(`${label}, p50`, p50, 'ms', base.p50, 'Mosquitto');
      report(`${label}, p99`, p99, 'ms', base.p99, 'Mosquitto', { text: '< 20 ms', met: (v) => v < 20 });
    } else {
      report(`${label} through Mosquitto, p99`, base.p99, 'ms');
    }
  } finally {
    await server.stop();
    await broker.stop();
  }
}
