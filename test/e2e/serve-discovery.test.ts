// Discovery lists every endpoint this drg serve really serves, on the ports it was given, and each one answers.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { test } from 'node:test';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { WebSocket } from 'ws';
import type { Endpoints } from '../../src/model/endpoints.js';
import { basic } from '../helpers/config.js';
import { freePort, localToken, startServe } from '../helpers/serve.js';

test('discovery names http, mqtt, mqtts, https, mqtt_integration, websocket_integration, command_url and the CA', async () => {
  const [port, mqtt, mqtts, https, integration] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const serve = await startServe({
    port,
    args: [
      '--mqtt-port',
      `${mqtt}`,
      '--mqtts-port',
      `${mqtts}`,
      '--https-port',
      `${https}`,
      '--mqtt-integration-port',
      `${integration}`,
    ],
  });
  try {
    const url = `http://127.0.0.1:${port}`;
    assert.equal(serve.url, url);
    const endpoints = (await (await fetch(`${url}/.well-known/drogue-endpoints`)).json()) as Endpoints;
    const { issuer_url, local_ca_file, ...rest } = endpoints;
    assert.equal(issuer_url, `${url}/oidc`);
    assert.equal(local_ca_file, `${serve.dataDir}/tls/ca.pem`);
    assert.deepEqual(rest, {
      api: url,
      // npm run build builds the console beside the server.
      console: `${url}/console/`,
      registry: { url },
      http: { url },
      command_url: url,
      https: { url: `https://127.0.0.1:${https}` },
      mqtt: { host: '127.0.0.1', port: mqtt },
      mqtts: { host: '127.0.0.1', port: mqtts },
      mqtt_integration: { host: '127.0.0.1', port: integration },
      websocket_integration: { url: `ws://127.0.0.1:${port}/api/integration/ws/v1alpha1/` },
      local_certs: true,
      event_replay: true,
    });
    const token = localToken(serve.configPath);
    const info = await fetch(`${url}/api/console/v1alpha1/info`, { headers: { authorization: basic('admin', token) } });
    assert.deepEqual(await info.json(), { ...endpoints, demos: [] });

    // Each one is there: a plain MQTT port, a TLS port trusting the local CA for MQTT and HTTPS, the integrations.
    for (const p of [mqtt, integration]) {
      const socket = connect(p, '127.0.0.1');
      await once(socket, 'connect');
      socket.destroy();
    }
    for (const p of [mqtts, https]) {
      const socket: TLSSocket = tlsConnect({
        port: p,
        host: '127.0.0.1',
        ca: readFileSync(local_ca_file!),
        servername: 'localhost',
      });
      await once(socket, 'secureConnect');
      assert.equal(socket.authorized, true, String(socket.authorizationError));
      socket.destroy();
    }
    const ws = new WebSocket(`${endpoints.websocket_integration!.url}nope`, {
      headers: { authorization: basic('admin', token) },
    });
    const [, response] = await once(ws, 'unexpected-response');
    assert.equal(response.statusCode, 404, 'a missing application, answered by the integration');
  } finally {
    await serve.stop();
  }
});
