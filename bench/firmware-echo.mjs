// The baseline's responder on a thread of its own (as the firmware agent has drg serve's): a member of a shared group
// on the MQTT integration at QoS 1 that answers each `dfu` report with the same fixed command, through the
// integration's `command/<app>/<device>/dfu`. No firmware logic: what it costs is the round trip itself.
import { parentPort, workerData } from 'node:worker_threads';
import mqtt from 'mqtt';

const { host, port, username, password, app, group, commandBytes } = workerData;
const command = Buffer.alloc(commandBytes, 0x5a);
const publishOptions = { qos: 0, properties: { contentType: 'application/cbor' } };

const client = await mqtt.connectAsync({
  host,
  port,
  username,
  password,
  protocolVersion: 5,
  clientId: `bench-echo-${process.pid}-${Math.random().toString(36).slice(2)}`,
  clean: true,
  reconnectPeriod: 0,
});
client.on('message', (_topic, message) => {
  const event = JSON.parse(message);
  if (event.subject !== 'dfu') return;
  client.publish(`command/${app}/${event.device}/dfu`, command, publishOptions);
});
client.on('error', (err) => parentPort.postMessage({ error: err.message }));
await client.subscribeAsync(`$share/${group}/app/${app}`, { qos: 1 });
parentPort.postMessage({ ready: true });
