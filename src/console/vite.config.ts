// The console's build (scripts/build.mjs runs it into dist/console): hashed assets under /console/assets/.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../../dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // No inline script for the polyfill: the CSP allows none, and every supported browser has modulepreload.
    modulePreload: { polyfill: false },
    // Small assets stay files too: the CSP allows data: only for images.
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
});
