// drg serve's text output: pino records as lines for people, and the summary when it is ready, with the device
// endpoints and the local CA's file taken from what discovery advertises.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { colorsFor } from '../../src/output/colors.js';
import { deviceEndpoints, readySummary, textLine } from '../../src/server-lite/serve-output.js';

const plain = colorsFor({ isTTY: false }, {});
const colored = colorsFor({ isTTY: true }, {});
const at = (hh: number, mm: number, ss: number) => new Date(2026, 0, 2, hh, mm, ss).toISOString();

test('a record becomes time, level, message and key=value fields; values with spaces or quotes are JSON', () => {
  const line = textLine(
    JSON.stringify({
      level: 30,
      time: at(9, 5, 7),
      msg: 'request',
      method: 'GET',
      path: '/api/registry/v1alpha1/apps',
      status: 200,
      ms: 1.5,
      note: 'two words',
      cached: false,
    }),
    plain,
  );
  assert.equal(
    line,
    '09:05:07 INFO  request method=GET path=/api/registry/v1alpha1/apps status=200 ms=1.5 note="two words" cached=false\n',
  );
  assert.equal(
    textLine(JSON.stringify({ level: 40, time: at(23, 59, 0), msg: 'slow' }), plain),
    '23:59:00 WARN  slow\n',
  );
  assert.equal(
    textLine(JSON.stringify({ level: 20, time: at(0, 0, 1), msg: 'component ready', component: 'store' }), plain),
    '00:00:01 DEBUG component ready component=store\n',
  );
});

test('control characters from requests reach the terminal escaped, in values and messages', () => {
  const line = textLine(
    JSON.stringify({ level: 50, time: at(1, 2, 3), msg: 'bad\u001b[2Jmessage', path: '/a\u0085b\u202ec', user: 'x y' }),
    plain,
  );
  assert.equal(line, '01:02:03 ERROR bad\\x1b[2Jmessage path="/a\\x85b\\u202ec" user="x y"\n');
  assert.equal(line.split('\n').length, 2, 'one line');
});

test('an error with a stack: the fields on the line, the stack indented below', () => {
  const line = textLine(
    JSON.stringify({
      level: 50,
      time: at(12, 0, 0),
      msg: 'request failed',
      err: { type: 'TypeError', message: 'x is undefined', stack: 'TypeError: x is undefined\n    at f (a.js:1:2)' },
    }),
    plain,
  );
  assert.equal(
    line,
    '12:00:00 ERROR request failed err={"type":"TypeError","message":"x is undefined"}\n' +
      '    TypeError: x is undefined\n' +
      '    at f (a.js:1:2)\n',
  );
});

test('colours when asked for: the level coloured, keys and time dim', () => {
  const line = textLine(JSON.stringify({ level: 40, time: at(9, 0, 0), msg: 'm', k: 'v' }), colored);
  assert.equal(line, '\x1b[2m09:00:00\x1b[22m \x1b[33mWARN \x1b[39m m \x1b[2mk=\x1b[22mv\n');
});

const READY = {
  url: 'http://127.0.0.1:8011',
  issuerUrl: 'http://127.0.0.1:8011/oidc',
  embeddedIssuer: true,
  healthUrl: 'http://127.0.0.1:8011/health',
  dataDir: '/home/me/.local/share/drg/serve',
};

test('the summary: URLs, data, the context and why it is not the one asked for, the password, how to stop', () => {
  assert.equal(
    readySummary(
      { ...READY, context: 'local-8012', contextInUse: { name: 'local', url: 'http://127.0.0.1:8011' } },
      plain,
    ),
    [
      'drg serve is ready',
      '  API              http://127.0.0.1:8011',
      '  OpenID Provider  http://127.0.0.1:8011/oidc',
      '  health           http://127.0.0.1:8011/health',
      '  data             /home/me/.local/share/drg/serve',
      '  context          local-8012, active: drg commands use this server (local belongs to the server running at http://127.0.0.1:8011)',
      'Press Ctrl+C to stop it.',
      '',
    ].join('\n'),
  );
  const first = readySummary({ ...READY, context: 'local', adminPassword: 'generated-password' }, plain);
  assert.match(
    first,
    /^ {2}admin password {3}generated-password {2}\(shown once; set one with --admin-password-file or DRG_ADMIN_PASSWORD\)$/m,
  );
  const external = readySummary(
    { ...READY, issuerUrl: 'https://sso.example.com/realms/x', embeddedIssuer: false },
    plain,
  );
  assert.match(external, /^ {2}OpenID Provider {2}https:\/\/sso\.example\.com\/realms\/x \(--issuer-url\)$/m);
  assert.match(external, /^ {2}context {10}none written \(--no-login\)$/m);
  assert.doesNotMatch(external, /admin password/);
});

test('the summary escapes a data directory with control characters', () => {
  const summary = readySummary({ ...READY, dataDir: '/tmp/a\u001b]0;title\u0007b' }, plain);
  assert.match(summary, /^ {2}data {13}\/tmp\/a\\x1b\]0;title\\x07b$/m);
});

const ENDPOINTS_READY = { ...READY, context: 'local' };

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
      ...ENDPOINTS_READY,
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
  assert.doesNotMatch(readySummary(ENDPOINTS_READY, plain), /MQTT|HTTPS|CA file/);
  // A path with control characters reaches the terminal escaped.
  assert.match(
    readySummary({ ...ENDPOINTS_READY, caFile: '/tmp/a\u001b[2Jb/ca.pem' }, plain),
    /CA file {10}\/tmp\/a\\x1b\[2Jb\/ca\.pem /,
  );
});
