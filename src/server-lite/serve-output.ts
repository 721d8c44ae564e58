// What drg serve writes on stderr: JSON log lines (pino) for scripts, or, for a person at a terminal, a summary
// once it is ready and log lines as text. The text lines are pino's JSON records re-read and formatted here:
// a few lines a minute, so this costs nothing, and it saves pino-pretty's ~25 ms of start-up and 12 packages.
import pino, { type Logger } from 'pino';
import type { Endpoints } from '../model/endpoints.js';
import type { Colors } from '../output/colors.js';
import { escapeInline } from '../output/escape.js';

export type LogFormat = 'json' | 'text';

export interface LogOptions {
  format: LogFormat;
  /** The text format's colours: drg's own (none unless on a terminal, or with NO_COLOR). */
  colors: Colors;
  /** Request lines (debug level). */
  verbose?: boolean;
}

/** Log lines on stderr (stdout stays empty), synchronously, so none is lost when the process exits. */
export function createLogger({ format, colors, verbose }: LogOptions): Logger {
  const options = { level: verbose ? 'debug' : 'info', base: undefined, timestamp: pino.stdTimeFunctions.isoTime };
  if (format === 'json') return pino(options, pino.destination({ dest: 2, sync: true }));
  return pino(options, { write: (line: string) => process.stderr.write(textLine(line, colors)) });
}

type Paint = (colors: Colors) => (text: string) => string;
const unpainted: Paint = () => (text) => text;

const LEVELS: Record<number, [string, Paint]> = {
  10: ['TRACE', (c) => c.dim],
  20: ['DEBUG', (c) => c.dim],
  30: ['INFO ', unpainted],
  40: ['WARN ', (c) => c.yellow],
  50: ['ERROR', (c) => c.red],
  60: ['FATAL', (c) => c.red],
};

/** A value that needs no quotes; anything else is shown as JSON. */
const PLAIN = /^[\w./:@+,-]+$/;

/**
 * One pino record as a line for people: `12:04:05 INFO  message key=value ...`, with a stack trace, if any, on
 * the lines below. Whatever came from a request is escaped, so that no control character reaches the terminal.
 */
export function textLine(json: string, colors: Colors): string {
  const { level, time, msg, ...fields } = JSON.parse(json) as Record<string, unknown>;
  const [label, paint] = LEVELS[level as number] ?? [String(level), unpainted];
  const stacks: string[] = [];
  const pairs = Object.entries(fields).map(([key, value]) => {
    if (value && typeof value === 'object' && typeof (value as { stack?: unknown }).stack === 'string') {
      const { stack, ...rest } = value as { stack: string };
      stacks.push(...stack.split('\n').map((l) => `    ${escapeInline(l.trim())}`));
      value = rest;
    }
    return `${colors.dim(`${key}=`)}${shown(value)}`;
  });
  const head = [colors.dim(clockTime(time)), paint(colors)(label), escapeInline(String(msg ?? '')), ...pairs];
  return `${[head.join(' '), ...stacks].join('\n')}\n`;
}

function shown(value: unknown): string {
  if (typeof value === 'string' && PLAIN.test(value)) return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return escapeInline(JSON.stringify(value) ?? String(value));
}

/** HH:MM:SS in local time, as a terminal user reads clocks. */
function clockTime(time: unknown): string {
  const date = typeof time === 'string' ? new Date(time) : new Date();
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

export interface ReadyInfo extends DeviceEndpoints {
  url: string;
  issuerUrl: string;
  /** Whether the issuer is the embedded one (else `--issuer-url`). */
  embeddedIssuer: boolean;
  healthUrl: string;
  dataDir: string;
  /** The context written and made active; none with --no-login. */
  context?: string;
  /** The context that was asked for (`local`) when another running instance holds it. */
  contextInUse?: { name: string; url: string };
  /** admin's password when this start generated it: shown this once. */
  adminPassword?: string;
}

/** Where devices and applications connect (host:port, or a URL), and the local CA's file that TLS clients trust. */
export interface DeviceEndpoints {
  mqtt?: string;
  mqtts?: string;
  https?: string;
  caFile?: string;
  mqttIntegration?: string;
  websocketIntegration?: string;
}

/** The device endpoints among discovery's, for the ready summary and log line. */
export function deviceEndpoints(endpoints: Endpoints): DeviceEndpoints {
  const hostPort = (e?: { host: string; port: number }) => e && `${e.host}:${e.port}`;
  const found: DeviceEndpoints = {
    mqtt: hostPort(endpoints.mqtt),
    mqtts: hostPort(endpoints.mqtts),
    https: endpoints.https?.url,
    caFile: endpoints.local_certs ? endpoints.local_ca_file : undefined,
    mqttIntegration: hostPort(endpoints.mqtt_integration),
    websocketIntegration: endpoints.websocket_integration?.url,
  };
  return Object.fromEntries(Object.entries(found).filter(([, value]) => value !== undefined));
}

/** The summary a person sees when drg serve is ready: where everything is, and how to stop it. */
export function readySummary(info: ReadyInfo, colors: Colors): string {
  const rows: Array<[string, string]> = [
    ['API', info.url],
    ['OpenID Provider', info.embeddedIssuer ? info.issuerUrl : `${info.issuerUrl} (--issuer-url)`],
    ...deviceRows(info),
    ['health', info.healthUrl],
    ['data', info.dataDir],
    ['context', contextText(info)],
  ].map(([label, value]) => [label, escapeInline(value)]);
  if (info.adminPassword !== undefined) {
    rows.push([
      'admin password',
      `${colors.bold(escapeInline(info.adminPassword))}  (shown once; set one with --admin-password-file or DRG_ADMIN_PASSWORD)`,
    ]);
  }
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.map(([label, value]) => `  ${colors.dim(label.padEnd(width))}  ${value}`);
  return `${colors.bold('drg serve is ready')}\n${lines.join('\n')}\nPress Ctrl+C to stop it.\n`;
}

function deviceRows(endpoints: DeviceEndpoints): Array<[string, string]> {
  const { mqtt, mqtts, https, caFile, mqttIntegration, websocketIntegration } = endpoints;
  const rows: Array<[string, string | undefined]> = [
    ['MQTT', mqtt],
    ['MQTTS', mqtts],
    ['HTTPS', https],
    [
      'CA file',
      caFile && `${caFile}  (TLS clients trust drg serve with it: mosquitto_pub --cafile FILE, curl --cacert FILE)`,
    ],
    ['MQTT integration', mqttIntegration && `${mqttIntegration}  (subscribe to app/APP)`],
    ['WebSocket integration', websocketIntegration && `${websocketIntegration}APP  (drg stream)`],
  ];
  return rows.filter((row): row is [string, string] => row[1] !== undefined);
}

function contextText({ context, contextInUse }: ReadyInfo): string {
  if (context === undefined) return 'none written (--no-login)';
  const inUse = contextInUse ? ` (${contextInUse.name} belongs to the server running at ${contextInUse.url})` : '';
  return `${context}, active: drg commands use this server${inUse}`;
}
