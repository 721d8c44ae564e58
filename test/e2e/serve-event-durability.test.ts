// Acknowledged means durable: QoS 1 messages that drg serve acknowledged (PUBACK) survive a kill -9, and a consumer
// group that was created before them receives every one of them after the restart.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { WebSocket } from 'ws';
import type { Endpoints } from '../../src/model/endpoints.js';
import { basic } from '../helpers/config.js';
import { drg, localToken, ok, startServe, tempDir } from '../helpers/serve.js';

const APP = 'durable';
const GROUP = 'keeper';

async function endpointsOf(url: string): Promise<Endpoints> {
  return (await fetch(`${url}/.well-known/drogue-endpoints`)).json() as Promise<Endpoints>;
}

/** A WebSocket consumer of the group; `onEvent` gets every event's data. */
async function joinGroup(url: string, token: string, onEvent: (data: unknown) => void): Promise<WebSocket> {
  const { websocket_integration } = await endpointsOf(url);
  const socket = new WebSocket(`${websocket_integration!.url}${APP}/telemetry?group_id=${GROUP}`, {
    headers: { authorization: basic('admin', token) },
  });
  socket.on('message', (frame) => onEvent(JSON.parse(String(frame)).data));
  await once(socket, 'open');
  return socket;
}

test('every QoS 1 message acknowledged before kill -9 reaches the group after the restart', {
  timeout: 60_000,
}, async () => {
  const dataDir = `${tempDir('drg-durable-')}/data`;
  let serve = await startServe({ dataDir });
  const token = localToken(serve.configPath);
  ok(await drg(serve.configPath, ['create', 'app', APP]));
  ok(await drg(serve.configPath, ['create', 'device', 'd1', '--app', APP]));
  ok(await drg(serve.configPath, ['set', 'password', 'd1', 'pw', '--app', APP]));

  // The group is created (at the end of the log) and its position written by a clean stop.
  (await joinGroup(serve.url, token, () => {})).close();
  assert.equal(await serve.stop(), 0);
  serve = await startServe({ dataDir, configPath: serve.configPath });

  const { mqtt: endpoint } = await endpointsOf(serve.url);
  const client = await mqtt.connectAsync({
    host: endpoint!.host,
    port: endpoint!.port,
    username: `d1@${APP}`,
    password: 'pw',
    protocolVersion: 5,
    reconnectPeriod: 0,
  });
  client.on('error', () => {});
  const acknowledged = new Set<number>();
  const killAt = 300;
  let killing: Promise<void> | undefined;
  await new Promise<void>((resolve) => {
    let next = 0;
    const publishOne = () => {
      if (killing) return;
      const n = next++;
      client.publish('telemetry', JSON.stringify({ n }), { qos: 1 }, (err) => {
        if (err || killing) return;
        acknowledged.add(n);
        if (acknowledged.size === killAt) {
          killing = serve.kill9();
          killing.then(resolve);
        } else publishOne();
      });
    };
    for (let i = 0; i < 20; i++) publishOne(); // 20 in flight at a time
  });
  client.end(true);
  assert.ok(acknowledged.size >= killAt);

  serve = await startServe({ dataDir, configPath: serve.configPath });
  try {
    const received = new Set<number>();
    let sentinelSeen: () => void = () => {};
    const sentinel = new Promise<void>((resolve) => {
      sentinelSeen = resolve;
    });
    const socket = await joinGroup(serve.url, token, (data) => {
      const { n } = data as { n: number | 'last' };
      if (n === 'last') sentinelSeen();
      else received.add(n);
    });
    // Appended after everything from before the kill: once it arrives, the group has caught up.
    const posted = await fetch(`${serve.url}/v1/telemetry`, {
      method: 'POST',
      headers: { authorization: basic(`d1@${APP}`, 'pw'), 'content-type': 'application/json' },
      body: JSON.stringify({ n: 'last' }),
    });
    assert.equal(posted.status, 202);
    await sentinel;
    socket.close();
    const lost = [...acknowledged].filter((n) => !received.has(n));
    assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.size} acknowledged messages lost`);
  } finally {
    await serve.stop();
  }
});
