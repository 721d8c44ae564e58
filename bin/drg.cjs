#!/usr/bin/env node
// Launcher (CommonJS, like the bundle: no ESM loader to start): answers `--version` without loading the CLI, and
// loads the bundle with a V8 code cache: Node's own compile cache where there is one (Node >= 22.1), else the cache
// the build wrote beside the bundle (dist/cli.cjs.cache; V8 ignores one made by another Node). With -v, stack
// traces are mapped to the TypeScript sources.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${require('../dist/version.cjs').VERSION}\n`);
} else {
  const path = require('node:path');
  const Module = require('node:module');
  const bundle = path.join(__dirname, '..', 'dist', 'cli.cjs');
  const end = args.indexOf('--');
  const verbose = (end < 0 ? args : args.slice(0, end)).some((a) => a === '-v' || a === '--verbose');
  if (verbose) process.setSourceMapsEnabled(true);
  if (Module.enableCompileCache || verbose) {
    Module.enableCompileCache?.();
    require(bundle);
  } else {
    requireWithCodeCache(bundle);
  }
}

/** `require(file)`, compiled with the code cache at `file.cache` when V8 accepts it; `DRG_WRITE_CODE_CACHE` writes it. */
function requireWithCodeCache(file) {
  const fs = require('node:fs');
  const path = require('node:path');
  const vm = require('node:vm');
  const Module = require('node:module');
  let cachedData;
  try {
    cachedData = fs.readFileSync(`${file}.cache`);
  } catch {
    // none yet: compiled as usual
  }
  // The bundle has no import() (scripts/build.mjs), which a script compiled from a code cache could not run.
  const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData });
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(path.dirname(file));
  Module._cache[file] = mod;
  if (process.env.DRG_WRITE_CODE_CACHE) {
    // After the run, so that the functions it compiled are in the cache too.
    process.once('beforeExit', () => fs.writeFileSync(`${file}.cache`, script.createCachedData()));
  }
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
  mod.loaded = true;
}
