// Bundles the CLI. Server-only and native dependencies stay external: they load only in `drg serve`.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

const serverOnly = ['better-sqlite3', 'fastify', 'pino'];

await build({
  entryPoints: ['src/cli.ts'],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  sourcemap: 'linked',
  external: serverOnly,
  chunkNames: 'chunks/[name]-[hash]',
  banner: {
    js: "import { createRequire as __drgCreateRequire } from 'node:module'; const require = __drgCreateRequire(import.meta.url);",
  },
  define: { __DRG_VERSION__: JSON.stringify(version) },
  logLevel: 'warning',
});

// The launcher answers `drg --version` from this file alone.
mkdirSync('dist', { recursive: true });
writeFileSync('dist/version.js', `export const VERSION = ${JSON.stringify(version)};\n`);
