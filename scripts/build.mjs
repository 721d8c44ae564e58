// Bundles drg into CommonJS files. dist/cli.cjs is the CLI: every drg command starts by loading that one file (no
// ESM module graph to resolve, ~7 ms less per start than ESM chunks). dist/server.cjs is drg serve
// (src/server-lite/main.ts), which only `drg serve` loads: the CLI's `import('../server-lite/main.js')` becomes an
// import of that file, so no other command parses the server's code. Packages that only some commands need stay
// external and load on first use: the server's, login's and the certificate commands', and `yaml` (apply, edit,
// -o yaml). ESM-only externals (openid-client, oidc-provider, open) are imported with import(), which esbuild keeps
// as is. Worker threads' entries are built beside them (password-worker.cjs: bcrypt for drg serve); import.meta.url
// is the bundle file's URL, for finding them.
// Builds into a fresh directory and swaps it in, so a running drg never sees half a build.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

// oidc-provider also because it looks its TTLs up by class name, which bundling renames.
const serverOnly = ['better-sqlite3', 'fastify', 'pino', 'oidc-provider', 'bcryptjs', 'piscina'];
// A native addon, and a package that runs its own bundled xdg-open.
const loginOnly = ['openid-client', '@napi-rs/keyring', 'open'];
const sometimes = ['yaml', 'proper-lockfile', '@peculiar/x509', 'reflect-metadata', 'https-proxy-agent'];
const staging = `dist.${process.pid}.tmp`;

/** An import of the server's entry (from commands/serve.ts) loads the server bundle beside the importing one. */
const serverEntryAsBundle = {
  name: 'server-entry-as-bundle',
  setup(b) {
    b.onResolve({ filter: /\/server-lite\/main\.js$/ }, () => ({ path: './server.cjs', external: true }));
  },
};

await build({
  entryPoints: {
    cli: 'src/main.ts',
    server: 'src/server-lite/main.ts',
    'password-worker': 'src/server-lite/identity/oidc/password-worker.ts',
  },
  outdir: staging,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20.19',
  minify: true,
  sourcemap: 'linked',
  external: [...serverOnly, ...loginOnly, ...sometimes],
  plugins: [serverEntryAsBundle],
  inject: ['scripts/import-meta-url.js'],
  define: { __DRG_VERSION__: JSON.stringify(version), 'import.meta.url': 'importMetaUrl' },
  logLevel: 'warning',
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
