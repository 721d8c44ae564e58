// The event log and the bus on it: what every accepted device message is appended to before it is acknowledged, and
// what the integrations consume from (docs/drogue-api.md, "Integrations", "Event retention"). A small interface, so
// that a Kafka-backed log could replace the local one (docs/ARCHITECTURE.md, "The event log").
import type { CloudEvent } from '../../model/cloudevents.js';

/** An event as the log holds it. */
export interface LoggedEvent {
  /** Its place in the log: increasing, never reused. */
  position: number;
  /** The application it belongs to (the consumers' unit). */
  app: string;
  /** When it was appended (ms since the epoch). */
  time: number;
  event: CloudEvent;
  /** `event` as JSON text, serialized once at append. */
  json: string;
}

/** Where a consumer without a committed position starts. */
export type StartAt =
  /** Events appended from now on (the default). */
  | { kind: 'latest' }
  /** Everything the log still holds. */
  | { kind: 'earliest' }
  /** Events appended at or after this time (ms since the epoch). */
  | { kind: 'since'; time: number };

export interface ConsumerOptions {
  app: string;
  /**
   * Joins this consumer group: its members share its events (each event goes to one member), and the group resumes
   * from its committed position. Without a group, the consumer gets the events from `start` on, and nothing is kept
   * for it.
   */
  group?: string;
  /** Where to start without a committed position (for a group: only the first time it is seen). */
  start?: StartAt;
  /** Only these events are delivered; the others count as delivered (and, for a group, are committed past). */
  filter?: (event: CloudEvent) => boolean;
  /** At most this many events delivered and not yet acknowledged. */
  maxInFlight: number;
  /**
   * Hands an event to the consumer, which calls `Consumer.ack(position)` once it is done with it (written to its
   * socket for at-most-once, acknowledged by the peer for at-least-once). Events come in log order.
   */
  deliver(event: LoggedEvent): void;
  /**
   * The bus dropped this consumer: it fell too far behind (without a group), or held its in-flight events too long
   * (in a group; they go to the other members). The consumer is closed when this is called; disconnect the peer.
   */
  dropped(reason: string): void;
}

export interface Consumer {
  /** The event at this position is done with: the group's position may advance past it. */
  ack(position: number): void;
  /** Leaves; a group member's unacknowledged events go to the other members, or to the next one to join. */
  close(): void;
}

/** The figures /metrics shows. */
export interface EventLogStats {
  appended: number;
  /** Events (and their bytes) the log holds now. */
  retainedEvents: number;
  retainedBytes: number;
  /** Events removed by retention. */
  expired: number;
  consumers: number;
  /** Consumers dropped for falling behind or holding events too long. */
  droppedConsumers: number;
}

export interface EventBus {
  /**
   * Appends the events; resolves once they are durable (on disk, or in Kafka), which is when the device may be
   * acknowledged. Appends close together share one disk sync (group commit). Rejects when the log is full or closed
   * (then nothing of them was appended).
   */
  append(events: CloudEvent[]): Promise<void>;
  /** Starts a consumer; events flow to `deliver` from then on. */
  consume(options: ConsumerOptions): Consumer;
  stats(): EventLogStats;
}
