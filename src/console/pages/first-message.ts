// The getting-started page's commands: a first message from a device with mosquitto_pub and curl, reading it with
// drg stream, and commands with mosquitto_sub, for this instance's endpoints (discovery). Pure, so it is unit-tested.
import type { Endpoints } from '../../model/endpoints.js';

/** The shell variable the commands read the password from: it never appears in a command or the history. */
export const PASSWORD_VARIABLE = 'DEVICE_PASSWORD';
const PASSWORD = `"$${PASSWORD_VARIABLE}"`;
const CA_FILE = 'ca.pem';

/** `value` as one POSIX shell word: as it is when that is safe, else in single quotes. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export interface FirstCommand {
  /** What it does, for people. */
  title: string;
  command: string;
}

interface Target {
  app: string;
  device: string;
}

const words = (...parts: string[]) => parts.join(' ');

/**
 * The commands for `device` of `app`. drg serve (it says `event_replay`) serves MQTT in the clear on `mqtt` and over
 * TLS on `mqtts`, HTTP on `http` and `https`; a Drogue Cloud's `mqtt` and `http` are TLS already. With `local_certs`,
 * TLS clients trust the local CA (drg serve names its file, `local_ca_file`).
 */
export function firstCommands(endpoints: Endpoints, { app, device }: Target): FirstCommand[] {
  const commands: FirstCommand[] = [];
  const user = shellQuote(`${device}@${app}`);
  const drgServe = endpoints.event_replay === true;
  const caFile = shellQuote(endpoints.local_ca_file ?? CA_FILE);
  const mqtt = (tls: boolean, endpoint: { host: string; port: number }) => {
    const trust = tls ? [endpoints.local_certs ? `--cafile ${caFile}` : '--capath /etc/ssl/certs'] : [];
    return [`-h ${shellQuote(endpoint.host)}`, `-p ${endpoint.port}`, ...trust, `-u ${user}`, `-P ${PASSWORD}`];
  };
  const mqttEndpoints: Array<[boolean, { host: string; port: number } | undefined]> = drgServe
    ? [
        [false, endpoints.mqtt],
        [true, endpoints.mqtts],
      ]
    : [[true, endpoints.mqtt]];
  for (const [tls, endpoint] of mqttEndpoints) {
    if (!endpoint) continue;
    const over = tls ? 'MQTT over TLS' : 'MQTT';
    commands.push({
      title: `Publish a message (${over})`,
      command: words('mosquitto_pub', ...mqtt(tls, endpoint), '-t telemetry', `-m '{"temp":42}'`),
    });
  }
  const http = drgServe ? (endpoints.https ?? endpoints.http) : endpoints.http;
  if (http) {
    const tls = http.url.startsWith('https:');
    const trust = tls && endpoints.local_certs ? [`--cacert ${caFile}`] : [];
    const url = shellQuote(`${http.url.replace(/\/+$/, '')}/v1/telemetry`);
    commands.push({
      title: 'Publish a message (HTTP)',
      command: words(
        'curl',
        ...trust,
        `-u ${shellQuote(`${device}@${app}:`)}${PASSWORD}`,
        `-H 'content-type: application/json'`,
        `--data '{"temp":42}'`,
        url,
      ),
    });
  }
  if (endpoints.api) {
    commands.push({
      title: 'Watch the messages arrive',
      command: words(
        `drg login ${shellQuote(endpoints.api)}`,
        '&&',
        `drg stream --app ${shellQuote(app)} --device ${shellQuote(device)}`,
      ),
    });
  }
  const commandEndpoint = mqttEndpoints.find(([, e]) => e);
  if (commandEndpoint) {
    const [tls, endpoint] = commandEndpoint;
    commands.push({
      title: 'Receive commands (MQTT)',
      command: words('mosquitto_sub', ...mqtt(tls, endpoint!), `-t 'command/inbox/#'`, '-v'),
    });
    commands.push({
      title: 'Send it a command',
      command: words(`drg cmd --app ${shellQuote(app)} ${shellQuote(device)} set-interval`, `-p '{"seconds":30}'`),
    });
  }
  return commands;
}
