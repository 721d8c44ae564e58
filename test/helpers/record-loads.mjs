// `node --import ./record-loads.mjs`: appends the URL of every module the process loads to $DRG_TEST_LOADS.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

const file = process.env.DRG_TEST_LOADS;
register('./record-loads-hooks.mjs', import.meta.url, { data: { file } });

// CommonJS modules (the drg bundle and what it requires) never pass the ES module hooks: list them at exit.
const { cache } = createRequire(import.meta.url);
process.on('exit', () => {
  if (file)
    appendFileSync(
      file,
      Object.keys(cache)
        .map((path) => `${pathToFileURL(path).href}\n`)
        .join(''),
    );
});
