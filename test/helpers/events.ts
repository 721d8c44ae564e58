// A consumer of a server's event bus for tests: every event it gets, and a way to await the next ones.
import type { CloudEvent } from '../../src/model/cloudevents.js';
import { deviceEvent } from '../../src/server-lite/events/cloudevent.js';
import type { ConsumerOptions, EventBus, LoggedEvent } from '../../src/server-lite/events/log.js';

/** The CloudEvent of device `dev` of `app` sending `{"n": n}` on `subject`, as the endpoints make it. */
export function testEvent(app: string, n: number, subject = 'telemetry', instance = 'test'): CloudEvent {
  const dev = { name: 'dev', uid: 'dev-uid' };
  const origin = { app: { name: app, uid: 'app-uid' }, device: dev, sender: dev };
  return deviceEvent(origin, { channel: subject, payload: Buffer.from(JSON.stringify({ n })) }, instance);
}

export interface RecordedEvents {
  /** Every event received so far. */
  readonly events: CloudEvent[];
  /** Resolves with the next event not yet taken (in order), now or once it arrives. */
  next(): Promise<CloudEvent>;
  close(): void;
}

export function recordEvents(
  bus: EventBus,
  app: string,
  options: Partial<Omit<ConsumerOptions, 'app' | 'deliver' | 'dropped'>> = {},
): RecordedEvents {
  const events: CloudEvent[] = [];
  let taken = 0;
  const waiting: Array<(event: CloudEvent) => void> = [];
  const consumer = bus.consume({
    app,
    maxInFlight: 1000,
    ...options,
    deliver(logged: LoggedEvent) {
      events.push(logged.event);
      consumer.ack(logged.position);
      const waiter = waiting.shift();
      if (waiter) {
        taken++;
        waiter(logged.event);
      }
    },
    dropped(reason) {
      throw new Error(`the test consumer was dropped: ${reason}`);
    },
  });
  return {
    events,
    next: () =>
      taken < events.length
        ? Promise.resolve(events[taken++])
        : new Promise<CloudEvent>((resolve) => waiting.push(resolve)),
    close: () => consumer.close(),
  };
}
