// The entry point of the drg bundle: runs the command line with the process's streams.
import { processIo } from './cli/io.js';
import { run } from './cli/run.js';

void run(process.argv.slice(2), processIo()).then((code) => {
  process.exitCode = code;
});
