// `drg firmware agent` against a drg serve whose own agent is off, as against a remote cluster: two agents in one
// group consume the MQTT integration, answer through the command API, share the reports, and a rollout completes.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { startFleet } from '../../src/simulator/fleet.js';
import { localServerDuringTests, startDrg, startLocalServer } from '../helpers/drg.js';
import { fleetApp } from '../helpers/firmware.js';
import { ok } from '../helpers/serve.js';

const serve = localServerDuringTests(() =>
  startLocalServer({ mqttPort: 0, mqttIntegrationPort: 0, firmwareAgent: false }),
);

const IMAGE = randomBytes(3_000);

test('two agents in one group share the reports and take a rollout to the end', async () => {
  const app = 'remote-agent';
  const devices = await fleetApp(serve, app, 6, IMAGE);
  const agents = [1, 2].map(() => startDrg(serve.configPath, ['firmware', 'agent', '--app', app, '--group', 'pair']));
  for (const agent of agents)
    await agent.waitForStderr(/Serving the firmware of application remote-agent in group pair/);
  const mqtt = serve.server.endpoints().mqtt;
  assert.ok(mqtt);
  const fleet = await startFleet({
    app,
    devices,
    protocol: 'mqtt',
    mqtt: { host: mqtt.host, port: mqtt.port, tls: false },
    firmwareVersion: '1.0.0',
    mtu: 256,
  });
  try {
    ok(
      await serve.run([
        'firmware',
        'rollout',
        '--app',
        app,
        '--version',
        '2.0.0',
        '--canary',
        '2',
        '--batch-size',
        '4',
        '--yes',
        '--wait',
      ]),
    );
    await fleet.waitForVersion('2.0.0', 10_000);
    assert.equal(fleet.stats().failures.mismatched, 0);
  } finally {
    await fleet.close();
    process.emit('SIGINT');
  }
  const answered = await Promise.all(
    agents.map(async (agent) => {
      const { stderr } = ok(await agent.done);
      return Number(/Stopped: (\d+) reports answered/.exec(stderr)?.[1]);
    }),
  );
  assert.ok(
    answered.every((n) => n > 0),
    `each agent answered some reports: ${answered.join(', ')}`,
  );
  assert.ok(answered[0] + answered[1] >= 6 * Math.ceil(IMAGE.length / 256));
});
