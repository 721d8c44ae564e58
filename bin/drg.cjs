#!/usr/bin/env node
// Launcher (CommonJS, like the bundle: no ESM loader to start): answers `--version` without loading the CLI, and
// uses Node's compile cache where it exists (Node >= 22.1).
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${require('../dist/version.cjs').VERSION}\n`);
} else {
  require('node:module').enableCompileCache?.();
  require('../dist/cli.cjs');
}
