// Injected into the CommonJS bundles (build.mjs): import.meta.url is the bundle file's URL.
export const importMetaUrl = require('node:url').pathToFileURL(__filename).href;
