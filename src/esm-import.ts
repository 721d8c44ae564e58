// import() of the packages that are ES modules only (openid-client, open, https-proxy-agent). The build makes this
// module a file of its own beside the CLI bundle (scripts/build.mjs), whose other imports become require(): the
// launcher runs the bundle from a V8 code cache, and a script compiled from one cannot import().
export function importEsm<T>(specifier: string): Promise<T> {
  return import(specifier);
}
