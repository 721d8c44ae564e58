#!/usr/bin/env node
// Launcher: answers `--version` without loading the CLI, and uses Node's compile cache where it exists (Node >= 22.1).
import module from 'node:module';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const { VERSION } = await import('../dist/version.js');
  process.stdout.write(`${VERSION}\n`);
} else {
  module.enableCompileCache?.();
  await import('../dist/cli.js');
}
