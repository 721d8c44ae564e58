// A child process for the event log's durability test: opens the log in the data directory given, appends events
// without pause (many per tick, so that commits are grouped), and prints `acked <id>` for each append that resolved,
// until it is killed.
import { LocalEventLog } from '../../src/server-lite/events/local-log.js';
import { testEvent } from './events.js';

const [dataDir, app] = process.argv.slice(2);
const log = new LocalEventLog(dataDir);
let next = 0;

function appendSome(): void {
  for (let i = 0; i < 100; i++) {
    const event = testEvent(app, ++next, 'telemetry', 'child');
    const { id } = event;
    log.append([event]).then(() => process.stdout.write(`acked ${id}\n`));
  }
  setImmediate(appendSome);
}

appendSome();
