// drg serve's figures on GET /metrics (Prometheus text format, prom-client). The hot paths only add to plain
// counters here; prom-client reads them, and each component's own stats, when scraped.
import type { FastifyPluginCallback } from 'fastify';
import { Counter, Gauge, Registry } from 'prom-client';
import type { EventLogStats } from './events/log.js';

export type Protocol = 'http' | 'mqtt';
export type Integration = 'websocket' | 'mqtt';

/** What the data plane counts as it goes: plain numbers, so counting costs nothing measurable. */
export class DataPlaneCounters {
  /** Messages accepted from devices, and refused (bad credentials, invalid, too large, overloaded). */
  readonly accepted: Record<Protocol, number> = { http: 0, mqtt: 0 };
  readonly refused: Record<Protocol, number> = { http: 0, mqtt: 0 };
  /** Payload bytes accepted. */
  readonly bytes: Record<Protocol, number> = { http: 0, mqtt: 0 };
  /** Events delivered to integration consumers. */
  readonly delivered: Record<Integration, number> = { websocket: 0, mqtt: 0 };
  /** Integration consumers disconnected because they could not keep up. */
  readonly slowConsumers: Record<Integration, number> = { websocket: 0, mqtt: 0 };
  /** Commands dispatched, and how many receivers took them. */
  commands = 0;
  commandDeliveries = 0;
  /** Connections closed for a protocol violation, a CONNECT timeout or a peer that stopped reading. */
  readonly droppedConnections: Record<Protocol | Integration, number> = { http: 0, mqtt: 0, websocket: 0 };
}

/** Something whose figures are read at scrape time: a name, a help line, a type, and the values by label. */
export interface MetricSource {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  /** The labels its values have (none by default). */
  labelNames?: string[];
  /** The values, by their labels (an empty object for none). */
  read(): Array<{ labels: Record<string, string>; value: number }>;
}

/** A counter or gauge of one number, or of numbers by the values of one label. */
function metric(
  type: MetricSource['type'],
  name: string,
  help: string,
  values: () => number | Record<string, number>,
  label?: string,
): MetricSource {
  return {
    name,
    help,
    type,
    labelNames: label === undefined ? [] : [label],
    read: () => {
      const current = values();
      if (typeof current === 'number' || label === undefined) return [{ labels: {}, value: current as number }];
      return Object.entries(current).map(([key, value]) => ({ labels: { [label]: key }, value }));
    },
  };
}

export class ServerMetrics {
  private readonly registry = new Registry();

  /** `sources` are read at scrape time only, so they may name components that start later. */
  constructor(c: DataPlaneCounters, sources: MetricSource[]) {
    const counter = (name: string, help: string, values: () => number | Record<string, number>, label?: string) =>
      metric('counter', name, help, values, label);
    const own: MetricSource[] = [
      counter('drg_device_messages_total', 'Messages accepted from devices', () => c.accepted, 'protocol'),
      counter('drg_device_messages_refused_total', 'Messages refused', () => c.refused, 'protocol'),
      counter('drg_device_payload_bytes_total', 'Payload bytes accepted from devices', () => c.bytes, 'protocol'),
      counter(
        'drg_integration_events_delivered_total',
        'Events delivered to consumers',
        () => c.delivered,
        'integration',
      ),
      counter(
        'drg_integration_slow_consumers_total',
        'Consumers disconnected for not keeping up',
        () => c.slowConsumers,
        'integration',
      ),
      counter('drg_commands_total', 'Commands dispatched', () => c.commands),
      counter('drg_command_deliveries_total', 'Commands taken by a connected device', () => c.commandDeliveries),
      counter(
        'drg_dropped_connections_total',
        'Connections dropped for protocol violations, timeouts or not reading',
        () => c.droppedConnections,
        'endpoint',
      ),
    ];
    for (const source of [...own, ...sources]) this.register(source);
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private register(source: MetricSource): void {
    const collect = function (this: Counter | Gauge) {
      this.reset();
      for (const { labels, value } of source.read()) {
        if (this instanceof Counter) this.inc(labels, value);
        else this.set(labels, value);
      }
    };
    const labelNames = source.labelNames ?? [];
    const options = { name: source.name, help: source.help, labelNames, registers: [this.registry], collect };
    if (source.type === 'counter') new Counter(options);
    else new Gauge(options);
  }
}

export const metricsRoutes: FastifyPluginCallback<{ metrics: ServerMetrics }> = (app, { metrics }, done) => {
  app.get('/metrics', async (_request, reply) => {
    reply.type(metrics.contentType).send(await metrics.text());
  });
  done();
};

/** The event log's figures (EventBus.stats), read at scrape time. */
/** The firmware agent's counts (src/firmware/agent.ts), when it runs. */
export interface FirmwareCounts {
  reports: number;
  writes: number;
  swaps: number;
  syncs: number;
  waits: number;
  problems: number;
  bytes: number;
}

export function firmwareAgentSources(counts: () => FirmwareCounts | undefined): MetricSource[] {
  const zero: FirmwareCounts = { reports: 0, writes: 0, swaps: 0, syncs: 0, waits: 0, problems: 0, bytes: 0 };
  const read = () => counts() ?? zero;
  return [
    metric('counter', 'drg_firmware_reports_total', 'DFU reports the firmware agent answered', () => read().reports),
    metric(
      'counter',
      'drg_firmware_answers_total',
      'Answers of the firmware agent, by operation',
      () => {
        const c = read();
        return { write: c.writes, swap: c.swaps, sync: c.syncs, wait: c.waits };
      },
      'op',
    ),
    metric('counter', 'drg_firmware_bytes_total', 'Firmware bytes sent in Write blocks', () => read().bytes),
    metric(
      'counter',
      'drg_firmware_problems_total',
      'Reports the agent could not serve as asked',
      () => read().problems,
    ),
  ];
}

export function eventLogSources(stats: () => EventLogStats): MetricSource[] {
  const one = (name: string, help: string, type: MetricSource['type'], value: (s: EventLogStats) => number) =>
    metric(type, name, help, () => value(stats()));
  return [
    one('drg_events_appended_total', 'Events appended to the log', 'counter', (s) => s.appended),
    one('drg_events_commits_total', 'Transactions that appended events to the log', 'counter', (s) => s.commits),
    one(
      'drg_events_rejected_total',
      'Events refused by the log (overloaded, closed, failing)',
      'counter',
      (s) => s.rejected,
    ),
    one('drg_events_pending', 'Events waiting for their commit', 'gauge', (s) => s.pending),
    one('drg_events_retained', 'Events the log holds', 'gauge', (s) => s.retainedEvents),
    one('drg_events_retained_bytes', 'Bytes of events the log holds', 'gauge', (s) => s.retainedBytes),
    one('drg_events_expired_total', 'Events removed by retention', 'counter', (s) => s.expired),
    one('drg_event_consumers', 'Consumers of the log (group members included)', 'gauge', (s) => s.consumers),
    one(
      'drg_event_consumers_dropped_total',
      'Consumers dropped for falling behind',
      'counter',
      (s) => s.droppedConsumers,
    ),
    {
      name: 'drg_event_group_lag',
      help: "Events after a consumer group's committed position",
      type: 'gauge',
      labelNames: ['app', 'group'],
      read: () => stats().groups.map((g) => ({ labels: { app: g.app, group: g.group }, value: g.lag })),
    },
  ];
}
