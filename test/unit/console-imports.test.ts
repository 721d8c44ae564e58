// The console's import rule (docs/ARCHITECTURE.md): src/console imports only itself, src/model and the packages
// made for the browser; nothing else in drg imports it, so drg never loads it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const SRC = resolve(import.meta.dirname, '../../src');
const CONSOLE = join(SRC, 'console');
const BROWSER_PACKAGES = new Set(['preact', 'preact/hooks', 'oauth4webapi', 'yaml', 'bcryptjs', 'vite', 'node:url']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1]);
}

test('the console imports only itself, src/model and browser packages', () => {
  const wrong: string[] = [];
  for (const file of sources(CONSOLE)) {
    for (const spec of importsOf(file)) {
      if (!spec.startsWith('.')) {
        // Vite's config runs in Node at build time, never in the browser.
        const allowed =
          BROWSER_PACKAGES.has(spec) && ((spec !== 'vite' && spec !== 'node:url') || file.endsWith('vite.config.ts'));
        if (!allowed) wrong.push(`${relative(SRC, file)} imports ${spec}`);
        continue;
      }
      const target = resolve(dirname(file), spec);
      const inside = [CONSOLE, join(SRC, 'model')].some((dir) => target.startsWith(`${dir}/`));
      if (!inside) wrong.push(`${relative(SRC, file)} imports ${relative(SRC, target)}`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('nothing outside the console imports it', () => {
  const wrong = sources(SRC)
    .filter((file) => !file.startsWith(`${CONSOLE}/`))
    .flatMap((file) =>
      importsOf(file)
        .filter((spec) => spec.startsWith('.') && resolve(dirname(file), spec).startsWith(`${CONSOLE}/`))
        .map((spec) => `${relative(SRC, file)} imports ${spec}`),
    );
  assert.deepEqual(wrong, []);
});
