// The console's budget (issue 10): all the JavaScript the browser may load, dist/console/assets/*.js, is under
// 150 KB gzipped; and index.html has no inline script or style, which the CSP would refuse.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';

const DIST = resolve(import.meta.dirname, '../../dist/console');
const ASSETS = join(DIST, 'assets');
const BUDGET_BYTES = 150 * 1024;

function built(): void {
  assert.ok(
    existsSync(join(DIST, 'index.html')) && existsSync(ASSETS),
    `the console is not built (no ${join(DIST, 'index.html')}): run \`npm run build\` first`,
  );
}

test('all the console JavaScript is under 150 KB gzipped', () => {
  built();
  const scripts = readdirSync(ASSETS).filter((name) => name.endsWith('.js'));
  assert.ok(scripts.length > 0, `no JavaScript in ${ASSETS}: run \`npm run build\``);
  const sizes = scripts.map((name) => ({
    name,
    gzipped: gzipSync(readFileSync(join(ASSETS, name)), { level: 9 }).length,
  }));
  const total = sizes.reduce((sum, s) => sum + s.gzipped, 0);
  const detail = sizes.map((s) => `${s.name} ${(s.gzipped / 1024).toFixed(1)} KB`).join(', ');
  assert.ok(
    total < BUDGET_BYTES,
    `the console's JavaScript is ${(total / 1024).toFixed(1)} KB gzipped, over the 150 KB budget (${detail})`,
  );
});

test('index.html has no inline script or style', () => {
  built();
  const html = readFileSync(join(DIST, 'index.html'), 'utf8');
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
  assert.ok(scripts.length > 0, 'index.html loads a script');
  for (const [tag, attributes, body] of scripts) {
    assert.match(attributes, /\bsrc=/, `a script without src: ${tag}`);
    assert.equal(body.trim(), '', `a script with inline code: ${tag}`);
  }
  assert.doesNotMatch(html, /<style\b/i, 'no <style> element');
  assert.doesNotMatch(html, /\sstyle\s*=/i, 'no style attribute');
  assert.doesNotMatch(html, /\son[a-z]+\s*=/i, 'no inline event handler attribute');
  assert.doesNotMatch(html, /javascript:/i, 'no javascript: URL');
});
