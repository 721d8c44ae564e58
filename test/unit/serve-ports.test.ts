// A port drg serve is given that something else holds: one line naming the port, the endpoint and the flag to change.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { startTestServer } from '../helpers/server.js';

for (const [option, flag, endpoint] of [
  ['mqttPort', '--mqtt-port', 'the MQTT device endpoint'],
  ['mqttIntegrationPort', '--mqtt-integration-port', 'the MQTT integration'],
] as const) {
  test(`a taken ${flag} names it, and nothing is left running`, async () => {
    const holder = createServer().listen(0, '127.0.0.1');
    await once(holder, 'listening');
    const { port } = holder.address() as { port: number };
    try {
      await assert.rejects(startTestServer(undefined, { [option]: port }), (err: Error) => {
        assert.equal(
          err.message,
          `cannot listen on 127.0.0.1 port ${port} for ${endpoint}: the port is already in use: pick another with ${flag}`,
        );
        return true;
      });
    } finally {
      holder.close();
    }
  });
}
