// Replaced at build time from package.json (see scripts/build.mjs).
declare const __DRG_VERSION__: string | undefined;
export const VERSION: string = typeof __DRG_VERSION__ === 'string' ? __DRG_VERSION__ : '0.0.0-dev';
