// A child process for the event log's durability test: opens the log in the data directory given, appends events
// without pause (many per tick, so that commits are grouped), and prints `acked <id>` for each append that resolved,
// until it is killed.
import { LocalEventLog } from '../../src/server-lite/events/local-log.js';

const [dataDir, app] = process.argv.slice(2);
const log = new LocalEventLog(dataDir);
let next = 0;

function appendSome(): void {
  for (let i = 0; i < 100; i++) {
    const id = `e-${++next}`;
    const event = {
      specversion: '1.0' as const,
      id,
      type: 'io.drogue.event.v1',
      source: `drogue://${app}/dev`,
      subject: 'telemetry',
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      data: { n: next },
      application: app,
      device: 'dev',
      applicationuid: 'app-uid',
      deviceuid: 'dev-uid',
      sender: 'dev',
      senderuid: 'dev-uid',
      instance: 'child',
      partitionkey: `${app}/dev`,
    };
    log.append([event]).then(() => process.stdout.write(`acked ${id}\n`));
  }
  setImmediate(appendSome);
}

appendSome();
