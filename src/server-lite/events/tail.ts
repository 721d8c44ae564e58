// The newest events in memory, bounded by count and bytes, so that live consumers (and those a little behind) never
// read SQLite. Every event from `start` on is here.
import type { CloudEvent } from '../../model/cloudevents.js';
import type { LoggedEvent } from './log.js';

/** An event of the log; an event read back from SQLite is parsed only when someone asks for it. */
export class StoredEvent implements LoggedEvent {
  constructor(
    readonly position: number,
    readonly app: string,
    readonly time: number,
    readonly json: string,
    private parsed?: CloudEvent,
  ) {}

  get event(): CloudEvent {
    this.parsed ??= JSON.parse(this.json) as CloudEvent;
    return this.parsed;
  }
}

export class Tail {
  private readonly ring: (StoredEvent | undefined)[];
  /** Absolute index of the oldest entry; entry `i` is at ring[i % capacity]. */
  private first = 0;
  /** Absolute index after the newest entry. */
  private end = 0;
  private bytes = 0;
  /** Every event at this position or after is in the tail. */
  start: number;

  constructor(
    head: number,
    private readonly maxEvents: number,
    private readonly maxBytes: number,
  ) {
    this.ring = new Array(maxEvents);
    this.start = head + 1;
  }

  push(event: StoredEvent): void {
    if (this.end - this.first === this.maxEvents) this.evict();
    this.ring[this.end % this.maxEvents] = event;
    this.end++;
    this.bytes += event.json.length;
    while (this.bytes > this.maxBytes && this.end - this.first > 1) this.evict();
  }

  /** Absolute index of the first entry after `position`; `endIndex` when none is. */
  indexAfter(position: number): number {
    let low = this.first;
    let high = this.end;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.at(mid).position > position) high = mid;
      else low = mid + 1;
    }
    return low;
  }

  get endIndex(): number {
    return this.end;
  }

  at(index: number): StoredEvent {
    return this.ring[index % this.maxEvents]!;
  }

  private evict(): void {
    const slot = this.first % this.maxEvents;
    const oldest = this.ring[slot]!;
    this.ring[slot] = undefined;
    this.first++;
    this.bytes -= oldest.json.length;
    this.start = oldest.position + 1;
  }
}
