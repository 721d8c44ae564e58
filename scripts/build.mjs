// Bundles drg into CommonJS files. dist/cli.cjs is the CLI: every drg command starts by loading that one file (no
// ESM module graph to resolve, ~7 ms less per start than ESM chunks). dist/server.cjs is drg serve
// (src/server-lite/main.ts), which only `drg serve` loads: the CLI's `import('../server-lite/main.js')` becomes an
// import of that file, so no other command parses the server's code. Packages that only some commands need stay
// external and load on first use: the server's, login's and the certificate commands', `yaml` (apply, edit,
// -o yaml), `ws` (drg stream, drg serve), `mqtt` and `cbor-x` (drg simulate, the firmware agent). Worker threads'
// entries are built beside them (password-worker.cjs: bcrypt for drg serve; event-writer.cjs: the event log's
// appends); import.meta.url is the bundle file's URL, for finding them.
// Builds into a fresh directory and swaps it in, so a running drg never sees half a build.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

// oidc-provider also because it looks its TTLs up by class name, which bundling renames.
const serverOnly = ['better-sqlite3', 'fastify', 'pino', 'oidc-provider', 'bcryptjs', 'piscina'];
// A native addon, and a package that runs its own bundled xdg-open.
const loginOnly = ['openid-client', '@napi-rs/keyring', 'open'];
const sometimes = [
  'yaml',
  'proper-lockfile',
  '@peculiar/x509',
  'reflect-metadata',
  'https-proxy-agent',
  'ws',
  'mqtt',
  'cbor-x',
];
const staging = `dist.${process.pid}.tmp`;

/** Imports of a module that is a bundle file of its own (`./server.cjs` for server-lite/main.js) load that file. */
function ownFiles(files) {
  return {
    name: 'own-files',
    setup(b) {
      for (const [pattern, path] of files) b.onResolve({ filter: pattern }, () => ({ path, external: true }));
    },
  };
}

/** Bundles `file` (beside this script) in place of the modules matching `filter` that `pkg` imports. */
function replaceInPackage(pkg, filter, file) {
  return {
    name: `replace-in-${pkg}`,
    setup(b) {
      b.onResolve({ filter }, (args) =>
        args.importer.includes(`/node_modules/${pkg}/`)
          ? { path: fileURLToPath(new URL(file, import.meta.url)) }
          : undefined,
      );
    },
  };
}

/** commander's child_process, loaded when it is used (see lazy-child-process.cjs). */
const lazyChildProcessInCommander = replaceInPackage(
  'commander',
  /^(node:)?child_process$/,
  './lazy-child-process.cjs',
);
/** mqtt-packet's `debug`, always off (see debug-off.cjs); other packages keep theirs. */
const debugOffInMqttPacket = replaceInPackage('mqtt-packet', /^debug$/, './debug-off.cjs');

const common = {
  outdir: staging,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20.19',
  // DRG_NO_MINIFY=1: the functions keep their names, for reading CPU profiles (BENCH_CPU_PROF, bench/lib.mjs).
  minify: !process.env.DRG_NO_MINIFY,
  sourcemap: 'linked',
  external: [...serverOnly, ...loginOnly, ...sometimes],
  inject: ['scripts/import-meta-url.js'],
  define: { __DRG_VERSION__: JSON.stringify(version), 'import.meta.url': 'importMetaUrl' },
  logLevel: 'warning',
};

// The CLI. Its import() become require() (the launcher runs it from a V8 code cache, and a script compiled from
// one cannot import()), except for the ES-module-only packages, which src/esm-import.ts imports from a file of
// its own.
await build({
  ...common,
  entryPoints: { cli: 'src/main.ts' },
  supported: { 'dynamic-import': false },
  plugins: [
    ownFiles([
      [/\/server-lite\/main\.js$/, './server.cjs'],
      [/\/esm-import\.js$/, './esm-import.cjs'],
    ]),
    lazyChildProcessInCommander,
  ],
});
await build({
  ...common,
  entryPoints: {
    server: 'src/server-lite/main.ts',
    'password-worker': 'src/server-lite/identity/oidc/password-worker.ts',
    'event-writer': 'src/server-lite/events/writer-thread.ts',
    'esm-import': 'src/esm-import.ts',
  },
  plugins: [debugOffInMqttPacket],
});

// The web console (src/console), which drg serve serves from dist/console; drg itself never loads it.
const { build: buildConsole } = await import('vite');
await buildConsole({
  configFile: fileURLToPath(new URL('../src/console/vite.config.ts', import.meta.url)),
  build: { outDir: join(process.cwd(), staging, 'console') },
});

// The launcher answers `drg --version` from this file alone.
writeFileSync(`${staging}/version.cjs`, `module.exports = { VERSION: ${JSON.stringify(version)} };\n`);

const old = `dist.${process.pid}.old`;
try {
  renameSync('dist', old);
} catch (err) {
  if (err.code !== 'ENOENT') throw err;
}
renameSync(staging, 'dist');
rmSync(old, { recursive: true, force: true });

// The code cache the launcher uses where Node has no compile cache of its own (Node 20): written by a run of
// `drg get apps` against a stand-in for a cluster, so that the functions a command needs (the config, the HTTP
// client, a table) are compiled in it.
const cluster = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('[]'));
await new Promise((resolve) => cluster.listen(0, '127.0.0.1', resolve));
const scratch = mkdtempSync(join(tmpdir(), 'drg-build-'));
const config = join(scratch, 'config.yaml');
const url = `http://127.0.0.1:${cluster.address().port}`;
writeFileSync(
  config,
  `active_context: warm\ncontexts:\n  - name: warm\n    drogue_cloud_url: ${url}\n    token: {id: u, token: t}\n`,
);
const warm = await new Promise((resolve) => {
  const child = spawn(process.execPath, ['bin/drg.cjs', 'get', 'apps'], {
    env: { ...process.env, DRG_WRITE_CODE_CACHE: '1', DRGCFG: config },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  child.on('close', (status) => resolve({ status, stderr }));
});
cluster.close();
rmSync(scratch, { recursive: true, force: true });
if (warm.status !== 0) throw new Error(`the built drg failed to run (writing its code cache):\n${warm.stderr}`);
