#!/usr/bin/env node
// Launcher (CommonJS, like the bundle: no ESM loader to start): answers `--version` without loading the CLI, uses
// Node's compile cache where it exists (Node >= 22.1), and with -v maps stack traces to the TypeScript sources.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${require('../dist/version.cjs').VERSION}\n`);
} else {
  require('node:module').enableCompileCache?.();
  const end = args.indexOf('--');
  if ((end < 0 ? args : args.slice(0, end)).some((a) => a === '-v' || a === '--verbose')) {
    process.setSourceMapsEnabled(true);
  }
  require('../dist/cli.cjs');
}
