// The event log as a component of drg serve: events.sqlite in the data directory (whose lock the store holds), open
// from start to stop. Started before the device endpoints and the integrations, stopped after them: their appends
// are committed, and the groups' positions written, before it closes.
import { type Component, StartError } from '../runtime.js';
import { type EventLogOptions, LocalEventLog } from './local-log.js';
import type { EventBus } from './log.js';

export class EventsComponent implements Component {
  readonly name = 'events';
  private log?: LocalEventLog;

  constructor(
    private readonly dataDir: string,
    private readonly options: EventLogOptions = {},
  ) {}

  get bus(): EventBus {
    if (!this.log) throw new Error('the event log has not started');
    return this.log;
  }

  start(): void {
    try {
      this.log = new LocalEventLog(this.dataDir, this.options);
    } catch (err) {
      throw new StartError(`cannot open the event log in ${this.dataDir}: ${(err as Error).message}`, 'data-dir', {
        cause: err,
      });
    }
  }

  stop(): void {
    this.log?.close();
    this.log = undefined;
  }
}
