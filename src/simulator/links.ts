// How a simulated device talks to the cloud: MQTT (one MQTT.js client per device, commands on its inbox) or HTTP
// (each report a POST that waits for its command with `?ct=`), both as real devices do (docs/drogue-api.md,
// "Device endpoints").
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { MqttClient } from 'mqtt';
import { DFU_CHANNEL, DFU_COMMAND } from '../dfu/codec.js';

export const TELEMETRY_CHANNEL = 'telemetry';
const OWN_INBOX = 'command/inbox//#';
const DFU_TOPIC = `command/inbox//${DFU_COMMAND}`;

export interface DeviceCredentials {
  app: string;
  device: string;
  password: string;
}

export interface Message {
  payload: Buffer;
  contentType: string;
}

/** What a link tells its device. */
export interface LinkEvents {
  /** A `dfu` command arrived. */
  command(payload: Buffer, contentType: string | undefined): void;
  /** (HTTP) The report was taken and no command came with the answer: report again in `retryMs`. */
  noCommand(retryMs: number): void;
  /** (MQTT) Connected and subscribed: the device reports now. */
  subscribed(): void;
  /** Connected (MQTT), or a request was answered (HTTP); or no longer. */
  reachable(up: boolean): void;
  /**
   * Something failed (a refused connection, an HTTP error), in words without credentials; `retryReportMs` when it
   * was a report (HTTP), which is made again that much later.
   */
  failed(message: string, retryReportMs?: number): void;
}

export interface DeviceLink {
  /** HTTP answers each report; over MQTT commands come on their own, or not at all. */
  readonly answersReports: boolean;
  /** Starts connecting; resolves once connected, or once the first attempt failed (it keeps trying). */
  open(): Promise<void>;
  /**
   * Whether it was sent (MQTT: not while disconnected; the device reports again once connected). `taken` is called
   * once the cloud has it (MQTT: its PUBACK; HTTP: a 200 or 202).
   */
  report(message: Message, taken: () => void): boolean;
  /** Whether it was sent (not while disconnected, nor while the previous one is still on its way over HTTP). */
  telemetry(message: Message): boolean;
  close(): Promise<void>;
}

export interface MqttEndpoint {
  host: string;
  port: number;
  tls: boolean;
  /** PEM of the CA that signed the server's certificate (drg serve's local CA), else the system's. */
  ca?: string;
}

/** After a refused or lost connection, MQTT.js tries again this often. */
const MQTT_RECONNECT_MS = 5_000;

export function mqttLink(
  mqtt: typeof import('mqtt'),
  endpoint: MqttEndpoint,
  credentials: DeviceCredentials,
  events: LinkEvents,
): DeviceLink {
  let client: MqttClient | undefined;
  return {
    answersReports: false,
    open() {
      return new Promise<void>((resolve) => {
        const connection = mqtt.connect({
          protocol: endpoint.tls ? 'mqtts' : 'mqtt',
          host: endpoint.host,
          port: endpoint.port,
          ca: endpoint.ca,
          protocolVersion: 5,
          clean: true,
          clientId: `${credentials.app}.${credentials.device}`,
          username: `${credentials.device}@${credentials.app}`,
          password: credentials.password,
          keepalive: 30,
          connectTimeout: 10_000,
          reconnectPeriod: MQTT_RECONNECT_MS,
          // A device whose credential is being added is refused at first: it keeps trying, as a device does.
          reconnectOnConnackError: true,
          resubscribe: false,
          queueQoSZero: false,
        });
        client = connection;
        connection.on('connect', () => {
          connection.subscribe(OWN_INBOX, { qos: 0 }, (error) => {
            if (error) events.failed(`subscribing to ${OWN_INBOX} failed: ${error.message}`);
            else events.subscribed();
            resolve();
          });
        });
        connection.on('error', (error) => {
          events.failed(`MQTT: ${error.message}`);
          resolve();
        });
        connection.on('connect', () => events.reachable(true));
        connection.on('close', () => events.reachable(false));
        connection.on('message', (topic, payload, packet) => {
          if (topic === DFU_TOPIC) events.command(payload, packet.properties?.contentType);
        });
      });
    },
    report(message, taken) {
      // Not connected: the report is made again once it is (MQTT.js would otherwise queue it without bound).
      if (!client?.connected) return false;
      const properties = { contentType: message.contentType };
      client.publish(DFU_CHANNEL, message.payload, { qos: 1, properties }, (error) => {
        if (!error) taken();
      });
      return true;
    },
    telemetry(message) {
      if (!client?.connected) return false;
      client.publish(TELEMETRY_CHANNEL, message.payload, { qos: 0, properties: { contentType: message.contentType } });
      return true;
    },
    async close() {
      await client?.endAsync();
    },
  };
}

export interface HttpEndpoint {
  /** The device endpoint's base URL (`http.url` of discovery). */
  url: string;
  ca?: string;
}

export interface HttpLinkOptions {
  /** `?ct=`: how long a report waits for its command, in seconds. */
  commandTimeoutS: number;
  /** After a 202 without command, or a failure, report again this much later. */
  retryMs: number;
  /** The largest answer read (a Write block); larger ones are a failure. */
  maxAnswerBytes: number;
}

/**
 * Requests open at once, for all the devices of a fleet: they come from one address, and a server bounds the
 * connections of one (drg serve: 256). Beyond it, devices take turns.
 */
export const HTTP_MAX_SOCKETS = 128;

/** One per fleet: keeps the devices' connections open between reports. */
export function httpAgent(endpoint: HttpEndpoint): HttpAgent {
  const options = { keepAlive: true, maxSockets: HTTP_MAX_SOCKETS };
  return endpoint.url.startsWith('https:') ? new HttpsAgent({ ...options, ca: endpoint.ca }) : new HttpAgent(options);
}

export function httpLink(
  endpoint: HttpEndpoint,
  agent: HttpAgent,
  credentials: DeviceCredentials,
  options: HttpLinkOptions,
  events: LinkEvents,
): DeviceLink {
  const base = endpoint.url.replace(/\/+$/, '');
  const authorization = `Basic ${Buffer.from(`${credentials.device}@${credentials.app}:${credentials.password}`).toString('base64')}`;
  const stop = new AbortController();
  let sendingTelemetry = false;
  const post = (channel: string, query: string, message: Message, timeoutMs: number) =>
    postMessage(
      `${base}/v1/${channel}${query}`,
      { agent, authorization, signal: stop.signal, timeoutMs, maxAnswerBytes: options.maxAnswerBytes },
      message,
    );
  return {
    answersReports: true,
    open: () => Promise.resolve(),
    report(message, taken) {
      const timeoutMs = (options.commandTimeoutS + 10) * 1000;
      post(DFU_CHANNEL, `?ct=${options.commandTimeoutS}`, message, timeoutMs).then(
        (answer) => {
          if (stop.signal.aborted) return;
          if (answer.status === 200 || answer.status === 202) {
            taken();
            events.reachable(true);
          }
          if (answer.status === 200 && answer.command === DFU_COMMAND) events.command(answer.body, answer.contentType);
          else if (answer.status === 200 || answer.status === 202) events.noCommand(options.retryMs);
          else events.failed(`HTTP ${answer.status} from ${base}/v1/${DFU_CHANNEL}`, answer.retryMs ?? options.retryMs);
        },
        (error: Error) => {
          if (!stop.signal.aborted) events.failed(`HTTP: ${error.message}`, options.retryMs);
        },
      );
      return true;
    },
    telemetry(message) {
      // One at a time: a slow server gets fewer messages, never a growing queue of them.
      if (sendingTelemetry) return false;
      sendingTelemetry = true;
      post(TELEMETRY_CHANNEL, '', message, 30_000)
        .then(
          (answer) => {
            if (stop.signal.aborted) return;
            if (answer.status === 202) events.reachable(true);
            else {
              events.failed(`HTTP ${answer.status} from ${base}/v1/${TELEMETRY_CHANNEL}`);
            }
          },
          (error: Error) => {
            if (!stop.signal.aborted) events.failed(`HTTP: ${error.message}`);
          },
        )
        .finally(() => {
          sendingTelemetry = false;
        });
      return true;
    },
    close() {
      stop.abort();
      return Promise.resolve();
    },
  };
}

interface Answer {
  status: number;
  command?: string;
  contentType?: string;
  body: Buffer;
  /** From `retry-after`. */
  retryMs?: number;
}

interface PostOptions {
  agent: HttpAgent;
  authorization: string;
  signal: AbortSignal;
  timeoutMs: number;
  maxAnswerBytes: number;
}

function postMessage(url: string, options: PostOptions, message: Message): Promise<Answer> {
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise<Answer>((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: 'POST',
        agent: options.agent,
        signal: options.signal,
        timeout: options.timeoutMs,
        headers: {
          authorization: options.authorization,
          'content-type': message.contentType,
          'content-length': message.payload.length,
        },
      },
      (response) => readAnswer(response, options.maxAnswerBytes).then(resolve, reject),
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${options.timeoutMs / 1000} s`)));
    outgoing.on('error', reject);
    outgoing.end(message.payload);
  });
}

function readAnswer(response: IncomingMessage, maxBytes: number): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) response.destroy(new Error(`an answer larger than ${maxBytes} bytes`));
      else chunks.push(chunk);
    });
    response.on('error', reject);
    response.on('end', () => {
      const header = (name: string) => {
        const value = response.headers[name];
        return typeof value === 'string' ? value : undefined;
      };
      const retryAfter = Number(header('retry-after'));
      resolve({
        status: response.statusCode ?? 0,
        command: header('command'),
        contentType: header('content-type'),
        body: Buffer.concat(chunks),
        retryMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
      });
    });
  });
}
