// commander requires child_process when it loads, for executable subcommands, which drg has none of: bundled in
// its place (scripts/build.mjs), this loads child_process on first use, which saves ~5 ms of every start.
let loaded;
module.exports = new Proxy(
  {},
  {
    get: (_target, name) => {
      loaded ??= require('node:child_process');
      return loaded[name];
    },
  },
);
