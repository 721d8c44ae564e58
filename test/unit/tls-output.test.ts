// Where drg serve tells people its TLS endpoints are: the device endpoints and the local CA's file in the ready
// summary, taken from what discovery advertises.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { colorsFor } from '../../src/output/colors.js';
import { deviceEndpoints, readySummary } from '../../src/server-lite/serve-output.js';

const plain = colorsFor({ isTTY: false }, {});
const READY = {
  url: 'http://127.0.0.1:8011',
  issuerUrl: 'http://127.0.0.1:8011/oidc',
  embeddedIssuer: true,
  healthUrl: 'http://127.0.0.1:8011/health',
  dataDir: '/home/me/.local/share/drg/serve',
  context: 'local',
};

test("the device endpoints come from discovery's fields; the CA file only with local certificates", () => {
  const endpoints = {
    api: 'http://127.0.0.1:8011',
    mqtt: { host: '127.0.0.1', port: 1883 },
    mqtts: { host: '127.0.0.1', port: 8883 },
    https: { url: 'https://127.0.0.1:8443' },
    local_certs: true,
    local_ca_file: '/data/tls/ca.pem',
    mqtt_integration: { host: '127.0.0.1', port: 18883 },
    websocket_integration: { url: 'ws://127.0.0.1:8011/api/integration/ws/v1alpha1/' },
  };
  assert.deepEqual(deviceEndpoints(endpoints), {
    mqtt: '127.0.0.1:1883',
    mqtts: '127.0.0.1:8883',
    https: 'https://127.0.0.1:8443',
    caFile: '/data/tls/ca.pem',
    mqttIntegration: '127.0.0.1:18883',
    websocketIntegration: 'ws://127.0.0.1:8011/api/integration/ws/v1alpha1/',
  });
  assert.deepEqual(deviceEndpoints({ ...endpoints, local_certs: undefined }).caFile, undefined);
  assert.deepEqual(deviceEndpoints({ api: 'http://x' }), {});
});

test('the summary shows MQTT, MQTTS, HTTPS and the CA file with how to use it; none of them when absent', () => {
  const summary = readySummary(
    {
      ...READY,
      mqtt: '127.0.0.1:1883',
      mqtts: '127.0.0.1:8883',
      https: 'https://127.0.0.1:8443',
      caFile: '/data/tls/ca.pem',
      mqttIntegration: '127.0.0.1:18883',
      websocketIntegration: 'ws://127.0.0.1:8011/api/integration/ws/v1alpha1/',
    },
    plain,
  );
  assert.equal(
    summary,
    [
      'drg serve is ready',
      '  API                    http://127.0.0.1:8011',
      '  OpenID Provider        http://127.0.0.1:8011/oidc',
      '  MQTT                   127.0.0.1:1883',
      '  MQTTS                  127.0.0.1:8883',
      '  HTTPS                  https://127.0.0.1:8443',
      '  CA file                /data/tls/ca.pem  (TLS clients trust drg serve with it: mosquitto_pub --cafile FILE, curl --cacert FILE)',
      '  MQTT integration       127.0.0.1:18883  (subscribe to app/APP)',
      '  WebSocket integration  ws://127.0.0.1:8011/api/integration/ws/v1alpha1/APP  (drg stream)',
      '  health                 http://127.0.0.1:8011/health',
      '  data                   /home/me/.local/share/drg/serve',
      '  context                local, active: drg commands use this server',
      'Press Ctrl+C to stop it.',
      '',
    ].join('\n'),
  );
  assert.doesNotMatch(readySummary(READY, plain), /MQTT|HTTPS|CA file/);
  // A path with control characters reaches the terminal escaped.
  assert.match(
    readySummary({ ...READY, caFile: '/tmp/a\u001b[2Jb/ca.pem' }, plain),
    /CA file {10}\/tmp\/a\\x1b\[2Jb\/ca\.pem /,
  );
});
