// Bundles the CLI into dist/. Server-only and native dependencies stay external: they load only in `drg serve`.
// Builds into a fresh directory and swaps it in, so no stale chunks pile up and a running drg never sees half a build.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

// oidc-provider also because it looks its TTLs up by class name, which bundling renames.
const serverOnly = ['better-sqlite3', 'fastify', 'pino', 'oidc-provider'];
// Loaded only by login and token refresh: a native addon, and a package that runs its own bundled xdg-open.
const loginOnly = ['@napi-rs/keyring', 'open'];
const staging = `dist.${process.pid}.tmp`;

await build({
  entryPoints: ['src/cli.ts'],
  outdir: staging,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  minify: true,
  sourcemap: 'linked',
  external: [...serverOnly, ...loginOnly],
  chunkNames: 'chunks/[name]-[hash]',
  banner: {
    js: "import { createRequire as __drgCreateRequire } from 'node:module'; const require = __drgCreateRequire(import.meta.url);",
  },
  define: { __DRG_VERSION__: JSON.stringify(version) },
  logLevel: 'warning',
});

// The launcher answers `drg --version` from this file alone.
mkdirSync(staging, { recursive: true });
writeFileSync(`${staging}/version.js`, `export const VERSION = ${JSON.stringify(version)};\n`);

const old = `dist.${process.pid}.old`;
try {
  renameSync('dist', old);
} catch (err) {
  if (err.code !== 'ENOENT') throw err;
}
renameSync(staging, 'dist');
rmSync(old, { recursive: true, force: true });
