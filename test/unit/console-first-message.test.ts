// The getting-started page's commands (src/console/pages/first-message.ts): shell quoting that a real shell reads
// back as the same word, and the endpoints discovery names, in the clear and over TLS.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { firstCommands, shellQuote } from '../../src/console/pages/first-message.js';

test('shellQuote: a shell reads every quoted word back as it was', () => {
  const words = [
    'plain',
    'sensor-1@app',
    '',
    "it's",
    'a b',
    '$(touch /tmp/x)',
    '`id`',
    '"; rm -rf /',
    'é ü ☃',
    'a\nb',
    "''",
  ];
  const script = words.map((w) => `printf '%s\\0' ${shellQuote(w)}`).join('; ');
  const out = execFileSync('sh', ['-c', script], { encoding: 'utf8' });
  assert.deepEqual(out.split('\0').slice(0, -1), words);
});

test('shellQuote leaves safe words alone and quotes the rest', () => {
  assert.equal(shellQuote('device-1@app'), 'device-1@app');
  assert.equal(shellQuote('a b'), "'a b'");
  assert.equal(shellQuote("it's"), "'it'\\''s'");
  assert.equal(shellQuote(''), "''");
});

const drgServe = {
  api: 'http://127.0.0.1:8080',
  http: { url: 'http://127.0.0.1:8080' },
  https: { url: 'https://127.0.0.1:8443' },
  mqtt: { host: '127.0.0.1', port: 1883 },
  mqtts: { host: '127.0.0.1', port: 8883 },
  local_certs: true,
  local_ca_file: '/data/tls/ca.pem',
  event_replay: true,
};

test('drg serve: MQTT in the clear and over TLS with the local CA, HTTPS, drg stream; the password as a variable', () => {
  const commands = firstCommands(drgServe, { app: 'app1', device: "o'brien" });
  const byTitle = Object.fromEntries(commands.map((c) => [c.title, c.command]));
  assert.equal(
    byTitle['Publish a message (MQTT)'],
    `mosquitto_pub -h 127.0.0.1 -p 1883 -u 'o'\\''brien@app1' -P "$DEVICE_PASSWORD" -t telemetry -m '{"temp":42}'`,
  );
  assert.match(byTitle['Publish a message (MQTT over TLS)'], / -p 8883 --cafile \/data\/tls\/ca.pem /);
  assert.match(
    byTitle['Publish a message (HTTP)'],
    /^curl --cacert \/data\/tls\/ca.pem -u 'o'\\''brien@app1:'"\$DEVICE_PASSWORD" /,
  );
  assert.match(byTitle['Publish a message (HTTP)'], / https:\/\/127.0.0.1:8443\/v1\/telemetry$/);
  assert.equal(
    byTitle['Watch the messages arrive'],
    `drg login http://127.0.0.1:8080 && drg stream --app app1 --device 'o'\\''brien'`,
  );
  assert.match(byTitle['Receive commands (MQTT)'], /^mosquitto_sub -h 127.0.0.1 -p 1883 .* -t 'command\/inbox\/#' -v$/);
});

test('a Drogue Cloud: its mqtt and http endpoints are TLS, trusted through the system CAs', () => {
  const cloud = {
    api: 'https://api.example.com',
    http: { url: 'https://http.example.com' },
    mqtt: { host: 'mqtt.example.com', port: 443 },
  };
  const commands = firstCommands(cloud, { app: 'a', device: 'd' });
  assert.deepEqual(
    commands.map((c) => c.title),
    [
      'Publish a message (MQTT over TLS)',
      'Publish a message (HTTP)',
      'Watch the messages arrive',
      'Receive commands (MQTT)',
      'Send it a command',
    ],
  );
  assert.match(commands[0].command, /-h mqtt.example.com -p 443 --capath \/etc\/ssl\/certs /);
  assert.doesNotMatch(commands[1].command, /--cacert/);
});
