// A child process (started by store-process.ts) that loads the store, says "ready", and on "go" (a line on stdin) either opens (and migrates)
// the data directory given and exits (0 when that worked, else 1 with the error on stderr), or takes its lock and
// says "locked" until it is killed. Lets tests race real processes on one data directory.
import { createInterface } from 'node:readline';
import { openStore } from '../../src/server-lite/store/db.js';
import { lockDataDir } from '../../src/server-lite/store/lock.js';

const [mode, dataDir] = process.argv.slice(2);
/** The lock, referenced until the process ends. */
export let held: ReturnType<typeof lockDataDir> | undefined;
process.stdout.write('ready\n');
createInterface({ input: process.stdin }).once('line', () => {
  try {
    if (mode === 'lock') {
      held = lockDataDir(dataDir);
      process.stdout.write('locked\n');
      return;
    }
    openStore(dataDir).close();
    process.exit(0);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  }
});
