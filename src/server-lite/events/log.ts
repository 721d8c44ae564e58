// The event log and the bus on it: what every accepted device message is appended to before it is acknowledged, and
// what the integrations consume from (docs/drogue-api.md, "Integrations", "Event retention"). A small interface, so
// that a Kafka-backed log could replace the local one (docs/ARCHITECTURE.md, "The event log").
import type { CloudEvent } from '../../model/cloudevents.js';

/** An event as the log holds it. Shared by every consumer it goes to: read it, never change it. */
export interface LoggedEvent {
  /** Its place in the log: increasing, never reused. */
  readonly position: number;
  /** The application it belongs to (the consumers' unit). */
  readonly app: string;
  /** When it was appended (ms since the epoch; never decreasing along the log). */
  readonly time: number;
  readonly event: CloudEvent;
  /** `event` as JSON text, serialized once at append. */
  readonly json: string;
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
   * Joins this consumer group (of `app`): its members share its events (each event goes to one member), and the
   * group resumes from its committed position. Without a group, the consumer gets the events from `start` on, and
   * nothing is kept for it.
   */
  group?: string;
  /** Where to start without a committed position (for a group: only the first time it is seen). */
  start?: StartAt;
  /**
   * Only these events are delivered; the others count as delivered (and, for a group, are committed past). In a
   * group, each member's own filter: an event goes to a member whose filter takes it.
   */
  filter?: (event: CloudEvent) => boolean;
  /** At most this many events delivered and not yet acknowledged. */
  maxInFlight: number;
  /**
   * Hands an event to the consumer, which calls `Consumer.ack(position)` once it is done with it (written to its
   * socket for at-most-once, acknowledged by the peer for at-least-once). Events come in log order (in a group,
   * redelivered events may come after newer ones). Must not throw (a throw drops the consumer).
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

/** Why an append was refused: nothing of it was appended (devices get HTTP 503, MQTT a refusal). */
export class EventLogUnavailableError extends Error {
  constructor(
    /** `overloaded`: too many events wait for a commit; `closed`: the log is stopping; `failed`: the write failed. */
    readonly reason: 'overloaded' | 'closed' | 'failed',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface GroupStats {
  app: string;
  group: string;
  members: number;
  /** Its committed position. */
  committed: number;
  /** Events after the committed position: not yet delivered, in flight, or acknowledged out of order. */
  lag: number;
}

/** The figures /metrics shows. */
export interface EventLogStats {
  /** Events appended since start. */
  appended: number;
  /** Transactions (disk syncs) that appended them. */
  commits: number;
  /** Events refused (the log overloaded, closed, or failing). */
  rejected: number;
  /** Events accepted and waiting for their commit. */
  pending: number;
  /** Events (and their bytes of JSON) the log holds now. */
  retainedEvents: number;
  retainedBytes: number;
  /** Events removed by retention since start. */
  expired: number;
  /** Consumers now (group members included). */
  consumers: number;
  /** Consumers dropped since start for falling behind or holding events too long. */
  droppedConsumers: number;
  /** The groups with members now. */
  groups: GroupStats[];
}

export interface EventBus {
  /**
   * Appends the events; resolves once they are durable (on disk, or in Kafka), which is when the device may be
   * acknowledged. Appends close together share one disk sync (group commit). Rejects with EventLogUnavailableError
   * when the log is overloaded, closed or failing (then nothing of them was appended). The events are the log's
   * from then on (its consumers get them as they are): do not change them.
   */
  append(events: CloudEvent[]): Promise<void>;
  /** Starts a consumer; events flow to `deliver` once this has returned. Throws EventLogUnavailableError when closed. */
  consume(options: ConsumerOptions): Consumer;
  stats(): EventLogStats;
}
